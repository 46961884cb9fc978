/*
 * sl_lock.h - one run of a job at a time.
 *
 * The lock is the file <state dir>/<job>.lock (state dir: the directory of
 * the state database, `.sluice/` beside the job file by default), held with
 * flock(LOCK_EX) for the life of the run and holding the holder's pid, host
 * and start time as text:
 *
 *     pid 1234
 *     host db-loader-1
 *     started 2026-11-21T23:46:54Z
 *     holder run 3 of state store /jobs/.sluice/state.db   (once known)
 *
 * The file is created 0600, its directory (when created here) 0700: the
 * state directory also holds the state database, with real key values.
 * The kernel drops a flock when its process dies, even by kill -9, so a lock
 * file whose flock can be taken was left by a dead run: it is stale, reported
 * at info level and taken over. On a file system without flock (some network
 * file systems) the pid is checked instead: a holder on this host whose pid
 * is not alive is stale; a holder on another host is trusted.
 *
 * A second run is refused: "job shop is already running (pid 1234 on host
 * h, started 2026-11-21T23:46:54Z; run 3 of state store
 * /jobs/.sluice/state.db); wait for it or stop it".
 *
 * The same lock guards a target's staging area for a job
 * (sl_publish_lock_target: sl_lock_acquire_file on a file there), because
 * two runs of one job name with different state stores hold different job
 * locks but would share the staging directories.
 *
 *   sl_lock *lk = sl_lock_acquire(state_dir, job->name, &err);
 *   if (!lk) return -1;               // err says who holds it
 *   ... run ...
 *   sl_lock_release(lk);              // removes the file, frees lk
 *
 * The descriptor is opened O_CLOEXEC, so programs the run starts do not
 * inherit the lock; a fork()ed child does share it until it exits.
 */
#ifndef SL_LOCK_H
#define SL_LOCK_H

#include "../core/sl_error.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct sl_lock sl_lock;

typedef struct sl_lock_info {
    bool present;            /* a lock file exists */
    bool held;               /* its flock is held by a live process */
    pid_t pid;               /* as written in the file (0: unknown) */
    char host[256];
    char started[64];        /* ISO 8601 UTC, as written */
    char holder[1024];       /* "run 3 of state store ..." ("" until the holder says) */
} sl_lock_info;

/* "<state_dir>/<job>.lock"; characters other than [A-Za-z0-9._-] in the job
 * name become '_'. sl_free the result. */
char *sl_lock_path(const char *state_dir, const char *job);

/* Creates state_dir when missing (0700), takes the lock or fails (SL_EIO)
 * with a message naming the holder. A stale lock is taken over (logged at
 * info). */
sl_lock *sl_lock_acquire(const char *state_dir, const char *job, sl_err *err);
/* The same on the lock file `path`, whose directory must exist; `job` names
 * the job in messages. */
sl_lock *sl_lock_acquire_file(const char *path, const char *job, sl_err *err);
/* Writes what the holder is doing into the lock file ("run 3 of state store
 * /x/state.db"), for the message a refused run prints. */
int sl_lock_set_holder(sl_lock *lk, const char *holder, sl_err *err);
/* Removes the lock file and releases the lock; NULL is fine. */
void sl_lock_release(sl_lock *lk);
/* Who holds the lock of `job`, without taking it (for `sluice status`). */
int sl_lock_inspect(const char *state_dir, const char *job, sl_lock_info *info, sl_err *err);

#endif
