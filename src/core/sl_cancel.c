/*
 * sl_cancel.c - a run's cancel handle (sl_cancel.h): one atomic flag.
 */
#include "sl_cancel.h"

#include "sl_alloc.h"

#include <stdatomic.h>

struct sl_cancel {
    atomic_bool requested;
};

sl_cancel *sl_cancel_new(void)
{
    sl_cancel *c = sl_calloc(1, sizeof *c);
    atomic_init(&c->requested, false);
    return c;
}

void sl_cancel_free(sl_cancel *c) { sl_free(c); }

void sl_cancel_request(sl_cancel *c)
{
    if (c) atomic_store(&c->requested, true);
}

bool sl_cancel_requested(const sl_cancel *c)
{
    return c && atomic_load(&((sl_cancel *)c)->requested);
}

void sl_cancel_reset(sl_cancel *c)
{
    if (c) atomic_store(&c->requested, false);
}
