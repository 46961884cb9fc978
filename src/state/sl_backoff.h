/*
 * sl_backoff.h - when to retry a failed task, and how long to wait first.
 *
 * Exponential backoff with "full jitter": before retry number `attempt`
 * (1 = the first retry) wait a uniformly random time in
 * [0, min(cap_s, base_s * 2^(attempt-1))). Spreading the waits keeps many
 * tasks that lost their connections at once from reconnecting at once.
 *
 * sl_err_is_transient() is the classifier: only SL_ETRANSIENT errors
 * (connection lost, server restarting, serialization failure, too many
 * connections; sources map their errors onto it) are worth a retry; every
 * other code fails at once.
 *
 *   sl_rng rng; sl_rng_seed(&rng, 0);            // 0: seed from time and pid
 *   for (int attempt = 1;; attempt++) {
 *       if (run_task(&err) == 0) break;
 *       if (!sl_backoff_should_retry(&err, attempt, job->retries)) fail;
 *       sl_backoff_sleep(sl_backoff_delay(attempt, job->retry_backoff_s, 60, &rng));
 *   }
 */
#ifndef SL_BACKOFF_H
#define SL_BACKOFF_H

#include "../core/sl_error.h"

#include <stdbool.h>
#include <stdint.h>

#define SL_BACKOFF_BASE_S 1.0     /* default first backoff */
#define SL_BACKOFF_CAP_S  60.0    /* default longest single wait */

/* A small per-thread random generator (splitmix64); not for cryptography. */
typedef struct sl_rng {
    uint64_t state;
} sl_rng;

/* seed 0: seeds from the clock, pid and the address of rng. */
void sl_rng_seed(sl_rng *rng, uint64_t seed);
uint64_t sl_rng_next(sl_rng *rng);
/* Uniform in [0, 1). */
double sl_rng_uniform(sl_rng *rng);

/* The wait before retry number `attempt` (>= 1), in seconds, in
 * [0, min(cap_s, base_s * 2^(attempt-1))). rng NULL: a thread-local generator.
 * attempt < 1 or base_s <= 0 gives 0; cap_s <= 0 means SL_BACKOFF_CAP_S. */
double sl_backoff_delay(int attempt, double base_s, double cap_s, sl_rng *rng);
/* The upper bound of that wait (no jitter), for messages and tests. */
double sl_backoff_ceiling(int attempt, double base_s, double cap_s);

/* True for errors worth a retry (SL_ETRANSIENT). */
bool sl_err_is_transient(const sl_err *err);
/* True when `err` is transient and `attempt` (1-based attempts made so far)
 * is at most `retries`, i.e. another attempt is allowed. */
bool sl_backoff_should_retry(const sl_err *err, int attempt, int retries);

/* Sleeps `seconds` (resuming after signals). */
void sl_backoff_sleep(double seconds);

#endif
