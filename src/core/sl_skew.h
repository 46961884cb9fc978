/*
 * sl_skew.h - the skew of a node's tasks: largest over median (the measure
 * AWS Glue reports), one home for exec's run summary, the web UI and the
 * HTML report.
 */
#ifndef SL_SKEW_H
#define SL_SKEW_H

/* Largest over median of n values (sorts them); 1.0 when n < 2 or all 0.
 * An all-but-empty median compares with the smallest non-zero value. */
double sl_skew_ratio(double *values, int n);

#endif
