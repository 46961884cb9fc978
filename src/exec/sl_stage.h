/*
 * sl_stage.h - the staging area of a table and its atomic publication.
 *
 * Layout under a target path P, for table T of run R:
 *   P/T/                              the live table (what readers see)
 *   P/.sluice-staging/T.R/            this run's files while it runs
 *   P/.sluice-staging/T.R/part-00003.csv.tmp   a task file being written
 *   P/.sluice-staging/T.R/part-00003.csv       a finished task file
 *
 *   sl_stage st; sl_stage_init(&st, target_path, table, run_id, err);   // mkdir -p
 *   sl_stage_part_path(&st, 3, "csv", tmp, final, size);   // names of a part file
 *   sl_stage_commit_part(tmp, final, err);                 // rename (file already fsynced)
 *   sl_stage_publish(&st, err);   // fsync, exchange with P/T, fsync P, remove the old version
 *   or sl_stage_discard(&st);     // remove the staging directory, live untouched
 *   sl_stage_free(&st);
 *
 * Publication: renameat2(RENAME_EXCHANGE) swaps the staged directory with
 * the live one in one step (a plain rename when there is no live one yet),
 * then the parent is fsynced and the old version, now in the staging place,
 * is removed. A file system without RENAME_EXCHANGE falls back to two
 * renames with a short window, and says so in a warning.
 */
#ifndef SL_STAGE_H
#define SL_STAGE_H

#include "../core/sl_error.h"

#include <stddef.h>

typedef struct sl_stage {
    char *target;            /* P */
    char *live;              /* P/T */
    char *root;              /* P/.sluice-staging */
    char *dir;               /* P/.sluice-staging/T.R */
} sl_stage;

int sl_stage_init(sl_stage *st, const char *target_path, const char *table, const char *run_id, sl_err *err);
void sl_stage_part_path(const sl_stage *st, int index, const char *ext, char *tmp, char *final, size_t size);
int sl_stage_commit_part(const char *tmp, const char *final, sl_err *err);
int sl_stage_publish(sl_stage *st, sl_err *err);
void sl_stage_discard(sl_stage *st);
void sl_stage_free(sl_stage *st);

/* mkdir -p; fsync of a directory; rm -rf. Each returns -1 with err (rm: errno). */
int sl_mkdirs(const char *path, sl_err *err);
int sl_fsync_dir(const char *path, sl_err *err);
int sl_remove_tree(const char *path);

#endif
