/*
 * sl_alloc.h - memory: allocation that never returns NULL, and arenas.
 *
 * Out-of-memory policy (one for the whole project): sl_malloc and friends
 * abort with a message instead of returning NULL, as PostgreSQL's palloc does.
 * Callers never check for NULL.
 *
 * An arena hands out memory from large chunks; nothing in it is freed one by
 * one. sl_arena_reset() keeps the first chunk and makes all of it free again
 * (per-batch use); sl_arena_destroy() frees everything (per-run use).
 *
 *   sl_arena a; sl_arena_init(&a, 64 * 1024);
 *   char *s = sl_arena_strdup(&a, "x");
 *   sl_arena_reset(&a); ... sl_arena_destroy(&a);
 */
#ifndef SL_ALLOC_H
#define SL_ALLOC_H

#include <stddef.h>

void *sl_malloc(size_t n);
void *sl_calloc(size_t count, size_t size);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);
/* printf into a fresh sl_malloc'd string. */
char *sl_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sl_free(void *p);

/* Once at start-up (main): freed memory stays in the process for reuse
 * instead of going back to the kernel. Every file written builds the same
 * multi-megabyte column buffers again; given back and taken anew, each of
 * their pages is a fresh page fault (and, in a virtual machine whose free
 * memory the host reclaims, a far dearer one). The heap's peak stays the
 * same; only the churn goes. */
void sl_alloc_keep_freed(void);

typedef struct sl_arena_chunk sl_arena_chunk;
typedef struct sl_arena {
    sl_arena_chunk *head;   /* chunk being filled; older chunks follow */
    size_t chunk_size;      /* default size of a new chunk */
} sl_arena;

void sl_arena_init(sl_arena *a, size_t chunk_size);
void *sl_arena_alloc(sl_arena *a, size_t n);          /* 16-byte aligned */
char *sl_arena_strdup(sl_arena *a, const char *s);
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n);
void sl_arena_reset(sl_arena *a);
void sl_arena_destroy(sl_arena *a);

#endif
