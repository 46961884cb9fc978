/*
 * sl_store.c - which store a target uses, and how a target is named.
 */
#include "sl_store.h"

#include "../core/sl_log.h"

#include <stdio.h>
#include <string.h>

const sl_store_ops *sl_store_for(const sl_job_target *target)
{
    if (!target) return NULL;
    if (target->kind && !strcmp(target->kind, "postgres")) return &sl_store_postgres;
    if (!target->path) return NULL;
    return &sl_store_local;
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
