/*
 * sl_job_yaml.c - typed access to a libyaml document for the job parser:
 * positions in messages, key checking with did-you-mean, scalar conversion
 * (strings, integers, booleans, durations, sizes, choices) and the shell's
 * ${...} interpolation. See sl_job_yaml.h.
 *
 * The document is built here from libyaml's parser events (sl_jy_compose),
 * not by yaml_parser_load: that caps nesting (libyaml's scanner costs time
 * proportional to the depth for every token), looks anchors up in a hash map,
 * bounds what aliases add when expanded, and refuses a second document.
 * Aliases make the tree a graph but never a cycle: an anchor is registered
 * when its node is complete.
 *
 * libyaml marks are 0-based; messages print them 1-based, as editors do.
 */
#include "sl_job_yaml.h"

#include "../core/sl_buf.h"
#include "../core/sl_strmap.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Positions in messages: libyaml marks are 0-based, editors count from 1. */
static int sl_jy_fail_at(sl_jy *y, yaml_mark_t mark, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sl_jy_fail_at(sl_jy *y, yaml_mark_t mark, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_err_set(y->err, SL_EJOB, "%s:%zu:%zu: %s", y->file, mark.line + 1, mark.column + 1, msg);
}

/* A collection being built: its node, where its children start on the
 * composer's child stack, its size with aliases expanded, and its &anchor
 * (registered when it is complete, so an alias cannot point into its own node). */
typedef struct sl_jy_frame {
    int node;
    size_t kids;
    uint64_t weight;
    char *anchor;
} sl_jy_frame;

/* The state of sl_jy_compose: open collections and the anchors seen. */
typedef struct sl_jy_composer {
    sl_jy_frame stack[SL_JY_MAX_DEPTH];
    int depth;
    sl_strmap anchors;       /* name -> index into anchor_node / anchor_weight */
    int *anchor_node;
    uint64_t *anchor_weight;
    int nanchors, cap_anchors;
    uint64_t alias_nodes;    /* nodes the aliases add when expanded */
    int *kids;               /* children of the open collections, in order */
    size_t nkids, cap_kids;
} sl_jy_composer;

static yaml_node_t *sl_jy_node(sl_jy *y, int id) { return &y->nodes[id - 1]; }

/* A new node of `type` at the event's position; returns its id. */
static int sl_jy_add(sl_jy *y, yaml_node_type_t type, const yaml_event_t *ev)
{
    if (y->nnodes == y->cap_nodes) {
        y->cap_nodes = y->cap_nodes ? y->cap_nodes * 2 : 256;
        y->nodes = sl_realloc(y->nodes, sizeof *y->nodes * (size_t)y->cap_nodes);
    }
    yaml_node_t *n = &y->nodes[y->nnodes++];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->start_mark = ev->start_mark;
    n->end_mark = ev->end_mark;
    return y->nnodes;
}

static void sl_jy_anchor(sl_jy *y, sl_jy_composer *c, const char *name, int node, uint64_t weight)
{
    if (!name) return;
    int i = sl_strmap_get(&c->anchors, name, strlen(name));
    if (i < 0) { /* a name seen again later names the later node, as in YAML */
        if (c->nanchors == c->cap_anchors) {
            c->cap_anchors = c->cap_anchors ? c->cap_anchors * 2 : 16;
            c->anchor_node = sl_realloc(c->anchor_node, sizeof *c->anchor_node * (size_t)c->cap_anchors);
            c->anchor_weight = sl_realloc(c->anchor_weight, sizeof *c->anchor_weight * (size_t)c->cap_anchors);
        }
        i = c->nanchors++;
        char *key = sl_arena_strdup(&y->doc_arena, name);
        sl_strmap_put(&c->anchors, key, strlen(key), i);
    }
    c->anchor_node[i] = node;
    c->anchor_weight[i] = weight;
}

/* Hangs a finished node (or an alias to one) under the open collection. */
static void sl_jy_attach(sl_jy_composer *c, int node, uint64_t weight)
{
    if (c->depth == 0) return; /* the root: node 1, added first */
    c->stack[c->depth - 1].weight += weight;
    if (c->nkids == c->cap_kids) {
        c->cap_kids = c->cap_kids ? c->cap_kids * 2 : 256;
        c->kids = sl_realloc(c->kids, sizeof *c->kids * c->cap_kids);
    }
    c->kids[c->nkids++] = node;
}

/* A collection is complete: its children move from the stack to the arena. */
static void sl_jy_close_collection(sl_jy *y, sl_jy_composer *c, const sl_jy_frame *f)
{
    yaml_node_t *n = sl_jy_node(y, f->node);
    size_t count = c->nkids - f->kids;
    const int *kids = count ? c->kids + f->kids : NULL; /* no stack yet when nothing was added */
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *items = sl_arena_alloc(&y->doc_arena, sizeof *items * (count ? count : 1));
        if (count) memcpy(items, kids, sizeof *items * count);
        n->data.sequence.items.start = items;
        n->data.sequence.items.top = n->data.sequence.items.end = items + count;
    } else { /* libyaml gives every key a value (an empty scalar if need be) */
        size_t npairs = count / 2;
        yaml_node_pair_t *pairs = sl_arena_alloc(&y->doc_arena, sizeof *pairs * (npairs ? npairs : 1));
        for (size_t i = 0; i < npairs; i++) pairs[i] = (yaml_node_pair_t){ kids[2 * i], kids[2 * i + 1] };
        n->data.mapping.pairs.start = pairs;
        n->data.mapping.pairs.top = n->data.mapping.pairs.end = pairs + npairs;
    }
    c->nkids = f->kids;
}

/* One event into the document. Returns 1 at the end of the stream. */
static int sl_jy_event(sl_jy *y, sl_jy_composer *c, yaml_event_t *ev, int *docs)
{
    int id;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if ((*docs)++)
            return sl_jy_fail_at(y, ev->start_mark, "a second YAML document starts here; a job file is one document "
                                                    "(remove this '---' and what follows, or move it to a file of its own)");
        return 0;
    case YAML_SCALAR_EVENT: {
        id = sl_jy_add(y, YAML_SCALAR_NODE, ev);
        yaml_node_t *n = sl_jy_node(y, id);
        n->data.scalar.value = (yaml_char_t *)sl_arena_strndup(&y->doc_arena, (const char *)ev->data.scalar.value,
                                                               ev->data.scalar.length);
        n->data.scalar.length = ev->data.scalar.length;
        n->data.scalar.style = ev->data.scalar.style;
        sl_jy_anchor(y, c, (const char *)ev->data.scalar.anchor, id, 1);
        sl_jy_attach(c, id, 1);
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (c->depth == SL_JY_MAX_DEPTH)
            return sl_jy_fail_at(y, ev->start_mark, "nested deeper than %d levels (a job file needs about 6); "
                                                    "check the brackets and indentation here", SL_JY_MAX_DEPTH);
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        id = sl_jy_add(y, seq ? YAML_SEQUENCE_NODE : YAML_MAPPING_NODE, ev);
        if (seq) sl_jy_node(y, id)->data.sequence.style = ev->data.sequence_start.style;
        else sl_jy_node(y, id)->data.mapping.style = ev->data.mapping_start.style;
        yaml_char_t *anchor = seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
        c->stack[c->depth++] = (sl_jy_frame){ .node = id, .kids = c->nkids, .weight = 1,
                                              .anchor = anchor ? sl_strdup((const char *)anchor) : NULL };
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        sl_jy_frame f = c->stack[--c->depth];
        sl_jy_node(y, f.node)->end_mark = ev->end_mark;
        sl_jy_close_collection(y, c, &f);
        sl_jy_anchor(y, c, f.anchor, f.node, f.weight);
        sl_free(f.anchor);
        sl_jy_attach(c, f.node, f.weight);
        return 0;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        int i = sl_strmap_get(&c->anchors, name, strlen(name));
        if (i < 0)
            return sl_jy_fail_at(y, ev->start_mark, "alias *%s names no anchor before it (define &%s on a complete "
                                                    "value earlier in the file)", name, name);
        c->alias_nodes += c->anchor_weight[i];
        if (c->alias_nodes > SL_JY_MAX_ALIAS_NODES)
            return sl_jy_fail_at(y, ev->start_mark, "aliases expand the document by more than %d values; "
                                                    "write the repeated parts out, or use fewer aliases",
                                 SL_JY_MAX_ALIAS_NODES);
        sl_jy_attach(c, c->anchor_node[i], c->anchor_weight[i]);
        return 0;
    }
    default:
        return 0;
    }
}

/* Builds the document from parser events rather than yaml_parser_load: the
 * nesting is capped (libyaml's scanner costs time proportional to the depth
 * for every token, so deep nesting was quadratic), aliases are looked up in a
 * hash map and their expansion is bounded, and a second document is an
 * error instead of being ignored. */
static int sl_jy_compose(sl_jy *y, yaml_parser_t *parser)
{
    sl_jy_composer c = { .depth = 0 };
    int docs = 0, rc = 0;
    while (rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev)) {
            const yaml_mark_t *m = parser->problem ? &parser->problem_mark : &parser->context_mark;
            rc = sl_jy_fail_at(y, *m, "invalid YAML: %s%s%s", parser->problem ? parser->problem : "syntax error",
                               parser->context ? " " : "", parser->context ? parser->context : "");
            break;
        }
        rc = sl_jy_event(y, &c, &ev, &docs);
        yaml_event_delete(&ev);
    }
    while (c.depth > 0) sl_free(c.stack[--c.depth].anchor);
    sl_strmap_free(&c.anchors);
    sl_free(c.anchor_node);
    sl_free(c.anchor_weight);
    sl_free(c.kids);
    return rc < 0 ? -1 : 0;
}

int sl_jy_open(sl_jy *y, const char *text, size_t len, const char *file, sl_arena *arena, sl_err *err)
{
    memset(y, 0, sizeof *y);
    y->file = file;
    y->arena = arena;
    y->err = err;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return sl_err_set(err, SL_EINTERNAL, "%s: cannot initialise the YAML parser", file);
    sl_arena_init(&y->doc_arena, 64 * 1024);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = sl_jy_compose(y, &parser);
    yaml_parser_delete(&parser);
    if (rc < 0) return -1;
    if (!y->nnodes)
        return sl_err_set(err, SL_EJOB, "%s:1:1: the job file is empty (expected keys name, sources, targets, tables)", file);
    return 0;
}

void sl_jy_close(sl_jy *y)
{
    sl_free(y->nodes);
    y->nodes = NULL;
    y->nnodes = y->cap_nodes = 0;
    sl_arena_destroy(&y->doc_arena);
}

yaml_node_t *sl_jy_root(sl_jy *y) { return y->nnodes ? &y->nodes[0] : NULL; }

int sl_jy_fail(sl_jy *y, const yaml_node_t *node, const char *path, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line = node ? node->start_mark.line + 1 : 1, col = node ? node->start_mark.column + 1 : 1;
    if (path && *path)
        return sl_err_set(y->err, SL_EJOB, "%s:%zu:%zu: %s: %s", y->file, line, col, path, msg);
    return sl_err_set(y->err, SL_EJOB, "%s:%zu:%zu: %s", y->file, line, col, msg);
}

bool sl_jy_is_null(const yaml_node_t *node)
{
    if (!node) return true;
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    const char *v = (const char *)node->data.scalar.value;
    return node->data.scalar.length == 0 || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

const char *sl_jy_what(const yaml_node_t *node)
{
    if (!node || sl_jy_is_null(node)) return "nothing";
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a scalar";
    }
}

int sl_jy_expect_map(sl_jy *y, const yaml_node_t *node, const char *path)
{
    if (node && node->type == YAML_MAPPING_NODE) return 0;
    return sl_jy_fail(y, node, path, "expected a mapping (key: value lines or { ... }), found %s", sl_jy_what(node));
}

int sl_jy_map_len(const yaml_node_t *map)
{
    return (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

yaml_node_t *sl_jy_map_key(sl_jy *y, const yaml_node_t *map, int i)
{
    return sl_jy_node(y, map->data.mapping.pairs.start[i].key);
}

yaml_node_t *sl_jy_map_value(sl_jy *y, const yaml_node_t *map, int i)
{
    return sl_jy_node(y, map->data.mapping.pairs.start[i].value);
}

int sl_jy_seq_len(const yaml_node_t *seq)
{
    return (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *sl_jy_seq_item(sl_jy *y, const yaml_node_t *seq, int i)
{
    return sl_jy_node(y, seq->data.sequence.items.start[i]);
}

const char *sl_jy_key_text(sl_jy *y, const yaml_node_t *key)
{
    (void)y;
    if (!key || key->type != YAML_SCALAR_NODE) return NULL;
    return (const char *)key->data.scalar.value;
}

int sl_jy_check_keys(sl_jy *y, yaml_node_t *map, const char *path, const char *const *allowed)
{
    int nallowed = 0;
    while (allowed[nallowed]) nallowed++;
    int n = sl_jy_map_len(map);
    for (int i = 0; i < n; i++) {
        yaml_node_t *key = sl_jy_map_key(y, map, i);
        const char *k = sl_jy_key_text(y, key);
        if (!k || strlen(k) != key->data.scalar.length)
            return sl_jy_fail(y, key, path, "a key must be a plain word, found %s", sl_jy_what(key));
        int a;
        for (a = 0; a < nallowed; a++)
            if (!strcmp(k, allowed[a])) break;
        if (a == nallowed) {
            char list[512] = "";
            size_t used = 0;
            for (int j = 0; j < nallowed && used < sizeof list; j++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
            const char *hint = sl_did_you_mean(k, allowed, nallowed);
            if (hint)
                return sl_jy_fail(y, key, path, "unknown key '%s' (did you mean '%s'?)", k, hint);
            return sl_jy_fail(y, key, path, "unknown key '%s' (expected one of: %s)", k, list);
        }
        for (int j = 0; j < i; j++) {
            const char *other = sl_jy_key_text(y, sl_jy_map_key(y, map, j));
            if (other && !strcmp(other, k)) return sl_jy_fail(y, key, path, "key '%s' appears twice", k);
        }
    }
    return 0;
}

yaml_node_t *sl_jy_get(sl_jy *y, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    int n = sl_jy_map_len(map);
    for (int i = 0; i < n; i++) {
        const char *k = sl_jy_key_text(y, sl_jy_map_key(y, map, i));
        if (k && !strcmp(k, key)) return sl_jy_map_value(y, map, i);
    }
    return NULL;
}

/* The scalar's text after interpolation; fails on anything but a non-null scalar. */
static int sl_jy_scalar(sl_jy *y, const yaml_node_t *node, const char *path, const char *expected, char **out)
{
    if (!node || node->type != YAML_SCALAR_NODE || sl_jy_is_null(node))
        return sl_jy_fail(y, node, path, "expected %s, found %s", expected, sl_jy_what(node));
    const char *v = (const char *)node->data.scalar.value;
    size_t len = node->data.scalar.length;
    if (memchr(v, '\0', len)) return sl_jy_fail(y, node, path, "the value contains a NUL character");
    return sl_jy_interpolate(y, node, path, v, len, out);
}

int sl_jy_string(sl_jy *y, const yaml_node_t *node, const char *path, char **out)
{
    return sl_jy_scalar(y, node, path, "a string", out);
}

bool sl_jy_blank(const char *s)
{
    while (isspace((unsigned char)*s)) s++;
    return !*s;
}

int sl_jy_text(sl_jy *y, const yaml_node_t *node, const char *path, const char *what, char **out)
{
    if (sl_jy_scalar(y, node, path, "a string", out) < 0) return -1;
    if (!sl_jy_blank(*out)) return 0;
    const char *raw = (const char *)node->data.scalar.value;
    if (strstr(raw, "${"))
        return sl_jy_fail(y, node, path, "is empty after expanding '%.200s' (a variable unset or empty?); give %s",
                          raw, what);
    return sl_jy_fail(y, node, path, "is %s; give %s", **out ? "only blanks" : "empty", what);
}

int sl_jy_int(sl_jy *y, const yaml_node_t *node, const char *path, int64_t min, int64_t max, int64_t *out)
{
    char *s;
    if (sl_jy_scalar(y, node, path, "an integer", &s) < 0) return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || isspace((unsigned char)*s))
        return sl_jy_fail(y, node, path, "expected an integer, found '%s'", s);
    if (v < min || v > max)
        return sl_jy_fail(y, node, path, "%lld is out of range (%lld to %lld)", v, (long long)min, (long long)max);
    *out = v;
    return 0;
}

int sl_jy_bool(sl_jy *y, const yaml_node_t *node, const char *path, bool *out)
{
    char *s;
    if (sl_jy_scalar(y, node, path, "true or false", &s) < 0) return -1;
    static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) { *out = true; return 0; }
        if (!strcasecmp(s, no[i])) { *out = false; return 0; }
    }
    return sl_jy_fail(y, node, path, "expected true or false, found '%s'", s);
}

int sl_jy_double(sl_jy *y, const yaml_node_t *node, const char *path, double min, double *out)
{
    char *s;
    if (sl_jy_scalar(y, node, path, "a number", &s) < 0) return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || isspace((unsigned char)*s))
        return sl_jy_fail(y, node, path, "expected a number, found '%s'", s);
    if (v < min) return sl_jy_fail(y, node, path, "%s is too small (at least %g)", s, min);
    *out = v;
    return 0;
}

/* A number followed by a unit from `units`; returns the scaled value. */
static int sl_jy_with_unit(sl_jy *y, const yaml_node_t *node, const char *path, const char *what,
                           const char *const *units, const double *scales, double *out)
{
    char *s;
    if (sl_jy_scalar(y, node, path, what, &s) < 0) return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0 || isspace((unsigned char)*s))
        return sl_jy_fail(y, node, path, "expected %s, found '%s'", what, s);
    while (*end == ' ') end++;
    if (!*end) { *out = v; return 0; }
    for (int i = 0; units[i]; i++)
        if (!strcasecmp(end, units[i])) {
            *out = v * scales[i];
            return 0;
        }
    return sl_jy_fail(y, node, path, "expected %s, found '%s'", what, s);
}

int sl_jy_duration(sl_jy *y, const yaml_node_t *node, const char *path, double *seconds)
{
    static const char *const units[] = { "ms", "s", "sec", "m", "min", "h", NULL };
    static const double scales[] = { 0.001, 1, 1, 60, 60, 3600 };
    return sl_jy_with_unit(y, node, path, "a duration (500ms, 1s, 2m or a number of seconds)", units, scales,
                           seconds);
}

/* "64KiB", "1GiB" or a number of bytes, for messages about sizes. */
static const char *sl_jy_size_text(int64_t bytes, char *buf, size_t n)
{
    static const char *const units[] = { "GiB", "MiB", "KiB" };
    for (int i = 0; i < 3; i++) {
        int64_t unit = (int64_t)1 << (30 - 10 * i);
        if (bytes >= unit && bytes % unit == 0) {
            snprintf(buf, n, "%lld%s", (long long)(bytes / unit), units[i]);
            return buf;
        }
    }
    snprintf(buf, n, "%lld bytes", (long long)bytes);
    return buf;
}

int sl_jy_size(sl_jy *y, const yaml_node_t *node, const char *path, int64_t min, int64_t max, int64_t *bytes)
{
    static const char *const units[] = { "B", "KB", "KiB", "K", "MB", "MiB", "M", "GB", "GiB", "G", NULL };
    static const double scales[] = { 1, 1e3, 1024, 1024, 1e6, 1048576, 1048576, 1e9, 1073741824, 1073741824 };
    double v;
    if (sl_jy_with_unit(y, node, path, "a size (64KiB, 128MiB, 1GB or a number of bytes)", units, scales, &v) < 0)
        return -1;
    if (v < (double)min || v > (double)max) {
        char lo[32], hi[32];
        return sl_jy_fail(y, node, path, "'%s' is out of range (%s to %s)", (const char *)node->data.scalar.value,
                          sl_jy_size_text(min, lo, sizeof lo), sl_jy_size_text(max, hi, sizeof hi));
    }
    *bytes = (int64_t)v;
    return 0;
}

int sl_jy_choice(sl_jy *y, const yaml_node_t *node, const char *path, const char *const *choices, char **out)
{
    char *s;
    if (sl_jy_scalar(y, node, path, "a string", &s) < 0) return -1;
    int n = 0;
    while (choices[n]) n++;
    for (int i = 0; i < n; i++)
        if (!strcmp(s, choices[i])) {
            *out = s;
            return 0;
        }
    char list[256] = "";
    size_t used = 0;
    for (int j = 0; j < n && used < sizeof list; j++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", choices[j]);
    const char *hint = sl_did_you_mean(s, choices, n);
    if (hint) return sl_jy_fail(y, node, path, "unknown value '%s' (did you mean '%s'?)", s, hint);
    return sl_jy_fail(y, node, path, "unknown value '%s' (expected one of: %s)", s, list);
}

/* The end of the word of a ${NAME<op>word}: the '}' that closes it, skipping
 * nested ${...} and $$; len when there is none. */
static size_t sl_jy_word_end(const char *text, size_t i, size_t len)
{
    int open = 0;
    while (i < len) {
        if (text[i] == '$' && i + 1 < len && (text[i + 1] == '$' || text[i + 1] == '{')) {
            if (text[i + 1] == '{') open++;
            i += 2;
        } else if (text[i] == '}') {
            if (!open) return i;
            open--;
            i++;
        } else {
            i++;
        }
    }
    return len;
}

/* Expands text[0..len) into out, the shell's way (see sl_jy_interpolate);
 * `depth` counts the ${...} this text is the word of. */
static int sl_jy_expand(sl_jy *y, const yaml_node_t *node, const char *path, const char *text, size_t len,
                        int depth, sl_buf *out)
{
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == '$' && i + 1 < len && text[i + 1] == '$') {
            sl_buf_push(out, '$');
            i += 2;
            continue;
        }
        if (c != '$' || i + 1 >= len || text[i + 1] != '{') {
            sl_buf_push(out, (uint8_t)c);
            i++;
            continue;
        }
        if (depth >= 8)
            return sl_jy_fail(y, node, path, "${...} nested more than 8 deep inside defaults");
        size_t start = i + 2, j = start;
        while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '_')) j++;
        size_t name_len = j - start;
        if (name_len == 0 || isdigit((unsigned char)text[start]))
            return sl_jy_fail(y, node, path, "'${' must be followed by a variable name (write $$ for a literal $)");
        if (name_len > 255) return sl_jy_fail(y, node, path, "environment variable name too long");
        char name[256];
        memcpy(name, text + start, name_len);
        name[name_len] = '\0';
        /* The operator: '}' alone, or [:]- [:]+ [:]? [:]= and a word. */
        bool colon = j < len && text[j] == ':';
        char op = j + colon < len ? text[j + colon] : '\0';
        if (op == '}' && !colon) {
            op = '\0';
        } else if (op != '-' && op != '+' && op != '?' && op != '=') {
            if (j >= len) return sl_jy_fail(y, node, path, "unterminated '${%s' (missing '}')", name);
            return sl_jy_fail(y, node, path, "unsupported expansion '${%s%.*s...}' (supported: ${%s}, ${%s:-default}, "
                                             "${%s-default}, ${%s:+other}, ${%s+other}, ${%s:?message}, ${%s?message})",
                              name, colon ? 2 : 1, text + j, name, name, name, name, name, name, name);
        }
        size_t word = op ? j + colon + 1 : j, end = op ? sl_jy_word_end(text, word, len) : j;
        if (end >= len || text[end] != '}')
            return sl_jy_fail(y, node, path, "unterminated '${%s' (missing '}')", name);
        if (op == '=')
            return sl_jy_fail(y, node, path, "'${%s%s=...}' assigns in the shell; a job file cannot: write ${%s%s-...}",
                              name, colon ? ":" : "", name, colon ? ":" : "");
        const char *val = getenv(name);
        /* With ':' an empty variable counts as unset, as in the shell. */
        bool set = val && (!colon || *val);
        if (op == '\0' && !val)
            return sl_jy_fail(y, node, path, "environment variable %s is not set (export it, or write ${%s:-default})",
                              name, name);
        if (op == '?' && !set) {
            sl_buf msg = { 0 };
            int rc = sl_jy_expand(y, node, path, text + word, end - word, depth + 1, &msg);
            if (rc == 0)
                rc = sl_jy_fail(y, node, path, "environment variable %s is %s%s%.*s", name, val ? "empty" : "not set",
                                msg.len ? ": " : "", (int)msg.len, msg.len ? (const char *)msg.data : "");
            sl_buf_free(&msg);
            return rc;
        }
        if ((op == '-' && !set) || (op == '+' && set)) {
            if (sl_jy_expand(y, node, path, text + word, end - word, depth + 1, out) < 0) return -1;
        } else if (op != '+' && val) {
            sl_buf_append(out, val, strlen(val));
        }
        i = end + 1;
    }
    return 0;
}

int sl_jy_interpolate(sl_jy *y, const yaml_node_t *node, const char *path, const char *text, size_t len,
                      char **out)
{
    if (!memchr(text, '$', len)) {
        *out = sl_arena_strndup(y->arena, text, len);
        return 0;
    }
    sl_buf b = { 0 };
    int rc = sl_jy_expand(y, node, path, text, len, 0, &b);
    if (rc == 0) *out = sl_arena_strndup(y->arena, b.len ? (const char *)b.data : "", b.len);
    sl_buf_free(&b);
    return rc;
}

int sl_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 1000;
    int row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            int best = diag + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *sl_did_you_mean(const char *word, const char *const *candidates, int n)
{
    const char *best = NULL;
    int best_d = 1000;
    size_t wl = strlen(word);
    int limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
    for (int i = 0; i < n; i++) {
        int d = sl_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best && best_d <= limit && best_d < (int)strlen(best) ? best : NULL;
}
