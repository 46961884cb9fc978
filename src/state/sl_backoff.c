/*
 * sl_backoff.c - exponential backoff with full jitter, and the
 * transient-error classifier (see sl_backoff.h).
 */
#include "sl_backoff.h"

#include <errno.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

void sl_rng_seed(sl_rng *rng, uint64_t seed)
{
    if (seed == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16) ^
               (uint64_t)(uintptr_t)rng;
    }
    rng->state = seed;
}

uint64_t sl_rng_next(sl_rng *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double sl_rng_uniform(sl_rng *rng)
{
    return (double)(sl_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);   /* 53 bits */
}

double sl_backoff_ceiling(int attempt, double base_s, double cap_s)
{
    if (attempt < 1 || !(base_s > 0)) return 0;
    if (!(cap_s > 0)) cap_s = SL_BACKOFF_CAP_S;
    double c = attempt > 60 ? cap_s : ldexp(base_s, attempt - 1);
    if (c > cap_s) c = cap_s;
    return c;
}

double sl_backoff_delay(int attempt, double base_s, double cap_s, sl_rng *rng)
{
    static __thread sl_rng local;
    static __thread int local_seeded;
    if (!rng) {
        if (!local_seeded) { sl_rng_seed(&local, 0); local_seeded = 1; }
        rng = &local;
    }
    return sl_backoff_ceiling(attempt, base_s, cap_s) * sl_rng_uniform(rng);
}

bool sl_err_is_transient(const sl_err *err)
{
    return err && err->code == SL_ETRANSIENT;
}

bool sl_backoff_should_retry(const sl_err *err, int attempt, int retries)
{
    return sl_err_is_transient(err) && attempt <= retries;
}

void sl_backoff_sleep(double seconds)
{
    if (!(seconds > 0)) return;
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}
