/*
 * sl_strmap.c - string -> int map with FNV-1a hashing and linear probing
 * (see sl_strmap.h).
 */
#include "sl_strmap.h"

#include "sl_alloc.h"

#include <string.h>

static uint64_t sl_strmap_hash(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The slot holding key, or the empty slot where it would go. */
static sl_strmap_slot *sl_strmap_find(const sl_strmap *m, const char *key, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        sl_strmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == h && s->len == len && !memcmp(s->key, key, len))) return s;
    }
}

int sl_strmap_get(const sl_strmap *m, const char *key, size_t len)
{
    if (!m->count) return -1;
    const sl_strmap_slot *s = sl_strmap_find(m, key, len, sl_strmap_hash(key, len));
    return s->key ? s->value : -1;
}

static void sl_strmap_grow(sl_strmap *m)
{
    sl_strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->slots = sl_calloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key) *sl_strmap_find(m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
    sl_free(old.slots);
}

int sl_strmap_put(sl_strmap *m, const char *key, size_t len, int value)
{
    if ((m->count + 1) * 2 > m->cap) sl_strmap_grow(m);
    uint64_t h = sl_strmap_hash(key, len);
    sl_strmap_slot *s = sl_strmap_find(m, key, len, h);
    if (s->key) return s->value;
    *s = (sl_strmap_slot){ .key = key, .len = len, .hash = h, .value = value };
    m->count++;
    return -1;
}

void sl_strmap_free(sl_strmap *m)
{
    sl_free(m->slots);
    memset(m, 0, sizeof *m);
}
