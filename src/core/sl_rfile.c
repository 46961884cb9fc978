/*
 * sl_rfile.c - the registry of remote file systems (see sl_rfile.h). A few
 * entries, registered at start-up before any thread runs.
 */
#include "sl_rfile.h"

#include <string.h>

#define SL_RFS_MAX 8

static const sl_rfs *sl_rfs_table[SL_RFS_MAX];
static int sl_rfs_count;

void sl_rfs_register(const sl_rfs *fs)
{
    for (int i = 0; i < sl_rfs_count; i++)
        if (sl_rfs_table[i] == fs) return;
    if (sl_rfs_count < SL_RFS_MAX) sl_rfs_table[sl_rfs_count++] = fs;
}

const sl_rfs *sl_rfs_for(const char *path)
{
    for (int i = 0; path && i < sl_rfs_count; i++)
        if (!strncmp(path, sl_rfs_table[i]->scheme, strlen(sl_rfs_table[i]->scheme))) return sl_rfs_table[i];
    return NULL;
}

int sl_rfs_is_url(const char *path)
{
    if (!path) return 0;
    const char *p = path;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.') p++;
    return p > path && !strncmp(p, "://", 3);
}
