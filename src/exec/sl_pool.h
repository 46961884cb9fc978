/*
 * sl_pool.h - a pool of worker threads taking work items from one queue.
 *
 * Items are taken in the order they were submitted, except that an item
 * belongs to a group (a source) and a group has a limit of items running at
 * once (its max_connections): a worker skips items of a group at its limit
 * and takes the next one it may run. Items may submit further items.
 *
 *   int limits[] = { 4, 2 };
 *   sl_pool *p = sl_pool_new(workers, limits, 2);
 *   sl_pool_submit(p, fn, arg, group);     // fn(arg, worker_index)
 *   sl_pool_wait(p);                       // until every item has run
 *   sl_pool_free(p);                       // joins the threads
 */
#ifndef SL_POOL_H
#define SL_POOL_H

typedef struct sl_pool sl_pool;
typedef void (*sl_pool_fn)(void *arg, int worker);

/* limits[g] > 0 caps group g; ngroups may be 0 (limits NULL). */
sl_pool *sl_pool_new(int workers, const int *limits, int ngroups);
/* group -1: no limit. */
void sl_pool_submit(sl_pool *p, sl_pool_fn fn, void *arg, int group);
void sl_pool_wait(sl_pool *p);
void sl_pool_free(sl_pool *p);
int sl_pool_workers(const sl_pool *p);

#endif
