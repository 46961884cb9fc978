/*
 * sl_pg_catalog.h - a postgres source's relations for table patterns
 * (see sl_pg_catalog.c). Matches job/sl_job.h's sl_job_list_fn.
 */
#ifndef SL_PG_CATALOG_H
#define SL_PG_CATALOG_H

#include "../core/sl_alloc.h"
#include "../core/sl_error.h"
#include "../job/sl_job.h"

int sl_pg_list_relations(const sl_job_source *src, sl_arena *arena, sl_job_relation **out, int *n, sl_err *err);

#endif
