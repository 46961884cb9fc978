/*
 * sl_alloc.c - allocation that aborts on out-of-memory, and chunked arenas.
 * See sl_alloc.h for the policy.
 */
#include "sl_alloc.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sl_oom(size_t n)
{
    fprintf(stderr, "sluice: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void sl_alloc_keep_freed(void)
{
    /* Blocks up to 32 MB (glibc's largest mmap threshold) come from the
     * heap, not from a mapping of their own, and a free heap top is not
     * trimmed below 1 GB: the same pages serve the next file's buffers. */
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
}

void *sl_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) sl_oom(n);
    return p;
}

void *sl_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) sl_oom(count * size);
    return p;
}

void *sl_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) sl_oom(n);
    return q;
}

char *sl_strdup(const char *s)
{
    return sl_strndup(s, strlen(s));
}

char *sl_strndup(const char *s, size_t n)
{
    char *d = sl_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sl_sprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *s = sl_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void sl_free(void *p)
{
    free(p);
}

struct sl_arena_chunk {
    sl_arena_chunk *next;
    size_t size;   /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
};

static sl_arena_chunk *sl_arena_chunk_new(size_t size)
{
    sl_arena_chunk *c = sl_malloc(sizeof *c + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void sl_arena_init(sl_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

void *sl_arena_alloc(sl_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    sl_arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > a->chunk_size ? n : a->chunk_size;
        sl_arena_chunk *fresh = sl_arena_chunk_new(size);
        fresh->next = c;
        a->head = fresh;
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
    char *d = sl_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sl_arena_strdup(sl_arena *a, const char *s)
{
    return sl_arena_strndup(a, s, strlen(s));
}

void sl_arena_reset(sl_arena *a)
{
    /* Keep the largest chunk so a steady workload stops allocating. */
    sl_arena_chunk *keep = NULL;
    for (sl_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (!keep || c->size > keep->size) {
            if (keep) free(keep);
            keep = c;
        } else {
            free(c);
        }
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
}

void sl_arena_destroy(sl_arena *a)
{
    for (sl_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}
