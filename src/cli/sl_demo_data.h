/*
 * sl_demo_data.h - the embedded demo's data: a SQLite database shaped like a
 * shop's OLTP database, generated with the sqlite3 C API.
 *
 *   customers    id, name (unicode: accents, CJK, emoji), email, country,
 *                city, signed_up_at, birth_date, vip
 *   products     id, sku, name, category, price DECIMAL(10,2), weight_kg,
 *                active
 *   orders       id, customer_id (Zipf-like: a few customers place most
 *                orders), status, ordered_at, shipped_at, total
 *                DECIMAL(12,2), currency, coupon, note
 *   order_items  id, order_id, line_no, product_id, quantity,
 *                unit_price DECIMAL(10,2), discount DECIMAL(10,2)
 * with NULLs where a shop has them. Deterministic: the same options give the
 * same database, byte for byte.
 *
 * sl_demo_generate() writes the database to `<path>.tmp` in one transaction
 * with prepared statements, then renames it over `path`, so a rerun replaces
 * the database and an interrupted one leaves the old database intact.
 */
#ifndef SL_DEMO_DATA_H
#define SL_DEMO_DATA_H

#include "../core/sl_error.h"

#include <stdint.h>

typedef struct sl_demo_opts {
    int64_t orders;          /* default SL_DEMO_ORDERS */
    uint64_t seed;           /* PRNG seed; default 42 */
} sl_demo_opts;

#define SL_DEMO_ORDERS 1000000

typedef struct sl_demo_counts {
    int64_t customers, products, orders, order_items;
} sl_demo_counts;

/* Returns 0 and fills counts, or -1 with err (the old database untouched). */
int sl_demo_generate(const char *path, const sl_demo_opts *opts, sl_demo_counts *counts, sl_err *err);

#endif
