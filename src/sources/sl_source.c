/*
 * sl_source.c - the registry of sources by kind, cleanup of a prepared
 * table, and the snapshot identity of file sources (for the receipts).
 */
#include "sl_source.h"

#include "../core/sl_alloc.h"
#include "../core/sl_buf.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
    sl_free(tab->incr_new_high);
    tab->incr_new_high = NULL;
}

int sl_source_file_entry(sl_buf *b, const char *path, int fd, const char *extra)
{
    struct stat st;
    if (fd >= 0 ? fstat(fd, &st) < 0 : stat(path, &st) < 0) return -1;
    struct tm tm;
    gmtime_r(&st.st_mtim.tv_sec, &tm);
    char when[40];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    sl_buf_printf(b, "{\"path\": ");
    sl_buf_json_str(b, path, strlen(path));
    sl_buf_printf(b, ", \"size\": %lld, \"mtime\": \"%s.%09ldZ\"%s%s}", (long long)st.st_size, when,
                  (long)st.st_mtim.tv_nsec, extra ? ", " : "", extra ? extra : "");
    return 0;
}

char *sl_source_files_identity(const char *kind, char *const *paths, int n, const char *extra)
{
    sl_buf b = { 0 };
    sl_buf_printf(&b, "{\"kind\": \"%s\"", kind);
    if (extra) sl_buf_printf(&b, ", %s", extra);
    sl_buf_printf(&b, ", \"files\": [");
    int listed = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) < 0) continue;
        struct tm tm;
        gmtime_r(&st.st_mtim.tv_sec, &tm);
        char when[40];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        sl_buf_printf(&b, "%s{\"path\": ", listed++ ? ", " : "");
        sl_buf_json_str(&b, paths[i], strlen(paths[i]));
        sl_buf_printf(&b, ", \"size\": %lld, \"mtime\": \"%s.%09ldZ\"}", (long long)st.st_size, when,
                      (long)st.st_mtim.tv_nsec);
    }
    sl_buf_printf(&b, "]}");
    sl_buf_push(&b, 0);
    return (char *)b.data;
}
