/*
 * sl_sink.c - the registry of sinks by target kind.
 */
#include "sl_sink.h"

#include <string.h>

const sl_sink_ops *sl_sink_lookup(const char *kind)
{
    const sl_sink_ops *all[] = { &sl_sink_parquet, &sl_sink_csv, &sl_sink_pgcopy };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(all[i]->kind, kind)) return all[i];
    return NULL;
}
