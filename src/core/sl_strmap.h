/*
 * sl_strmap.h - a map from byte strings to non-negative ints (open
 * addressing, linear probing, doubled at half load): constant-time name
 * checks where a list of thousands of names would be quadratic (the job
 * file's sources, targets, tables, columns, YAML anchors).
 *
 * Keys are borrowed: the caller keeps them alive and unchanged while the map
 * is used (arena strings, a document's scalars).
 *
 *   sl_strmap m = {0};
 *   if (sl_strmap_put(&m, name, strlen(name), i) >= 0) ... already there
 *   int i = sl_strmap_get(&m, name, strlen(name));   // -1: absent
 *   sl_strmap_free(&m);
 */
#ifndef SL_STRMAP_H
#define SL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sl_strmap_slot {
    const char *key;         /* NULL: empty */
    size_t len;
    uint64_t hash;
    int value;
} sl_strmap_slot;

typedef struct sl_strmap {
    sl_strmap_slot *slots;
    size_t cap, count;       /* cap: 0 or a power of two */
} sl_strmap;

/* The value stored for key, or -1. */
int sl_strmap_get(const sl_strmap *m, const char *key, size_t len);
/* Adds key -> value (value >= 0) and returns -1; when key is already there,
 * keeps the map as it is and returns the value stored first. */
int sl_strmap_put(sl_strmap *m, const char *key, size_t len, int value);
void sl_strmap_free(sl_strmap *m);

#endif
