/*
 * sl_demo_data.c - generates the demo shop database (see sl_demo_data.h).
 *
 * Speed: one transaction, journal off, one prepared statement per table,
 * values bound from stack buffers (SQLITE_STATIC), no allocation per row;
 * tables get INTEGER PRIMARY KEY (the rowid) and no other index.
 *
 * Shape: customer ids of orders follow a Zipf-like law (rank = floor(N^u)
 * for u uniform in [0,1) gives P(rank k) ~ 1/(k ln N)), mapped through a
 * fixed permutation so that the busiest customers are not simply ids 1, 2, 3.
 * Order times increase with the order id (as an OLTP sequence does) with
 * jitter. Prices are stored as SQLite text like '12.34' in columns declared
 * DECIMAL(p,2); timestamps as ISO text 'YYYY-MM-DD HH:MM:SS', dates as
 * 'YYYY-MM-DD', booleans as 0/1 in BOOLEAN columns.
 */
#include "sl_demo_data.h"

#include "../core/sl_alloc.h"
#include "../core/sl_types.h"

#include <inttypes.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* splitmix64: small, fast, and good enough for demo data. */
typedef struct { uint64_t s; } sl_rng;

static inline uint64_t sl_rng_next(sl_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static inline uint64_t sl_rng_below(sl_rng *r, uint64_t n) { return sl_rng_next(r) % n; }
static inline double sl_rng_unit(sl_rng *r) { return (double)(sl_rng_next(r) >> 11) * 0x1.0p-53; }
static inline int sl_rng_pct(sl_rng *r, int pct) { return (int)sl_rng_below(r, 100) < pct; }

#define SL_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const sl_first[] = {
    "Anna", "Ben", "Chloé", "Zoë", "José", "François", "Søren", "Åsa", "Björk", "Łukasz", "Małgorzata",
    "Jürgen", "Dvořák", "Nguyễn", "Siobhán", "Ngozi", "Oluwaseun", "Priya", "Arjun", "Mei", "Hiroshi",
    "さくら", "太郎", "王芳", "李娜", "김민준", "Ольга", "Дмитрий", "Αθηνά", "محمد", "فاطمة", "יעל",
    "Emma", "Liam", "Olivia", "Noah", "Sofía", "Mateo", "Camille", "Lucas", "Giulia", "Marco", "Ana",
    "João", "Inês", "Tomás", "Ayşe", "Mehmet", "Élodie", "Renée",
};
static const char *const sl_last[] = {
    "Müller", "Schmidt", "García", "Fernández", "Dubois", "Lefèvre", "Rossi", "Bianchi", "Silva",
    "Gonçalves", "Nowak", "Kowalski", "Novák", "Svoboda", "Johansson", "Ødegaard", "Smith", "Jones",
    "O'Brien", "Murphy", "Okafor", "Adeyemi", "Patel", "Sharma", "Tanaka", "佐藤", "鈴木", "张", "陈",
    "박", "Иванов", "Παπαδόπουλος", "Yılmaz", "Öztürk", "Nguyen", "Kim", "Lee", "Brown", "Wilson",
    "Martin", "Bernard", "Kühn", "Straße", "Þórsson", "Ñúñez",
};
static const char *const sl_emoji_suffix[] = { "", "", "", "", "", "", "", "", "", "", "", "", " 🌻", " 🚀", " ☕" };

static const struct { const char *code, *city[4]; int weight; } sl_countries[] = {
    { "DE", { "Berlin", "München", "Köln", "Düsseldorf" }, 18 },
    { "FR", { "Paris", "Lyon", "Orléans", "Besançon" }, 14 },
    { "US", { "New York", "Austin", "Chicago", "Seattle" }, 20 },
    { "JP", { "東京", "大阪", "京都", "札幌" }, 10 },
    { "BR", { "São Paulo", "Rio de Janeiro", "Florianópolis", "Belém" }, 8 },
    { "ES", { "Madrid", "A Coruña", "Cádiz", "Málaga" }, 7 },
    { "PL", { "Warszawa", "Kraków", "Łódź", "Gdańsk" }, 6 },
    { "CN", { "北京", "上海", "深圳", "成都" }, 9 },
    { "SE", { "Stockholm", "Göteborg", "Malmö", "Umeå" }, 4 },
    { "TR", { "İstanbul", "Ankara", "İzmir", "Muğla" }, 4 },
};

static const char *const sl_categories[] = { "kitchen", "garden", "books", "toys", "electronics",
                                             "clothing", "sports", "beauty", "grocery", "office" };
static const char *const sl_adjectives[] = { "Classic", "Deluxe", "Compact", "Organic", "Smart", "Vintage",
                                             "Ultra", "Eco", "Mini", "Pro", "Handmade", "Crème", "Café",
                                             "Nordic", "Kyoto", "Ünique" };
static const char *const sl_nouns[] = { "Mug", "Kettle", "Lamp", "Backpack", "Notebook", "Headphones",
                                        "Teapot", "Bicycle Bell", "Yoga Mat", "Cutting Board", "Umbrella",
                                        "Desk Chair", "Plant Pot", "Jigsaw Puzzle", "Water Bottle",
                                        "Wallet", "抹茶 Whisk", "Bento Box", "Piñata", "Crêpe Pan" };
static const char *const sl_product_emoji[] = { "", "", "", "", "", "", "", " ☕", " 🚲", " 🎧", " 🌱", " 🧩" };

static const struct { const char *name; int weight; } sl_statuses[] = {
    { "delivered", 62 }, { "shipped", 12 }, { "paid", 8 }, { "new", 6 }, { "cancelled", 7 }, { "returned", 5 },
};
static const char *const sl_currencies[] = { "EUR", "EUR", "EUR", "USD", "USD", "JPY", "BRL", "PLN", "SEK" };
static const char *const sl_coupons[] = { "WELCOME10", "SUMMER24", "BLACKFRIDAY", "VIP-5", "FREESHIP" };
static const char *const sl_notes[] = { "Please ring twice", "Bitte beim Nachbarn abgeben",
                                        "置き配希望 (leave at door)", "Gift wrap 🎁, no invoice in the box",
                                        "Livraison après 18h", "Frágil — cuidado", "Call before delivery 📞",
                                        "Zadzwoń przed dostawą", "", "Deliver to the back door, the dog is friendly 🐕" };

/* 2022-01-01 00:00:00 UTC and the span orders cover (four years). */
#define SL_DEMO_T0 1640995200LL
#define SL_DEMO_SPAN (4LL * 365 * 86400)

static int sl_demo_sqlite_fail(sqlite3 *db, const char *what, const char *path, sl_err *err)
{
    return sl_err_set(err, SL_EIO, "demo database %s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

static size_t sl_demo_ts(int64_t unix_s, char *buf)
{
    return sl_format_timestamp(unix_s * 1000000, false, buf);
}

static size_t sl_demo_money(int64_t cents, char *buf)
{
    return sl_format_decimal(cents, 2, buf);
}

static const char *const sl_demo_schema =
    "CREATE TABLE customers ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, country TEXT NOT NULL, city TEXT,"
    " signed_up_at TIMESTAMP NOT NULL, birth_date DATE, vip BOOLEAN NOT NULL);"
    "CREATE TABLE products ("
    " id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, category TEXT NOT NULL,"
    " price DECIMAL(10,2) NOT NULL, weight_kg REAL, active BOOLEAN NOT NULL);"
    "CREATE TABLE orders ("
    " id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT NOT NULL,"
    " ordered_at TIMESTAMP NOT NULL, shipped_at TIMESTAMP, total DECIMAL(12,2) NOT NULL,"
    " currency TEXT NOT NULL, coupon TEXT, note TEXT);"
    "CREATE TABLE order_items ("
    " id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, line_no INTEGER NOT NULL,"
    " product_id INTEGER NOT NULL, quantity INTEGER NOT NULL, unit_price DECIMAL(10,2) NOT NULL,"
    " discount DECIMAL(10,2));";

typedef struct sl_demo {
    sqlite3 *db;
    const char *path;
    sl_rng rng;
    sl_err *err;
} sl_demo;

static sqlite3_stmt *sl_demo_prepare(sl_demo *d, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sl_demo_sqlite_fail(d->db, "prepare", d->path, d->err);
        return NULL;
    }
    return st;
}

static int sl_demo_step(sl_demo *d, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE) return sl_demo_sqlite_fail(d->db, "insert", d->path, d->err);
    sqlite3_reset(st);
    return 0;
}

static void sl_bind_text(sqlite3_stmt *st, int col, const char *s, int len)
{
    sqlite3_bind_text(st, col, s, len, SQLITE_STATIC);
}

static int sl_demo_customers(sl_demo *d, int64_t n)
{
    sqlite3_stmt *st = sl_demo_prepare(d, "INSERT INTO customers VALUES (?,?,?,?,?,?,?,?)");
    if (!st) return -1;
    int total_weight = 0;
    for (int i = 0; i < SL_N(sl_countries); i++) total_weight += sl_countries[i].weight;
    char name[160], email[96], ts[64], date[64];
    int rc = 0;
    for (int64_t id = 1; id <= n && rc == 0; id++) {
        sl_rng *r = &d->rng;
        const char *first = sl_first[sl_rng_below(r, SL_N(sl_first))];
        const char *last = sl_last[sl_rng_below(r, SL_N(sl_last))];
        int nl = snprintf(name, sizeof name, "%s %s%s", first, last, sl_emoji_suffix[sl_rng_below(r, SL_N(sl_emoji_suffix))]);
        int w = (int)sl_rng_below(r, (uint64_t)total_weight), c = 0;
        while (w >= sl_countries[c].weight) w -= sl_countries[c++].weight;
        sqlite3_bind_int64(st, 1, id);
        sl_bind_text(st, 2, name, nl);
        if (sl_rng_pct(r, 8)) {
            sqlite3_bind_null(st, 3);
        } else {
            int ne = snprintf(email, sizeof email, "customer%" PRId64 "@%s", id,
                              (const char *[]){ "example.com", "mail.example.org", "shop.example" }[id % 3]);
            sl_bind_text(st, 3, email, ne);
        }
        sl_bind_text(st, 4, sl_countries[c].code, -1);
        if (sl_rng_pct(r, 3)) sqlite3_bind_null(st, 5);
        else sl_bind_text(st, 5, sl_countries[c].city[sl_rng_below(r, 4)], -1);
        /* sign-up dates spread over the two years before the first order and the span */
        int64_t signed_up = SL_DEMO_T0 - 2 * 365 * 86400 + (int64_t)sl_rng_below(r, (uint64_t)(SL_DEMO_SPAN + 2 * 365 * 86400));
        sl_bind_text(st, 6, ts, (int)sl_demo_ts(signed_up, ts));
        if (sl_rng_pct(r, 30)) {
            sqlite3_bind_null(st, 7);
        } else {
            /* born 1940..2006: days since 1970 may be negative */
            int64_t days = sl_days_from_civil(1940, 1, 1) + (int64_t)sl_rng_below(r, 66 * 365);
            sl_bind_text(st, 7, date, (int)sl_format_date((int32_t)days, date));
        }
        sqlite3_bind_int(st, 8, sl_rng_pct(r, 4));
        rc = sl_demo_step(d, st);
    }
    sqlite3_finalize(st);
    return rc;
}

static int sl_demo_products(sl_demo *d, int64_t n, int64_t *prices)
{
    sqlite3_stmt *st = sl_demo_prepare(d, "INSERT INTO products VALUES (?,?,?,?,?,?,?)");
    if (!st) return -1;
    char sku[32], name[160], price[64];
    int rc = 0;
    for (int64_t id = 1; id <= n && rc == 0; id++) {
        sl_rng *r = &d->rng;
        int ns = snprintf(sku, sizeof sku, "SKU-%06" PRId64, id * 7 % 1000003);
        int nn = snprintf(name, sizeof name, "%s %s%s", sl_adjectives[sl_rng_below(r, SL_N(sl_adjectives))],
                          sl_nouns[sl_rng_below(r, SL_N(sl_nouns))],
                          sl_product_emoji[sl_rng_below(r, SL_N(sl_product_emoji))]);
        /* log-uniform prices from 0.99 to ~2000.00, most ending in .99 or .00 */
        int64_t cents = (int64_t)exp(log(99.0) + sl_rng_unit(r) * (log(200000.0) - log(99.0)));
        cents = cents / 100 * 100 + (sl_rng_pct(r, 70) ? 99 : 0);
        prices[id] = cents;
        sqlite3_bind_int64(st, 1, id);
        sl_bind_text(st, 2, sku, ns);
        sl_bind_text(st, 3, name, nn);
        sl_bind_text(st, 4, sl_categories[sl_rng_below(r, SL_N(sl_categories))], -1);
        sl_bind_text(st, 5, price, (int)sl_demo_money(cents, price));
        if (sl_rng_pct(r, 5)) sqlite3_bind_null(st, 6);
        else sqlite3_bind_double(st, 6, (double)(50 + sl_rng_below(r, 20000)) / 1000.0);
        sqlite3_bind_int(st, 7, !sl_rng_pct(r, 6));
        rc = sl_demo_step(d, st);
    }
    sqlite3_finalize(st);
    return rc;
}

static uint64_t sl_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int sl_demo_orders(sl_demo *d, int64_t norders, int64_t ncustomers, int64_t nproducts,
                          const int64_t *prices, int64_t *nitems)
{
    sqlite3_stmt *so = sl_demo_prepare(d, "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?)");
    sqlite3_stmt *si = so ? sl_demo_prepare(d, "INSERT INTO order_items VALUES (?,?,?,?,?,?,?)") : NULL;
    if (!si) {
        sqlite3_finalize(so);
        return -1;
    }
    int status_weight = 0;
    for (int i = 0; i < SL_N(sl_statuses); i++) status_weight += sl_statuses[i].weight;
    /* a multiplier coprime with ncustomers permutes ranks into ids */
    uint64_t mult = 2654435761u % (uint64_t)ncustomers;
    while (sl_gcd(mult, (uint64_t)ncustomers) != 1) mult++;
    double log_nc = log((double)ncustomers);
    char ordered[64], shipped[64], total[64], unit[64], disc[64];
    int64_t item_id = 0;
    int rc = 0;
    for (int64_t id = 1; id <= norders && rc == 0; id++) {
        sl_rng *r = &d->rng;
        int64_t rank = (int64_t)exp(sl_rng_unit(r) * log_nc);          /* 1..ncustomers, Zipf-like */
        if (rank < 1) rank = 1;
        if (rank > ncustomers) rank = ncustomers;
        int64_t customer = 1 + (int64_t)(((unsigned __int128)(rank - 1) * mult) % (uint64_t)ncustomers);
        int w = (int)sl_rng_below(r, (uint64_t)status_weight), s = 0;
        while (w >= sl_statuses[s].weight) w -= sl_statuses[s++].weight;
        int64_t at = SL_DEMO_T0 + (int64_t)((double)SL_DEMO_SPAN * (double)id / (double)norders)
                     + (int64_t)sl_rng_below(r, 600);
        /* the items first: the order's total is their sum */
        int lines = 1 + (int)(sl_rng_below(r, 100) < 45) + (int)(sl_rng_below(r, 100) < 30)
                    + (int)(sl_rng_below(r, 100) < 15) + (int)(sl_rng_below(r, 100) < 8);
        int64_t sum = 0;
        for (int line = 1; line <= lines && rc == 0; line++) {
            int64_t product = 1 + (int64_t)sl_rng_below(r, (uint64_t)nproducts);
            int qty = 1 + (sl_rng_pct(r, 25) ? (int)sl_rng_below(r, 5) : 0);
            int64_t cents = prices[product], discount = -1;
            if (sl_rng_pct(r, 20)) discount = cents * qty * (int64_t)(5 + 5 * sl_rng_below(r, 4)) / 100;
            sum += cents * qty - (discount > 0 ? discount : 0);
            sqlite3_bind_int64(si, 1, ++item_id);
            sqlite3_bind_int64(si, 2, id);
            sqlite3_bind_int(si, 3, line);
            sqlite3_bind_int64(si, 4, product);
            sqlite3_bind_int(si, 5, qty);
            sl_bind_text(si, 6, unit, (int)sl_demo_money(cents, unit));
            if (discount < 0) sqlite3_bind_null(si, 7);
            else sl_bind_text(si, 7, disc, (int)sl_demo_money(discount, disc));
            rc = sl_demo_step(d, si);
        }
        if (rc) break;
        sqlite3_bind_int64(so, 1, id);
        sqlite3_bind_int64(so, 2, customer);
        sl_bind_text(so, 3, sl_statuses[s].name, -1);
        sl_bind_text(so, 4, ordered, (int)sl_demo_ts(at, ordered));
        if (s <= 1 || s == 5) /* delivered, shipped, returned */
            sl_bind_text(so, 5, shipped, (int)sl_demo_ts(at + 3600 + (int64_t)sl_rng_below(r, 4 * 86400), shipped));
        else
            sqlite3_bind_null(so, 5);
        sl_bind_text(so, 6, total, (int)sl_demo_money(sum, total));
        sl_bind_text(so, 7, sl_currencies[sl_rng_below(r, SL_N(sl_currencies))], -1);
        if (sl_rng_pct(r, 12)) sl_bind_text(so, 8, sl_coupons[sl_rng_below(r, SL_N(sl_coupons))], -1);
        else sqlite3_bind_null(so, 8);
        if (sl_rng_pct(r, 7)) sl_bind_text(so, 9, sl_notes[sl_rng_below(r, SL_N(sl_notes))], -1);
        else sqlite3_bind_null(so, 9);
        rc = sl_demo_step(d, so);
    }
    *nitems = item_id;
    sqlite3_finalize(so);
    sqlite3_finalize(si);
    return rc;
}

int sl_demo_generate(const char *path, const sl_demo_opts *opts, sl_demo_counts *counts, sl_err *err)
{
    sl_demo_counts c = { 0 };
    c.orders = opts->orders > 0 ? opts->orders : SL_DEMO_ORDERS;
    c.customers = c.orders / 10 < 100 ? 100 : c.orders / 10;
    c.products = c.orders / 200 < 50 ? 50 : (c.orders / 200 > 5000 ? 5000 : c.orders / 200);

    char *tmp = sl_sprintf("%s.tmp", path);
    unlink(tmp);
    sl_demo d = { .path = path, .rng = { opts->seed ? opts->seed : 42 }, .err = err };
    int64_t *prices = NULL;
    int rc = -1;
    if (sqlite3_open_v2(tmp, &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        sl_err_set(err, SL_EIO, "demo database %s: cannot create: %s; check that its directory is writable",
                   tmp, d.db ? sqlite3_errmsg(d.db) : "out of memory");
        goto done;
    }
    if (sqlite3_exec(d.db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
                           "PRAGMA cache_size=-65536; PRAGMA page_size=8192;", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(d.db, sl_demo_schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(d.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        sl_demo_sqlite_fail(d.db, "schema", path, err);
        goto done;
    }
    prices = sl_calloc((size_t)c.products + 1, sizeof *prices);
    if (sl_demo_customers(&d, c.customers) < 0 || sl_demo_products(&d, c.products, prices) < 0 ||
        sl_demo_orders(&d, c.orders, c.customers, c.products, prices, &c.order_items) < 0)
        goto done;
    if (sqlite3_exec(d.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sl_demo_sqlite_fail(d.db, "commit", path, err);
        goto done;
    }
    if (sqlite3_close(d.db) != SQLITE_OK) {
        sl_demo_sqlite_fail(d.db, "close", path, err);
        goto done;
    }
    d.db = NULL;
    if (rename(tmp, path) != 0) {
        sl_err_set(err, SL_EIO, "demo database: cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto done;
    }
    *counts = c;
    rc = 0;
done:
    if (d.db) sqlite3_close(d.db);
    if (rc) unlink(tmp);
    sl_free(prices);
    sl_free(tmp);
    return rc;
}
