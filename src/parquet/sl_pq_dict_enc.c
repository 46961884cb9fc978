/*
 * sl_pq_dict_enc.c - growth and insertion of the writer's dictionary hash
 * table (see sl_pq_dict_enc.h; lookups are inline there).
 */
#include "sl_pq_dict_enc.h"

#include "../core/sl_alloc.h"

#define SL_DICT_INITIAL_SLOTS 1024

void sl_pq_dict_init(sl_pq_dict *d, size_t width)
{
    memset(d, 0, sizeof *d);
    d->width = width;
    d->nslots = SL_DICT_INITIAL_SLOTS;
    d->slots = sl_calloc(d->nslots, sizeof *d->slots);
}

void sl_pq_dict_reset(sl_pq_dict *d)
{
    /* Shrink a table that grew large, so one wide chunk does not keep
     * memory (and clearing cost) for every later one; but a table the chunk
     * filled (a column of many distinct values: customer ids) is kept and
     * cleared, since the next chunk would grow it again from 1024 slots
     * through every doubling, each a rehash into fresh (page-faulted) memory. */
    if (d->nslots > 64 * 1024 && (size_t)d->count * 8 < d->nslots) {
        sl_free(d->slots);
        d->nslots = SL_DICT_INITIAL_SLOTS;
        d->slots = sl_calloc(d->nslots, sizeof *d->slots);
    } else {
        memset(d->slots, 0, d->nslots * sizeof *d->slots);
    }
    d->count = 0;
    sl_buf_clear(&d->plain);
}

void sl_pq_dict_free(sl_pq_dict *d)
{
    sl_free(d->slots);
    sl_free(d->starts);
    sl_buf_free(&d->plain);
    memset(d, 0, sizeof *d);
}

void sl_pq_dict_grow(sl_pq_dict *d)
{
    size_t n = d->nslots * 2, mask = n - 1;
    uint64_t *slots = sl_calloc(n, sizeof *slots);
    for (size_t i = 0; i < d->nslots; i++) {
        uint64_t s = d->slots[i];
        if (!s) continue;
        uint32_t h32 = (uint32_t)(s >> 32);
        if (d->width == 4) h32 = (uint32_t)(sl_pq_hash_u64(h32) >> 32);   /* the slot holds the value */
        size_t slot = h32 & mask;
        while (slots[slot]) slot = (slot + 1) & mask;
        slots[slot] = s;
    }
    sl_free(d->slots);
    d->slots = slots;
    d->nslots = n;
}

static void sl_dict_place(sl_pq_dict *d, size_t slot, uint32_t h32)
{
    d->slots[slot] = ((uint64_t)h32 << 32) | ((uint64_t)d->count + 1);
    d->count++;
    if ((size_t)d->count * 2 > d->nslots) sl_pq_dict_grow(d);
}

uint32_t sl_pq_dict_add_fixed(sl_pq_dict *d, size_t slot, uint32_t h32, const void *val)
{
    uint32_t idx = d->count;
    sl_buf_append(&d->plain, val, d->width);
    sl_dict_place(d, slot, h32);
    return idx;
}

uint32_t sl_pq_dict_add_bytes(sl_pq_dict *d, size_t slot, uint32_t h32, const void *p, uint32_t len)
{
    uint32_t idx = d->count;
    if (idx >= d->starts_cap) {
        d->starts_cap = d->starts_cap ? d->starts_cap * 2 : 1024;
        d->starts = sl_realloc(d->starts, d->starts_cap * sizeof *d->starts);
    }
    uint8_t le[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24) };
    sl_buf_append(&d->plain, le, 4);
    d->starts[idx] = (uint32_t)d->plain.len;
    sl_buf_append(&d->plain, p, len);
    sl_dict_place(d, slot, h32);
    return idx;
}
