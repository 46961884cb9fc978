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

/* sl_job_alerts.c: the `alerts:` section (a sequence), when present. */
int sl_jp_alerts(sl_jp *p, yaml_node_t *root);

#endif
