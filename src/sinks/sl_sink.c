/*
 * sl_sink.c - the registry of sinks by kind.
 */
#include "sl_sink.h"

#include <string.h>

/* Weak while the sinks are being written in parallel; see docs/architecture.md. */
extern const sl_sink_ops sl_sink_parquet __attribute__((weak));
extern const sl_sink_ops sl_sink_csv __attribute__((weak));

const sl_sink_ops *sl_sink_lookup(const char *kind)
{
    const sl_sink_ops *all[] = { &sl_sink_parquet, &sl_sink_csv };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i] && !strcmp(all[i]->kind, kind)) return all[i];
    return NULL;
}
