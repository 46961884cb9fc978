/*
 * sl_source.c - the registry of sources by kind, and cleanup of a prepared
 * table.
 */
#include "sl_source.h"

#include "../core/sl_alloc.h"

#include <string.h>

const sl_source_ops *sl_source_lookup(const char *kind)
{
    const sl_source_ops *all[] = { &sl_source_postgres, &sl_source_sqlite, &sl_source_csv, &sl_source_parquet };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(all[i]->kind, kind)) return all[i];
    return NULL;
}

void sl_source_table_clear(sl_source_table *tab)
{
    sl_schema_free(tab->schema);
    tab->schema = NULL;
    for (int i = 0; i < tab->ntasks; i++) sl_free(tab->tasks[i].predicate);
    sl_free(tab->tasks);
    tab->tasks = NULL;
    tab->ntasks = 0;
    sl_free(tab->strategy_note);
    tab->strategy_note = NULL;
    sl_free(tab->snapshot);
    tab->snapshot = NULL;
}
