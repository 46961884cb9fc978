/*
 * sl_buf.c - growth of sl_buf (doubling, aborting on out-of-memory).
 */
#include "sl_buf.h"

#include "sl_alloc.h"

void sl_buf_reserve(sl_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) cap *= 2;
    b->data = sl_realloc(b->data, cap);
    b->cap = cap;
}

void sl_buf_free(sl_buf *b)
{
    sl_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
