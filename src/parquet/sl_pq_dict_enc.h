/*
 * sl_pq_dict_enc.h - the writer's dictionary: a hash table from value to
 * dictionary index, whose entries are kept PLAIN-encoded in one buffer that
 * is the dictionary page's payload as is. No per-value malloc: slots are one
 * array of (hash << 32 | index + 1), linear probing, doubled at half load.
 * 4-byte values (INT32, DATE, FLOAT, small decimals) keep the value itself
 * in place of the hash, (value << 32 | index + 1): a lookup is one memory
 * access, not two. A column of many distinct ints (customer ids) grows its
 * table to MBs, so each lookup misses the cache, and the second access (the
 * entry in `plain`, to confirm a hash match) was a second miss.
 *
 * Fixed-width entries (INT32, INT64, FLOAT, DOUBLE, FLBA) are `width` bytes
 * each; byte arrays (width 0) are u32 LE length + bytes, with starts[i] the
 * offset of entry i's bytes.
 *
 *   sl_pq_dict d; sl_pq_dict_init(&d, 8);
 *   uint32_t idx = sl_pq_dict_put_u64(&d, x);
 *   ... d.plain.data/len: the dictionary page; d.count entries
 *   sl_pq_dict_reset(&d) (next column chunk); sl_pq_dict_free(&d).
 */
#ifndef SL_PQ_DICT_ENC_H
#define SL_PQ_DICT_ENC_H

#include "../core/sl_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sl_pq_dict {
    uint64_t *slots;      /* 0: empty; else (hash32 << 32) | (index + 1) */
    size_t nslots;        /* power of two */
    uint32_t count;
    size_t width;         /* bytes per fixed-width entry; 0: byte arrays */
    sl_buf plain;         /* the entries, PLAIN-encoded */
    uint32_t *starts;     /* byte arrays: offset in plain of entry i's bytes */
    size_t starts_cap;
} sl_pq_dict;

void sl_pq_dict_init(sl_pq_dict *d, size_t width);
void sl_pq_dict_reset(sl_pq_dict *d);
void sl_pq_dict_free(sl_pq_dict *d);
/* Doubles the slot array (called by the put functions). */
void sl_pq_dict_grow(sl_pq_dict *d);

/* A simple, fast 64-bit mixer and a word-at-a-time byte hash. */
static inline uint64_t sl_pq_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t sl_pq_hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xc2b2ae3d27d4eb4fULL);
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, p, 8);
        h = (h ^ (k * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t k = 0;
        memcpy(&k, p, n);
        h = (h ^ (k * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
    }
    return sl_pq_hash_u64(h);
}

/* Entry i's bytes (byte arrays). */
static inline const uint8_t *sl_pq_dict_entry(const sl_pq_dict *d, uint32_t i, uint32_t *len)
{
    const uint8_t *p = d->plain.data + d->starts[i];
    memcpy(len, p - 4, 4);
    return p;
}

/* Adds a value at an empty slot found by a put; h32 is its hash's high
 * half, or for width 4 the value itself. */
uint32_t sl_pq_dict_add_fixed(sl_pq_dict *d, size_t slot, uint32_t h32, const void *val);
uint32_t sl_pq_dict_add_bytes(sl_pq_dict *d, size_t slot, uint32_t h32, const void *p, uint32_t len);

/* Equality of two fixed-width values: the common widths compared as words,
 * not through a memcmp call (the hash already matched, so this is almost
 * always true and a call would cost more than the compare). */
static inline bool sl_pq_dict_same(const uint8_t *a, const void *b, size_t width)
{
    uint64_t x0, y0, x1, y1;
    switch (width) {
    case 4: { uint32_t x, y; memcpy(&x, a, 4); memcpy(&y, b, 4); return x == y; }
    case 8: memcpy(&x0, a, 8); memcpy(&y0, b, 8); return x0 == y0;
    case 16:
        memcpy(&x0, a, 8); memcpy(&y0, b, 8);
        memcpy(&x1, a + 8, 8); memcpy(&y1, (const uint8_t *)b + 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    default: return memcmp(a, b, width) == 0;
    }
}

/* A hint that x will be put soon: its slot is fetched into the cache. A
 * writer loop calls it a few values ahead, so the slot's cache miss (the
 * whole cost of a lookup in a table of MBs) overlaps the work between. */
static inline void sl_pq_dict_prefetch(const sl_pq_dict *d, uint64_t x)
{
    size_t slot = (uint32_t)(sl_pq_hash_u64(x) >> 32) & (d->nslots - 1);
#if defined(__x86_64__)
    /* GCC 12 drops __builtin_prefetch of this address at -O2 (seen in the
     * object code), so the instruction is spelled out. */
    __asm__ volatile("prefetcht0 %0" : : "m"(d->slots[slot]));
#else
    __builtin_prefetch(d->slots + slot);
#endif
}

/* Index of the 4-byte value x (width 4: slots hold the value, see above). */
static inline uint32_t sl_pq_dict_put_u32(sl_pq_dict *d, uint32_t x)
{
    size_t mask = d->nslots - 1;
    size_t slot = (uint32_t)(sl_pq_hash_u64(x) >> 32) & mask;
    const uint64_t key = (uint64_t)x << 32;
    for (;;) {
        uint64_t s = d->slots[slot];
        if (s == 0) return sl_pq_dict_add_fixed(d, slot, x, &x);
        if ((s & 0xffffffff00000000ULL) == key) return (uint32_t)s - 1;
        slot = (slot + 1) & mask;
    }
}

/* Index of the value (width bytes), adding it when new. */
static inline uint32_t sl_pq_dict_put_fixed(sl_pq_dict *d, const void *val)
{
    uint64_t h;
    if (d->width == 4) { uint32_t x; memcpy(&x, val, 4); return sl_pq_dict_put_u32(d, x); }
    else if (d->width == 8) { uint64_t x; memcpy(&x, val, 8); h = sl_pq_hash_u64(x); }
    else h = sl_pq_hash_bytes(val, d->width);
    uint32_t h32 = (uint32_t)(h >> 32);
    size_t mask = d->nslots - 1;
    size_t slot = h32 & mask;
    for (;;) {
        uint64_t s = d->slots[slot];
        if (s == 0) return sl_pq_dict_add_fixed(d, slot, h32, val);
        if ((uint32_t)(s >> 32) == h32) {
            uint32_t idx = (uint32_t)s - 1;
            if (sl_pq_dict_same(d->plain.data + (size_t)idx * d->width, val, d->width)) return idx;
        }
        slot = (slot + 1) & mask;
    }
}

/* Equality of n bytes; up to 16 with two overlapping word loads. */
static inline bool sl_pq_dict_same_bytes(const uint8_t *a, const void *bv, size_t n)
{
    const uint8_t *b = bv;
    if (n >= 8 && n <= 16) {
        uint64_t a0, b0, a1, b1;
        memcpy(&a0, a, 8); memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8); memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t a0, b0, a1, b1;
        memcpy(&a0, a, 4); memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4); memcpy(&b1, b + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    return memcmp(a, b, n) == 0;
}

static inline uint32_t sl_pq_dict_put_bytes(sl_pq_dict *d, const void *p, uint32_t len)
{
    uint32_t h32 = (uint32_t)(sl_pq_hash_bytes(p, len) >> 32);
    size_t mask = d->nslots - 1;
    size_t slot = h32 & mask;
    for (;;) {
        uint64_t s = d->slots[slot];
        if (s == 0) return sl_pq_dict_add_bytes(d, slot, h32, p, len);
        if ((uint32_t)(s >> 32) == h32) {
            uint32_t idx = (uint32_t)s - 1, elen;
            const uint8_t *e = sl_pq_dict_entry(d, idx, &elen);
            if (elen == len && sl_pq_dict_same_bytes(e, p, len)) return idx;
        }
        slot = (slot + 1) & mask;
    }
}

#endif
