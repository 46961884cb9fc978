/*
 * sl_store.c - which store a target uses, which sink encodes for it, and how
 * a target is named.
 */
#include "sl_store.h"

#include "../core/sl_log.h"

#include <stdio.h>
#include <string.h>

static bool sl_store_kind_is(const sl_job_target *target, const char *kind)
{
    return target->kind && !strcmp(target->kind, kind);
}

const sl_store_ops *sl_store_for(const sl_job_target *target)
{
    if (!target) return NULL;
    if (sl_store_kind_is(target, "postgres")) return &sl_store_postgres;
    if (!target->path) return NULL;
    if (!strncmp(target->path, "s3://", 5)) return sl_store_kind_is(target, "duckdb") ? NULL : &sl_store_s3;
    return sl_store_kind_is(target, "duckdb") ? &sl_store_duckdb : &sl_store_local;
}

const char *sl_store_sink_kind(const sl_job_target *target)
{
    return sl_store_kind_is(target, "duckdb") ? "parquet" : target->kind;
}

void sl_store_target_label(const sl_job_target *target, char *out, size_t size)
{
    if (target->path) {
        snprintf(out, size, "%s", target->path);
        return;
    }
    char url[1024];
    sl_redact(target->url ? target->url : "", url, sizeof url);
    snprintf(out, size, "%s schema %s", url, target->schema ? target->schema : "public");
}
