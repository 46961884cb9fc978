/*
 * sl_publish.h - the commit protocol: tasks write into a staging directory,
 * a table is published by swapping its staged directory with the live one.
 *
 * Layout under a target directory T (one file system, so renames are atomic):
 *
 *   T/<table>/                                  the live table readers see
 *   T/<table>/_sluice_manifest.json             files, rows, CRC-32s, run id, receipts, ...
 *   T/.sluice-staging/<job>/.lock               the job's lock on the target (one run at a time)
 *   T/.sluice-staging/<job>/run-<id>/<table>/   staged files of one run
 *   T/.sluice-staging/<job>/run-<id>/<table>/.<file>.tmp   a file being written
 *
 * Protocol, with the failpoint (sl_failpoint.h) hit at each step:
 *   task     write "<stage>/.<name>.tmp"          (exec: task-start, task-write)
 *            sl_staging_file_finish: fsync it       -> task-file-synced
 *            rename to <name>, fsync the dir      -> task-commit
 *            record it in the state store         (exec, sl_state_attempt_end)
 *   table    sl_publish_table, when every task of the table is done:
 *            drop stray temporaries               -> publish:before-manifest
 *            write the manifest (atomic), fsync   -> publish:before-exchange
 *            renameat2(staged, live, RENAME_EXCHANGE), or rename when no
 *            live table yet                       -> publish:after-exchange
 *            fsync T and the staging dir          -> publish:before-cleanup
 *            remove the old version (now at the staged path)
 *   run      sl_publish_clean_run when all tables are published
 *
 * Only what sluice published for this job is ever replaced at T/<table>
 * (sl_publish_check_live): not a user's directory, a file, a link, nor
 * another job's table.
 *
 * Readers of T/<table> see the old complete version or the new complete one,
 * never a mix, never a half-written file (temporaries are hidden names in
 * the staging area, not in T/<table>), and never a missing directory.
 *
 * Crash recovery: every step can be repeated. A table whose live manifest
 * already names this job and run (and the run's start time, when known) was
 * published before the crash:
 * sl_publish_table then only cleans up (result.already). Files are named
 * per task (not per attempt), so a redone task replaces its file instead of
 * adding a second copy; files in the staged directory that the manifest does
 * not list are removed before publishing.
 *
 * Without RENAME_EXCHANGE (some network and FUSE file systems; or forced by
 * SLUICE_NO_RENAME_EXCHANGE=1 / sl_publish_force_fallback): the live table
 * is renamed to "<stage>.old", the staged one to live, then .old removed.
 * That is NOT atomic: a reader may briefly find no table. A warning says so.
 */
#ifndef SL_PUBLISH_H
#define SL_PUBLISH_H

#include "../core/sl_error.h"
#include "sl_lock.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_STAGING_DIR   ".sluice-staging"
#define SL_MANIFEST_NAME "_sluice_manifest.json"

/* The staging area of one (target, table, run). Strings are owned. */
typedef struct sl_staging {
    char *target_dir;          /* T */
    char *job;                 /* job name, made safe for a file name */
    char *table;
    int64_t run_id;
    char *run_dir;             /* T/.sluice-staging/<job>/run-<id> */
    char *dir;                 /* <run_dir>/<table>: where tasks write */
    char *live;                /* T/<table> */
    double run_started;        /* when the run first started (epoch s; 0: unknown), set by the caller
                                * after sl_staging_open; written to the manifest so that a run of
                                * the same id in another state database is not taken for this one */
} sl_staging;

/* Fills sg and creates its directory (keeping files already there: resume).
 * The table name must be a plain file name (no '/', not starting with '.'). */
int sl_staging_open(sl_staging *sg, const char *target_dir, const char *job, int64_t run_id, const char *table,
                  sl_err *err);
void sl_staging_close(sl_staging *sg);

/* Where a task writes its file before it is finished: "<dir>/.<name>.tmp".
 * And where the finished file lives: "<dir>/<name>". sl_free them. */
char *sl_staging_tmp_path(const sl_staging *sg, const char *name);
char *sl_staging_file_path(const sl_staging *sg, const char *name);
/* Finishes a task's file: fsync the temporary, rename it to <name> (replacing
 * the file of an earlier attempt), fsync the directory. The caller has closed
 * the file (sl_out_close). Hits task-file-synced and task-commit. */
int sl_staging_file_finish(const sl_staging *sg, const char *name, sl_err *err);
/* Removes a failed attempt's temporary (and nothing else); missing is fine. */
void sl_staging_file_discard(const sl_staging *sg, const char *name);
/* Removes a finished file that will not be published (its task found no
 * rows), before sl_publish_table would take it for a stray; missing is fine. */
int sl_staging_file_remove(const sl_staging *sg, const char *name, sl_err *err);

typedef struct sl_staged_file {
    char *name;
    int64_t size;
} sl_staged_file;

/* The finished files of the staging directory (not temporaries, not the
 * manifest), sorted by name; an absent directory gives none. */
int sl_staging_list(const sl_staging *sg, sl_staged_file **out, int *n, sl_err *err);
void sl_staging_list_free(sl_staged_file *files, int n);
/* Removes temporaries left by killed attempts; *removed counts them. */
int sl_staging_remove_temporaries(const sl_staging *sg, int *removed, sl_err *err);
/* On resume: is the finished file <name> there with this size (and, when
 * check_crc, this CRC-32)? 1 yes, 0 no (missing or different), -1 error. */
int sl_staging_check_file(const sl_staging *sg, const char *name, int64_t size, uint32_t crc32, bool check_crc,
                        sl_err *err);

/* ---- publish ---- */

typedef struct sl_manifest_file {
    const char *name;          /* relative to the table directory */
    int64_t rows;
    int64_t bytes;             /* file size; -1: not checked */
    uint32_t crc32;
    const char *receipt;       /* JSON members written into the file's entry; NULL: none */
} sl_manifest_file;

typedef struct sl_manifest {
    const sl_manifest_file *files;
    int nfiles;
    double snapshot_time;      /* source snapshot, seconds since the epoch; 0: unknown */
    const char *receipt;       /* "receipt": the table's (JSON object); NULL: none */
    const char *source;        /* "source": the snapshot its tasks read (JSON object); NULL: none */
} sl_manifest;

typedef struct sl_publish_result {
    bool already;              /* the live table was already this run's (crash after the swap) */
    bool atomic;               /* published with RENAME_EXCHANGE or a single rename */
    bool replaced;             /* there was a live table before */
    int64_t rows, bytes;       /* totals of the manifest */
} sl_publish_result;

/* The manifest's text for sg's table (job, run, run_started, table, files,
 * totals), as sl_publish_table writes it; an object store writes the same.
 * Only sg's job, run_id, run_started and table are read. */
struct sl_buf;
void sl_publish_manifest_text(const sl_staging *sg, const sl_manifest *m, struct sl_buf *b, int64_t *rows,
                              int64_t *bytes);

/* May job `job` publish its table at T/<table>? 0 yes: nothing is there, an
 * empty directory (taken over: nothing in it can be lost), a table of this
 * job (its manifest names the job, whatever the run or state store), or a
 * directory of part files only (a table of a sluice from before manifests).
 * -1 no, err naming the path, what is there and the remedy: a file, a
 * symbolic link, a directory with other files, or another job's table.
 * sl_publish_table checks it again right before the swap. */
int sl_publish_check_live(const char *target_dir, const char *job, const char *table, sl_err *err);

/* Publishes the staged table (see the protocol above). The listed files must
 * all be in the staging directory; other entries there are removed first. */
int sl_publish_table(const sl_staging *sg, const sl_manifest *m, sl_publish_result *res, sl_err *err);

/* Which job and run published the live table T/<table>: returns 1 and fills
 * job/run_id from its manifest, 0 when there is no live table or manifest. */
int sl_publish_live_run(const char *target_dir, const char *table, char *job, size_t job_size, int64_t *run_id,
                        sl_err *err);

/* The rows of the live table T/<table> by its manifest: 1 and *rows, 0 when
 * there is no live manifest (the mass-delete guard's max_shrink). */
int sl_publish_live_rows(const char *target_dir, const char *table, int64_t *rows, sl_err *err);

/* On resume, before redoing anything for a table: 1 when its live version
 * was already published by this job and run (a crash after the swap, before
 * the state store heard of it: mark it published and skip it), 0 when not,
 * -1 on error. */
int sl_publish_already(const sl_staging *sg, sl_err *err);

/* ---- one run of a job per target ---- */

/* Takes the job's lock on the target's staging area (creating it),
 * T/.sluice-staging/<job>/.lock (sl_lock.h): the run lock in the state
 * directory does not see a run of the same job name that uses another state
 * store, and both would stage into run-1. Fails (SL_EIO) naming the other
 * run; the caller then leaves that target's staging alone. */
sl_lock *sl_publish_lock_target(const char *target_dir, const char *job, sl_err *err);
/* Releases it and removes the staging directories left empty; NULL is fine. */
void sl_publish_unlock_target(sl_lock *lk, const char *target_dir, const char *job);

/* ---- recovery ---- */

/* Removes the staging directories of the job's runs other than keep_run_id
 * (0: all of them): unfinished runs that are not being resumed. *removed
 * counts the run directories removed (may be NULL). */
int sl_publish_clean_stale(const char *target_dir, const char *job, int64_t keep_run_id, int *removed,
                           sl_err *err);
/* After a run that did not finish: removes temporaries, the table
 * directories of the run that hold no finished file, then the run's
 * directory and empty parents when nothing is left; finished files stay for
 * a resume (*kept_files counts them; may be NULL). */
int sl_publish_clean_unfinished(const char *target_dir, const char *job, int64_t run_id, int *kept_files,
                                sl_err *err);
/* Removes a finished run's staging directory (and empty parents). */
int sl_publish_clean_run(const char *target_dir, const char *job, int64_t run_id, sl_err *err);

/* Tests: publish as on a file system without RENAME_EXCHANGE. */
void sl_publish_force_fallback(bool on);

#endif
