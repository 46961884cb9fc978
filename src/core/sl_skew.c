/*
 * sl_skew.c - largest over median (sl_skew.h).
 */
#include "sl_skew.h"

#include <stdlib.h>

static int sl_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double sl_skew_ratio(double *v, int n)
{
    if (n < 2) return 1.0;
    qsort(v, (size_t)n, sizeof *v, sl_cmp_double);
    double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    if (v[n - 1] <= 0) return 1.0;
    /* An all-but-empty median: report against the smallest non-zero share instead of dividing by 0. */
    if (median <= 0) {
        for (int i = 0; i < n; i++)
            if (v[i] > 0) {
                median = v[i];
                break;
            }
    }
    return v[n - 1] / median;
}
