/*
 * sl_store.c - which store a target uses.
 */
#include "sl_store.h"

const sl_store_ops *sl_store_for(const sl_job_target *target)
{
    if (!target || !target->path) return NULL;
    return &sl_store_local;
}
