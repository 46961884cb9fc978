/*
 * sl_job_patterns.c - a whole database in a few lines: `defaults:`, table
 * keys with globs, and the postgres type keys of a table.
 *
 *   defaults: { from: shop, to: lake, partition: { strategy: auto } }
 *   tables:
 *     "public.*": { exclude: ["public.tmp_*"] }      # a pattern
 *     "*.*": { name: "{schema}__{table}" }           # every non-system schema
 *     orders: { table: public.orders, query: ... }   # explicit: wins over a pattern
 *
 * `defaults:` is checked once and merged into every table's mapping (pairs
 * appended to the table's own; a key the table gives wins, as a whole: a
 * table's `partition:` replaces the default's, it is not merged key by key).
 * A table key with `*`, `?` or `[` is a pattern: its keys are parsed like a
 * table's (sl_jp_table with in_pattern set: no table:/query:, no directory
 * name check) into a template, and sl_job_expand() turns it into tables once
 * the source's catalog is known (the CLI calls it before plan, run, verify
 * and validate --connect; the job file alone cannot say what a glob selects).
 *
 * Expansion rules (README "Patterns and defaults"):
 *   - "schema.rel" globs (fnmatch) over tables, partitioned tables, views and
 *     materialized views; a key without '.' is in public; system schemas
 *     (pg_catalog, information_schema, pg_toast*, pg_temp*) never match.
 *   - output name: rel in public, schema_rel elsewhere, or the `name:`
 *     template ({schema}, {table}); characters a directory name cannot hold
 *     become '_'.
 *   - partitions of a selected partitioned table are skipped (the parent
 *     reads them all, once) and noted; `partitions: separate` copies the
 *     partitions one by one and skips the parent instead.
 *   - an explicit entry with the same output name, or whose table: names
 *     the same relation, overrides the pattern's; a relation two patterns
 *     match goes to the first.
 *   - a pattern matching nothing, and two relations landing on one output
 *     name, are errors naming the pattern.
 */
#include "sl_job_int.h"

#include "../core/sl_buf.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys `defaults:` may give: a table's, less what names one relation. */
static const char *const sl_defaults_keys[] = { "from", "to", "partition", "columns", "rejects", "write", "key",
                                                "delete_missing", "on_schema_change", "indexes", "verify",
                                                "unsupported", "trim_char", "numeric", "partitions",
                                                "max_delete_ratio", "max_shrink", NULL };
static const char *const sl_unsupported_modes[] = { "string", "error", NULL };
static const char *const sl_partitions_modes[] = { "parent", "separate", NULL };

int sl_jp_defaults(sl_jp *p, yaml_node_t *root)
{
    yaml_node_t *v = sl_jy_get(&p->y, root, "defaults");
    if (!v) return 0;
    if (sl_jy_expect_map(&p->y, v, "defaults") < 0) return -1;
    int n = sl_jy_map_len(v);
    for (int i = 0; i < n; i++) {
        const char *k = sl_jy_key_text(&p->y, sl_jy_map_key(&p->y, v, i));
        if (k && (!strcmp(k, "table") || !strcmp(k, "query") || !strcmp(k, "file") || !strcmp(k, "exclude") ||
                  !strcmp(k, "name")))
            return sl_jy_fail(&p->y, sl_jy_map_key(&p->y, v, i), "defaults",
                              "'%s' names what one table or pattern reads; give it in that table's entry", k);
    }
    if (sl_jy_check_keys(&p->y, v, "defaults", sl_defaults_keys) < 0) return -1;
    p->defaults = v;
    return 0;
}

int sl_jp_apply_defaults(sl_jp *p, yaml_node_t *map)
{
    if (!p->defaults || !map || map->type != YAML_MAPPING_NODE) return 0;
    int own = sl_jy_map_len(map), nd = sl_jy_map_len(p->defaults);
    yaml_node_pair_t *pairs = sl_arena_alloc(&p->y.doc_arena, sizeof *pairs * (size_t)(own + nd + 1));
    memcpy(pairs, map->data.mapping.pairs.start, sizeof *pairs * (size_t)own);
    int n = own;
    for (int i = 0; i < nd; i++) {
        const char *k = sl_jy_key_text(&p->y, sl_jy_map_key(&p->y, p->defaults, i));
        if (!k || sl_jy_get(&p->y, map, k)) continue;
        pairs[n++] = p->defaults->data.mapping.pairs.start[i];
    }
    map->data.mapping.pairs.start = pairs;
    map->data.mapping.pairs.top = pairs + n;
    map->data.mapping.pairs.end = pairs + own + nd + 1;
    return 0;
}

bool sl_jp_is_pattern(const char *key) { return key && strpbrk(key, "*?[") != NULL; }

int sl_jp_table_types(sl_jp *p, yaml_node_t *map, const char *path, sl_job_table *t)
{
    char sub[700], *word;
    yaml_node_t *v;
    if ((v = sl_jy_get(&p->y, map, "unsupported"))) {
        snprintf(sub, sizeof sub, "%s.unsupported", path);
        if (sl_jy_choice(&p->y, v, sub, sl_unsupported_modes, &word) < 0) return -1;
        t->unsupported_error = !strcmp(word, "error");
    }
    if ((v = sl_jy_get(&p->y, map, "trim_char"))) {
        snprintf(sub, sizeof sub, "%s.trim_char", path);
        if (sl_jy_bool(&p->y, v, sub, &t->trim_char) < 0) return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "numeric"))) {
        static const char *const keys[] = { "precision", "scale", NULL };
        snprintf(sub, sizeof sub, "%s.numeric", path);
        if (sl_jy_expect_map(&p->y, v, sub) < 0 || sl_jy_check_keys(&p->y, v, sub, keys) < 0) return -1;
        int prec = 38, scale = 18;
        if (sl_jp_int_key(p, v, "precision", sub, 1, 38, &prec) < 0 ||
            sl_jp_int_key(p, v, "scale", sub, 0, 38, &scale) < 0)
            return -1;
        if (scale > prec)
            return sl_jy_fail(&p->y, v, sub, "scale %d is larger than precision %d (decimal(p,s) needs s <= p)", scale,
                              prec);
        t->numeric_precision = prec;
        t->numeric_scale = scale;
    }
    bool pg = t->source && !strcmp(t->source->kind, "postgres");
    if (!pg && t->source) {
        static const char *const pg_only[] = { "unsupported", "trim_char", "numeric", NULL };
        for (int i = 0; pg_only[i]; i++)
            if ((v = sl_jy_get(&p->y, map, pg_only[i])) && (!p->defaults || sl_jy_get(&p->y, p->defaults, pg_only[i]) != v))
                return sl_jy_fail(&p->y, v, path, "'%s' applies to tables read from postgres sources (source %s is "
                                                  "%s); remove it", pg_only[i], t->source->name, t->source->kind);
    }
    return 0;
}

/* Template placeholders: {schema} and {table}, nothing else. */
static int sl_jp_check_template(sl_jp *p, yaml_node_t *v, const char *path, const char *tmpl)
{
    for (const char *c = strchr(tmpl, '{'); c; c = strchr(c + 1, '{')) {
        if (strncmp(c, "{schema}", 8) && strncmp(c, "{table}", 7))
            return sl_jy_fail(&p->y, v, path, "unknown placeholder at '%.20s' (use {schema} and {table}, e.g. "
                                              "\"{schema}_{table}\")", c);
    }
    if (!strstr(tmpl, "{table}"))
        return sl_jy_fail(&p->y, v, path, "the template must hold {table}, or every relation lands on one name");
    return 0;
}

int sl_jp_pattern(sl_jp *p, const char *key_text, yaml_node_t *key, yaml_node_t *map, int at,
                  const char *const *source_names, const char *const *target_names)
{
    sl_job *job = p->job;
    char path[512], sub[700];
    snprintf(path, sizeof path, "tables.%s", key_text);
    if (sl_jy_expect_map(&p->y, map, path) < 0) return -1;
    sl_job_pattern pat;
    memset(&pat, 0, sizeof pat);
    pat.pattern = sl_arena_strdup(&job->arena, key_text);
    const char *dot = strchr(key_text, '.');
    if (dot) {
        pat.schema_glob = sl_arena_strndup(&job->arena, key_text, (size_t)(dot - key_text));
        pat.rel_glob = sl_arena_strdup(&job->arena, dot + 1);
    } else {
        pat.schema_glob = "public";
        pat.rel_glob = pat.pattern;
    }
    if (!*pat.schema_glob || !*pat.rel_glob || strchr(pat.rel_glob, '.'))
        return sl_jy_fail(&p->y, key, "tables", "pattern '%s': expected schema.relation globs (\"public.*\", "
                                                "\"*.*\", \"sales.order_*\")", key_text);
    yaml_node_t *v;
    if ((v = sl_jy_get(&p->y, map, "exclude"))) {
        snprintf(sub, sizeof sub, "%s.exclude", path);
        if (v->type == YAML_SCALAR_NODE) {
            pat.exclude = sl_arena_alloc(&job->arena, sizeof(char *));
            if (sl_jy_text(&p->y, v, sub, "a glob of relations to leave out", &pat.exclude[0]) < 0) return -1;
            pat.nexclude = 1;
        } else if (v->type == YAML_SEQUENCE_NODE) {
            pat.nexclude = sl_jy_seq_len(v);
            pat.exclude = sl_arena_alloc(&job->arena, sizeof(char *) * (size_t)(pat.nexclude + 1));
            for (int i = 0; i < pat.nexclude; i++)
                if (sl_jy_text(&p->y, sl_jy_seq_item(&p->y, v, i), sub, "a glob of relations to leave out",
                               &pat.exclude[i]) < 0)
                    return -1;
        } else {
            return sl_jy_fail(&p->y, v, sub, "expected a list of globs ([\"public.tmp_*\", public.audit_log]), "
                                             "found %s", sl_jy_what(v));
        }
    }
    if ((v = sl_jy_get(&p->y, map, "name"))) {
        snprintf(sub, sizeof sub, "%s.name", path);
        if (sl_jy_text(&p->y, v, sub, "an output name template such as \"{schema}_{table}\"", &pat.name_template) < 0 ||
            sl_jp_check_template(p, v, sub, pat.name_template) < 0)
            return -1;
    }
    if ((v = sl_jy_get(&p->y, map, "partitions"))) {
        char *word;
        snprintf(sub, sizeof sub, "%s.partitions", path);
        if (sl_jy_choice(&p->y, v, sub, sl_partitions_modes, &word) < 0) return -1;
        pat.partitions_separate = !strcmp(word, "separate");
    }
    p->in_pattern = true;
    int rc = sl_jp_table(p, key_text, key, map, &pat.tmpl, source_names, target_names);
    p->in_pattern = false;
    if (rc < 0) return -1;
    pat.tmpl.pattern = pat.pattern;
    pat.at = at;
    /* A handful of patterns per job: grow by copying within the arena. */
    sl_job_pattern *grown = sl_arena_alloc(&job->arena, sizeof *grown * (size_t)(job->npatterns + 1));
    if (job->npatterns) memcpy(grown, job->patterns, sizeof *grown * (size_t)job->npatterns);
    grown[job->npatterns++] = pat;
    job->patterns = grown;
    return 0;
}

/* ---- expansion ---- */

static char *sl_pat_sprintf(sl_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *sl_pat_sprintf(sl_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = sl_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

typedef struct sl_sel {
    sl_job_pattern *pat;
    int pat_idx;
    sl_job_relation *rel;
    char *name;
    bool dropped;
    bool as_partition;        /* left out: its partitioned root is copied */
} sl_sel;

static bool sl_rel_matches(const char *glob, const sl_job_relation *r)
{
    const char *dot = strchr(glob, '.');
    if (!dot) return !strcmp(r->schema, "public") && fnmatch(glob, r->name, 0) == 0;
    char schema[256];
    size_t n = (size_t)(dot - glob);
    if (n >= sizeof schema) return false;
    memcpy(schema, glob, n);
    schema[n] = '\0';
    return fnmatch(schema, r->schema, 0) == 0 && fnmatch(dot + 1, r->name, 0) == 0;
}

/* "a"."b", a.b, b (public) -> a.b as the catalog spells it (quotes removed). */
static char *sl_rel_normal(sl_arena *a, const char *table)
{
    sl_buf b = { 0 };
    bool dotted = false, inq = false;
    for (const char *c = table; *c; c++) {
        if (*c == '"') {
            if (inq && c[1] == '"') {
                sl_buf_push(&b, '"');
                c++;
            } else {
                inq = !inq;
            }
            continue;
        }
        if (*c == '.' && !inq) dotted = true;
        sl_buf_push(&b, (uint8_t)*c);
    }
    sl_buf_push(&b, 0);
    char *out = dotted ? sl_arena_strdup(a, (char *)b.data) : sl_pat_sprintf(a, "public.%s", (char *)b.data);
    sl_buf_free(&b);
    return out;
}

static char *sl_lower_dup(sl_arena *a, const char *s)
{
    char *d = sl_arena_strdup(a, s);
    for (char *c = d; *c; c++) *c = (char)tolower((unsigned char)*c);
    return d;
}

static char *sl_sel_name(sl_arena *a, const sl_job_pattern *pat, const sl_job_relation *r)
{
    sl_buf b = { 0 };
    if (pat->name_template) {
        for (const char *c = pat->name_template; *c;) {
            if (!strncmp(c, "{schema}", 8)) {
                sl_buf_append(&b, r->schema, strlen(r->schema));
                c += 8;
            } else if (!strncmp(c, "{table}", 7)) {
                sl_buf_append(&b, r->name, strlen(r->name));
                c += 7;
            } else {
                sl_buf_push(&b, (uint8_t)*c++);
            }
        }
    } else {
        if (strcmp(r->schema, "public")) {
            sl_buf_append(&b, r->schema, strlen(r->schema));
            sl_buf_push(&b, '_');
        }
        sl_buf_append(&b, r->name, strlen(r->name));
    }
    sl_buf_push(&b, 0);
    char *name = sl_arena_strdup(a, (char *)b.data);
    sl_buf_free(&b);
    /* A directory name: letters, digits, '_', '-', '.', not starting with '.'. */
    for (char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.') *c = '_';
    if (name[0] == '.') name[0] = '_';
    return name;
}

static void sl_pat_note(sl_arena *a, sl_job_pattern *pat, char *note)
{
    char **grown = sl_arena_alloc(a, sizeof *grown * (size_t)(pat->nnotes + 1));
    if (pat->nnotes) memcpy(grown, pat->notes, sizeof *grown * (size_t)pat->nnotes);
    grown[pat->nnotes++] = note;
    pat->notes = grown;
}

int sl_job_expand(sl_job *job, sl_job_list_fn list, sl_err *err)
{
    if (job->expanded || job->npatterns == 0) {
        job->expanded = true;
        return 0;
    }
    sl_arena *a = &job->arena;
    sl_job_relation **rels = sl_calloc((size_t)job->nsources, sizeof *rels);
    int *nrels = sl_calloc((size_t)job->nsources, sizeof *nrels);
    bool *listed = sl_calloc((size_t)job->nsources, sizeof *listed);
    sl_sel *sels = NULL;
    size_t nsel = 0, capsel = 0;
    sl_strmap chosen = { 0 }, explicit_names = { 0 }, explicit_rels = { 0 }, names = { 0 };
    int rc = 0;

    for (int i = 0; i < job->ntables; i++) {
        const sl_job_table *t = &job->tables[i];
        char *ln = sl_lower_dup(a, t->name);
        sl_strmap_put(&explicit_names, ln, strlen(ln), i);
        if (t->table) {
            char *key = sl_pat_sprintf(a, "%s\x1f%s", t->source->name, sl_rel_normal(a, t->table));
            sl_strmap_put(&explicit_rels, key, strlen(key), i);
        }
    }
    /* 1. What each pattern matches; a relation goes to the first pattern matching it. */
    for (int pi = 0; pi < job->npatterns && rc == 0; pi++) {
        sl_job_pattern *pat = &job->patterns[pi];
        const sl_job_source *src = pat->tmpl.source;
        int si = (int)(src - job->sources);
        if (!listed[si]) {
            if (!list || list(src, a, &rels[si], &nrels[si], err) < 0) {
                if (!list || !sl_err_is_set(err))
                    sl_err_set(err, SL_EJOB, "cannot list the relations of source %s (kind %s)", src->name, src->kind);
                sl_err_prefix(err, "job %s: %s:%d:%d: tables.%s: pattern", job->name, job->file, pat->tmpl.line,
                              pat->tmpl.column, pat->pattern);
                rc = -1;
                break;
            }
            listed[si] = true;
        }
        int matched = 0;
        for (int r = 0; r < nrels[si]; r++) {
            sl_job_relation *rel = &rels[si][r];
            if (fnmatch(pat->schema_glob, rel->schema, 0) || fnmatch(pat->rel_glob, rel->name, 0)) continue;
            matched++;
            char *key = sl_pat_sprintf(a, "%s\x1f%s.%s", src->name, rel->schema, rel->name);
            if (sl_strmap_put(&chosen, key, strlen(key), (int)nsel) >= 0) continue; /* an earlier pattern has it */
            if (nsel == capsel) {
                capsel = capsel ? capsel * 2 : 64;
                sels = sl_realloc(sels, sizeof *sels * capsel);
            }
            sels[nsel++] = (sl_sel){ .pat = pat, .pat_idx = pi, .rel = rel };
        }
        if (matched == 0) {
            rc = sl_err_set(err, SL_EJOB, "job %s: %s:%d:%d: tables.%s: the pattern matches no table, view or "
                            "materialized view of source %s (%d relations in its non-system schemas); check the "
                            "schema and name globs (\"public.*\", \"*.*\") or remove the entry", job->name, job->file,
                            pat->tmpl.line, pat->tmpl.column, pat->pattern, src->name, nrels[si]);
        }
    }
    /* 2. What is left out: partitions (or parents), exclusions, explicit entries. */
    for (size_t i = 0; i < nsel && rc == 0; i++) {
        sl_sel *s = &sels[i];
        const sl_job_relation *rel = s->rel;
        const char *srcname = s->pat->tmpl.source->name;
        if (!s->pat->partitions_separate && rel->root) {
            char *key = sl_pat_sprintf(a, "%s\x1f%s", srcname, rel->root);
            if (sl_strmap_get(&chosen, key, strlen(key)) >= 0) {
                s->dropped = s->as_partition = true;   /* noted per parent below */
                continue;
            }
        }
        if (s->pat->partitions_separate && rel->kind == 'p') {
            s->dropped = true;
            sl_pat_note(a, s->pat, sl_pat_sprintf(a, "%s.%s skipped: a partitioned table (partitions: separate "
                                                       "copies its partitions one by one)", rel->schema, rel->name));
            continue;
        }
        for (int e = 0; e < s->pat->nexclude && !s->dropped; e++)
            if (sl_rel_matches(s->pat->exclude[e], rel)) s->dropped = true;
        if (s->dropped) continue;
        char *relkey = sl_pat_sprintf(a, "%s\x1f%s.%s", srcname, rel->schema, rel->name);
        s->name = sl_sel_name(a, s->pat, rel);
        char *ln = sl_lower_dup(a, s->name);
        int ex = sl_strmap_get(&explicit_rels, relkey, strlen(relkey));
        if (ex < 0) ex = sl_strmap_get(&explicit_names, ln, strlen(ln));
        if (ex >= 0) {
            s->dropped = true;
            sl_pat_note(a, s->pat, sl_pat_sprintf(a, "%s.%s: the explicit entry %s is used instead", rel->schema,
                                                   rel->name, job->tables[ex].name));
            continue;
        }
        if (strlen(s->name) > 200) {
            rc = sl_err_set(err, SL_EJOB, "job %s: tables.%s: the output name of %s.%s is longer than 200 "
                            "characters; give a shorter name: template", job->name, s->pat->pattern, rel->schema,
                            rel->name);
            break;
        }
        int other = sl_strmap_put(&names, ln, strlen(ln), (int)i);
        if (other >= 0) {
            const sl_sel *o = &sels[other];
            rc = sl_err_set(err, SL_EJOB, "job %s: tables.%s: %s.%s and %s.%s would both be written as table %s; "
                            "give the pattern a name: template (e.g. name: \"{schema}__{table}\") or exclude one",
                            job->name, s->pat->pattern, o->rel->schema, o->rel->name, rel->schema, rel->name,
                            s->name);
        }
    }
    /* One note per partitioned parent whose partitions a pattern left out. */
    for (size_t i = 0; i < nsel && rc == 0; i++) {
        if (!sels[i].as_partition || !sels[i].rel->root) continue;
        const char *root = sels[i].rel->root;
        int count = 0;
        for (size_t j = i; j < nsel; j++)
            if (sels[j].as_partition && sels[j].pat_idx == sels[i].pat_idx && sels[j].rel->root &&
                !strcmp(sels[j].rel->root, root)) {
                count++;
                if (j > i) sels[j].as_partition = false;
            }
        sl_pat_note(a, sels[i].pat, sl_pat_sprintf(a, "%d partition%s of %s skipped: the partitioned table is copied "
                                                   "whole, each row once (partitions: separate copies the "
                                                   "partitions one by one instead)", count, count == 1 ? "" : "s",
                                                   root));
    }
    /* 3. The tables: each pattern's at its place among the explicit ones. */
    if (rc == 0) {
        size_t total = (size_t)job->ntables;
        for (size_t i = 0; i < nsel; i++) total += !sels[i].dropped;
        sl_job_table *tables = sl_arena_alloc(a, sizeof *tables * (total ? total : 1));
        int n = 0;
        for (int pos = 0; pos <= job->ntables; pos++) {
            for (int pi = 0; pi < job->npatterns; pi++) {
                sl_job_pattern *pat = &job->patterns[pi];
                if (pat->at != pos) continue;
                int count = 0;
                for (size_t i = 0; i < nsel; i++) count += sels[i].pat_idx == pi && !sels[i].dropped;
                pat->selected = sl_arena_alloc(a, sizeof(char *) * (size_t)(count ? count : 1));
                pat->nselected = 0;
                for (size_t i = 0; i < nsel; i++) {
                    if (sels[i].pat_idx != pi || sels[i].dropped) continue;
                    sl_job_table t = pat->tmpl;
                    t.name = sels[i].name;
                    t.table = sels[i].rel->ident;
                    tables[n++] = t;
                    pat->selected[pat->nselected++] = sels[i].name;
                }
            }
            if (pos < job->ntables) tables[n++] = job->tables[pos];
        }
        job->tables = tables;
        job->ntables = n;
        job->expanded = true;
    }
    sl_free(sels);
    sl_free(rels);
    sl_free(nrels);
    sl_free(listed);
    sl_strmap_free(&chosen);
    sl_strmap_free(&explicit_names);
    sl_strmap_free(&explicit_rels);
    sl_strmap_free(&names);
    return rc;
}
