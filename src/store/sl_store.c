/*
 * sl_store.c - which store a target uses, and which sink encodes for it.
 */
#include "sl_store.h"

#include <string.h>

static bool sl_store_is_duckdb(const sl_job_target *target)
{
    return target->kind && !strcmp(target->kind, "duckdb");
}

const sl_store_ops *sl_store_for(const sl_job_target *target)
{
    if (!target || !target->path) return NULL;
    return sl_store_is_duckdb(target) ? &sl_store_duckdb : &sl_store_local;
}

const char *sl_store_sink_kind(const sl_job_target *target)
{
    return sl_store_is_duckdb(target) ? "parquet" : target->kind;
}
