/*
 * sl_csv_rejects.h - the rejects file of a csv table (`rejects: path`): the
 * rows set aside as malformed, a CSV of file,line,reason,raw.
 *
 * Each task writes its rows into a piece of its own beside the file
 * (".<name>.task-N", made at the task's first bad row; its directory too),
 * and the file is rebuilt from the pieces of all tasks, in task order, when
 * the table finishes in a run. So:
 *   - preparing a table touches nothing: `plan` and `validate` leave the
 *     file as it is (only a task being opened marks the table as run);
 *   - a resumed run keeps the rows of the tasks it kept (their pieces stay);
 *   - a task run again (a retry, a resume, the next run) replaces its piece.
 * Pieces stay after the run (one per task that had bad rows) so that a
 * later resume can rebuild the whole file. Limits: the source cannot tell a
 * fresh run from a resume, so after a failed run the file may also hold
 * the rows of an earlier run's tasks that did not run again; and a resume
 * that keeps every task of a table (killed after its last task, before it
 * was published) runs no task, so the file is not rebuilt (the pieces
 * still hold the rows).
 *
 *   sl_csv_rejects_init(&rj, path);                   // no I/O
 *   per task (a worker thread):
 *     sl_csv_rejects_piece_open(&rj, task, &pc, &err)  // drops a stale piece
 *     sl_csv_rejects_piece_add(&rj, &pc, ...)          // per bad row
 *     sl_csv_rejects_piece_close(&pc, &err)            // at the end of the file: fsync
 *     sl_csv_rejects_piece_abort(&pc)                  // or on the way out
 *   sl_csv_rejects_finish(&rj, ntasks);               // rebuild if a task ran, free
 */
#ifndef SL_CSV_REJECTS_H
#define SL_CSV_REJECTS_H

#include "../core/sl_error.h"
#include "../core/sl_out.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_csv_rejects {
    char *path;                  /* NULL: no rejects file (bad rows fail the table) */
    const char *table;           /* "table t", for messages */
    atomic_bool ran;             /* a task was opened: rebuild the file at finish */
    atomic_uint_fast64_t count;  /* rows set aside by this preparation's tasks */
} sl_csv_rejects;

typedef struct sl_csv_rejects_piece {
    char *path;                  /* this task's piece */
    sl_out *out;                 /* NULL until the first bad row */
} sl_csv_rejects_piece;

void sl_csv_rejects_init(sl_csv_rejects *rj, const char *path, const char *table);
int sl_csv_rejects_piece_open(sl_csv_rejects *rj, int task, sl_csv_rejects_piece *pc, sl_err *err);
int sl_csv_rejects_piece_add(sl_csv_rejects *rj, sl_csv_rejects_piece *pc, const char *file, int64_t line,
                             const char *reason, const uint8_t *raw, size_t rawlen, sl_err *err);
int sl_csv_rejects_piece_close(sl_csv_rejects_piece *pc, sl_err *err);
void sl_csv_rejects_piece_abort(sl_csv_rejects_piece *pc);
void sl_csv_rejects_finish(sl_csv_rejects *rj, int ntasks);

#endif
