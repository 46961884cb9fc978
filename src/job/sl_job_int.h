/*
 * sl_job_int.h - the job parser's insides, shared by the files of src/job/
 * that parse one section or key family each (sl_job.c: sources, targets,
 * tables; further sections in files of their own). Not for other layers.
 */
#ifndef SL_JOB_INT_H
#define SL_JOB_INT_H

#include "sl_job.h"
#include "sl_job_yaml.h"
#include "../core/sl_strmap.h"

typedef struct sl_jp {
    sl_jy y;
    sl_job *job;
    sl_strmap sources, targets; /* name -> index, for from: and to: */
    bool has_sql;               /* some table has `sql:` (a work target and a transform section apply) */
    yaml_node_t *defaults;      /* `defaults:`, merged into every table's map (sl_job_patterns.c) */
    bool in_pattern;            /* parsing a pattern's keys: no table:/query:, no name check */
} sl_jp;

/* Keys given in map that `kind` does not use: an error naming the kinds that do. */
int sl_jp_reject_keys(sl_jp *p, yaml_node_t *map, const char *path, const char *const *keys, const char *kind, const char *who);
/* A path relative to the job file's directory (absolute paths as they are). */
char *sl_jp_resolve(sl_jp *p, const char *path);
/* An integer key within [min, max] (left alone when absent). */
int sl_jp_int_key(sl_jp *p, yaml_node_t *map, const char *key, const char *path, int64_t min, int64_t max, int *out);
/* A key's string value (left alone when absent); empty or blank is an error saying `what` to give. */
int sl_jp_text_key(sl_jp *p, yaml_node_t *map, const char *key, const char *path, const char *what, char **out);
/* A reference (`from:` or `to:`) to a source or target by name, with "did you mean". */
int sl_jp_ref(sl_jp *p, yaml_node_t *v, const char *path, const char *what, const sl_strmap *defined, const char *const *names, int n, int *index);
/* A column type word (int64, decimal(12,2), ...). */
int sl_jp_type(sl_jp *p, yaml_node_t *v, const char *path, sl_type *out);
/* `key: id`, `key: [a, b]`: column names, none twice. */
int sl_jp_name_list(sl_jp *p, yaml_node_t *v, const char *path, char ***out, int *n);
/* Column names checked against the table's columns when the job gives its whole schema. */
int sl_jp_known_columns(sl_jp *p, yaml_node_t *v, const char *path, const sl_job_table *t, char **names, int n);

/* `to:` (one target or a list) into t->targets, t->target, t->to. */
int sl_jp_to(sl_jp *p, yaml_node_t *to, const char *path, sl_job_table *t, const char *const *target_names);
/* A table's warehouse keys (write, key, ...), rejected for lake targets. */
int sl_jp_warehouse_table(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t);

/* sl_job_sql.c: computed tables. has_sql: whether a table of the root's `tables:` has `sql:`;
 * setup: the `transform:` section, the work target and the sql source (after targets, before tables);
 * sql_table: one table with `sql:`; finish: the work target given to the tables the queries read
 * that have no parquet target, and tables without `to:` checked (after all tables). */
bool sl_jp_has_sql(sl_jp *p, yaml_node_t *root);
int sl_jp_sql_setup(sl_jp *p, yaml_node_t *root);
int sl_jp_sql_table(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t, const char *const *target_names);
int sl_jp_sql_finish(sl_jp *p, yaml_node_t *tables);
/* sl_job_checks.c: a table's `checks:`, `on_bad_rows:`, `max_bad_rows:`
 * (sl_jp_table calls it), and after every table is parsed, the tables that
 * `references:` rules name. */
int sl_jp_checks(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t);
/* sl_job_guard.c: max_delete_ratio, max_shrink. */
int sl_jp_guard(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t);
int sl_jp_checks_resolve(sl_jp *p);
/* sl_job_incr.c: a table's `incremental:` and `deletes:` (before sl_jp_warehouse_table, which then
 * accepts write/key for lake targets of an incremental table). */
int sl_jp_incremental(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t);
int sl_jp_incremental_check(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t);
/* One table's definition (sl_job.c). */
int sl_jp_table(sl_jp *p, const char *name, yaml_node_t *key, yaml_node_t *map, sl_job_table *t,
                const char *const *source_names, const char *const *target_names);

/* sl_job_patterns.c: `defaults:` (checked once; merged into each table's
 * mapping, the table's own keys winning), table keys with globs, and the
 * postgres type keys every table may give (unsupported, trim_char, numeric). */
int sl_jp_defaults(sl_jp *p, yaml_node_t *root);
int sl_jp_apply_defaults(sl_jp *p, yaml_node_t *map);
bool sl_jp_is_pattern(const char *key);
int sl_jp_pattern(sl_jp *p, const char *key_text, yaml_node_t *key, yaml_node_t *map, int at,
                  const char *const *source_names, const char *const *target_names);
int sl_jp_table_types(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t);
/* sl_job_alerts.c: the `alerts:` section (a sequence), when present. */
int sl_jp_alerts(sl_jp *p, yaml_node_t *root);

#endif
