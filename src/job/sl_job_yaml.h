/*
 * sl_job_yaml.h - reading a libyaml document tree the way the job file needs
 * it (internal to src/job/).
 *
 * Every helper reports errors as "<file>:<line>:<column>: <path>: <what>",
 * where <path> names the place in the job ("tables.orders.partition"), and
 * returns -1. Scalars read as values pass through ${ENV} interpolation
 * (sl_jy_interpolate); keys never do.
 *
 *   sl_jy y; sl_jy_open(&y, text, len, file, arena, err);
 *   yaml_node_t *root = sl_jy_root(&y);
 *   sl_jy_check_keys(&y, root, "", allowed_keys);
 *   char *name; sl_jy_string(&y, sl_jy_get(&y, root, "name"), "name", &name);
 *   sl_jy_close(&y);
 *
 * Strings returned live in the arena passed to sl_jy_open.
 */
#ifndef SL_JOB_YAML_H
#define SL_JOB_YAML_H

#include "../core/sl_alloc.h"
#include "../core/sl_error.h"

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

/* Limits that keep a hostile file from costing more than its size: nesting
 * depth (a job file needs about 6 levels), and how many values aliases may add
 * to the document when expanded (each *alias counts its anchor's values). */
#define SL_JY_MAX_DEPTH 64
#define SL_JY_MAX_ALIAS_NODES 1000000

/* The document: libyaml's node type, but the nodes live in one array and
 * their text and child lists in an arena (a node of its own per value is what
 * made a 10 MB file cost 350 MB and seconds). Node ids count from 1; the root
 * is node 1. */
typedef struct sl_jy {
    yaml_node_t *nodes;
    int nnodes, cap_nodes;
    sl_arena doc_arena;      /* scalars' text, child lists; freed by sl_jy_close */
    const char *file;        /* for messages */
    sl_arena *arena;
    sl_err *err;
} sl_jy;

/* Parses the text into a document; a YAML syntax error, an empty file, a
 * second document, nesting beyond SL_JY_MAX_DEPTH, an alias before (or
 * inside) its anchor and aliases expanding beyond SL_JY_MAX_ALIAS_NODES fail. */
int sl_jy_open(sl_jy *y, const char *text, size_t len, const char *file, sl_arena *arena, sl_err *err);
void sl_jy_close(sl_jy *y);
yaml_node_t *sl_jy_root(sl_jy *y);

/* "file:line:col: path: message" into y->err (code SL_EJOB); returns -1. */
int sl_jy_fail(sl_jy *y, const yaml_node_t *node, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "a mapping", "a list", "a string", "nothing" for messages. */
const char *sl_jy_what(const yaml_node_t *node);
bool sl_jy_is_null(const yaml_node_t *node);
int sl_jy_expect_map(sl_jy *y, const yaml_node_t *node, const char *path);

/* Unknown keys (with a did-you-mean among `allowed`, a NULL-terminated list),
 * duplicate keys and keys that are not scalars are errors. */
int sl_jy_check_keys(sl_jy *y, yaml_node_t *map, const char *path, const char *const *allowed);
/* The value of a key in a mapping, or NULL when absent. */
yaml_node_t *sl_jy_get(sl_jy *y, yaml_node_t *map, const char *key);
/* The node of key/value pair i of a mapping (for name -> definition maps). */
int sl_jy_map_len(const yaml_node_t *map);
yaml_node_t *sl_jy_map_key(sl_jy *y, const yaml_node_t *map, int i);
yaml_node_t *sl_jy_map_value(sl_jy *y, const yaml_node_t *map, int i);
int sl_jy_seq_len(const yaml_node_t *seq);
yaml_node_t *sl_jy_seq_item(sl_jy *y, const yaml_node_t *seq, int i);
/* A key's text, raw (keys are not interpolated). */
const char *sl_jy_key_text(sl_jy *y, const yaml_node_t *key);

/* Scalar values. The node must not be NULL. */
int sl_jy_string(sl_jy *y, const yaml_node_t *node, const char *path, char **out);
/* A string that is not empty or only blanks after interpolation (paths,
 * URLs, names); `what` says what to give ("the directory tables are written
 * to"). */
int sl_jy_text(sl_jy *y, const yaml_node_t *node, const char *path, const char *what, char **out);
bool sl_jy_blank(const char *s);
int sl_jy_int(sl_jy *y, const yaml_node_t *node, const char *path, int64_t min, int64_t max, int64_t *out);
int sl_jy_bool(sl_jy *y, const yaml_node_t *node, const char *path, bool *out);
int sl_jy_double(sl_jy *y, const yaml_node_t *node, const char *path, double min, double *out);
/* "500ms", "1s", "2m", "1h" or a plain number of seconds. */
int sl_jy_duration(sl_jy *y, const yaml_node_t *node, const char *path, double *seconds);
/* "128MiB", "64KB", "1GB" or a plain number of bytes, from min to max. */
int sl_jy_size(sl_jy *y, const yaml_node_t *node, const char *path, int64_t min, int64_t max, int64_t *bytes);
/* One of `choices` (NULL-terminated), with a did-you-mean otherwise. */
int sl_jy_choice(sl_jy *y, const yaml_node_t *node, const char *path, const char *const *choices, char **out);

/* The shell's ${...} in text, into the arena: ${VAR} (an error when VAR is
 * not set), ${VAR-word} / ${VAR:-word} (word when VAR is unset / unset or
 * empty), ${VAR+word} / ${VAR:+word} (word when VAR is set / set and not
 * empty, else nothing), ${VAR?msg} / ${VAR:?msg} (an error with msg when VAR
 * is unset / unset or empty); words may hold ${...} themselves, expanded only
 * when used. $$ is a literal $; a $ before anything else stays as it is.
 * ${VAR=word} (assignment) and other forms are errors saying what works. */
int sl_jy_interpolate(sl_jy *y, const yaml_node_t *node, const char *path, const char *text, size_t len,
                      char **out);

/* Edit distance (case-insensitive), and the closest candidate within a
 * small distance of word, or NULL. */
int sl_edit_distance(const char *a, const char *b);
const char *sl_did_you_mean(const char *word, const char *const *candidates, int n);

#endif
