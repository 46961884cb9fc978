/*
 * sl_state_migrations.c - the state store's schema (sl_state_int.h):
 * migration i takes it from version i to i + 1; sl_state.c applies the
 * missing ones when it opens a store, each in its own transaction.
 */
#include "sl_state_int.h"

const char *const sl_state_migrations[SL_STATE_SCHEMA_VERSION] = {
    /* 0 -> 1: the tables */
    "CREATE TABLE runs("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  job TEXT NOT NULL,"
    "  job_hash TEXT NOT NULL,"
    "  started REAL NOT NULL,"
    "  ended REAL,"
    "  status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','killed')),"
    "  pid INTEGER,"
    "  host TEXT,"
    "  error TEXT);"
    "CREATE TABLE tables("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  target TEXT,"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','published','failed')),"
    "  published_at REAL,"
    "  rows INTEGER,"
    "  bytes INTEGER,"
    "  snapshot_time REAL,"
    "  error TEXT,"
    "  PRIMARY KEY (run_id, name));"
    "CREATE TABLE tasks("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  run_id INTEGER NOT NULL,"
    "  table_name TEXT NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  predicate TEXT,"
    "  est_rows INTEGER,"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','running','done','failed')),"
    "  rows INTEGER,"
    "  bytes INTEGER,"
    "  seconds REAL,"
    "  worker INTEGER,"
    "  file_name TEXT,"
    "  file_size INTEGER,"
    "  crc32 INTEGER,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  UNIQUE (run_id, table_name, idx),"
    "  FOREIGN KEY (run_id, table_name) REFERENCES tables(run_id, name) ON DELETE CASCADE);"
    "CREATE TABLE attempts("
    "  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  number INTEGER NOT NULL,"
    "  started REAL NOT NULL,"
    "  ended REAL,"
    "  outcome TEXT NOT NULL DEFAULT 'running' CHECK (outcome IN ('running','ok','retry','failed','killed')),"
    "  error_code TEXT,"
    "  error_message TEXT,"
    "  worker INTEGER,"
    "  PRIMARY KEY (task_id, number));"
    "CREATE TABLE files("
    "  run_id INTEGER NOT NULL,"
    "  table_name TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  task_id INTEGER,"
    "  rows INTEGER,"
    "  bytes INTEGER,"
    "  crc32 INTEGER,"
    "  PRIMARY KEY (run_id, table_name, path));",
    /* 1 -> 2: resume counter; indexes for status and per-task lookups */
    "ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX runs_by_job ON runs(job, id);"
    "CREATE INDEX files_by_task ON files(task_id);",
    /* 2 -> 3: the columns a table's tasks write, so a resume never mixes schemas */
    "ALTER TABLE tables ADD COLUMN columns TEXT;",
    /* 3 -> 4: a table may land in several targets: files are per target ('' for
     * the first target of a run begun before) */
    "CREATE TABLE files4("
    "  run_id INTEGER NOT NULL,"
    "  table_name TEXT NOT NULL,"
    "  target TEXT NOT NULL DEFAULT '',"
    "  path TEXT NOT NULL,"
    "  task_id INTEGER,"
    "  rows INTEGER,"
    "  bytes INTEGER,"
    "  crc32 INTEGER,"
    "  PRIMARY KEY (run_id, table_name, target, path));"
    "INSERT INTO files4(run_id, table_name, path, task_id, rows, bytes, crc32) "
    "  SELECT run_id, table_name, path, task_id, rows, bytes, crc32 FROM files;"
    "DROP TABLE files;"
    "ALTER TABLE files4 RENAME TO files;"
    "CREATE INDEX files_by_task ON files(task_id);",
    /* 4 -> 5: load receipts: per task its aggregates (a blob, core/sl_receipt.h)
     * and the source snapshot it read; per table the merged receipt (JSON) */
    "ALTER TABLE tasks ADD COLUMN receipt BLOB;"
    "ALTER TABLE tasks ADD COLUMN source TEXT;"
    "ALTER TABLE tables ADD COLUMN receipt TEXT;",
    /* 5 -> 6: data checks: per run, table and rule its result (a resumed
     * run's checks replace the table's rows) */
    "CREATE TABLE checks("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  table_name TEXT NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  rule TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  failing INTEGER NOT NULL,"
    "  examples TEXT,"
    "  detail TEXT,"
    "  seconds REAL,"
    "  checked_at REAL,"
    "  PRIMARY KEY (run_id, table_name, idx));",
    /* 6 -> 7: row-level checks judged in the task loop: per task and rule its
     * failing rows and example keys (idx -1: the rows split off the output),
     * so a resumed run's kept tasks need no re-read */
    "CREATE TABLE task_checks("
    "  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  failing INTEGER NOT NULL,"
    "  examples TEXT,"
    "  PRIMARY KEY (task_id, idx));",
    /* 7 -> 8: incremental loads: the published high watermark per table and
     * set of targets, and what each run read (so a resume reads the same) */
    "CREATE TABLE incr_state("
    "  job TEXT NOT NULL,"
    "  table_name TEXT NOT NULL,"
    "  targets TEXT NOT NULL,"
    "  settings TEXT NOT NULL,"
    "  columns TEXT,"
    "  watermark TEXT,"
    "  run_id INTEGER,"
    "  updated REAL,"
    "  PRIMARY KEY (job, table_name, targets));"
    "CREATE TABLE incr_runs("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  table_name TEXT NOT NULL,"
    "  targets TEXT NOT NULL,"
    "  settings TEXT NOT NULL,"
    "  columns TEXT,"
    "  first INTEGER NOT NULL,"
    "  low TEXT,"
    "  high TEXT,"
    "  rows INTEGER,"
    "  deleted INTEGER,"
    "  published INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run_id, table_name));",
};
