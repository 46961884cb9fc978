/*
 * sl_cmd_demo.c - `sluice demo`: the embedded demo, end to end.
 *
 *   sluice demo [--dir DIR] [--lake DIR] [--warehouse FILE] [--orders N] [--workers N] [--seed N]
 *
 * 1. generates DIR/shop.db (default ./demo/shop.db), a SQLite database shaped
 *    like a shop's OLTP database (sl_demo_data.c), replacing a previous one;
 * 2. writes its job file DIR/shop.yaml: source `shop` (sqlite, shop.db beside
 *    the job file), target `lake` (parquet, zstd) at --lake (default ./lake,
 *    relative to the current directory, written into the job file as an
 *    absolute path so `sluice run demo/shop.yaml` works from anywhere), and
 *    target `warehouse` (duckdb) at --warehouse (default ./warehouse.duckdb,
 *    likewise) receiving the same tables (to: [lake, warehouse]);
 * 3. loads it with sl_job_load() and runs it with sl_exec_run();
 * 3b. the job also computes a star schema (dim_customer, dim_product, dim_date,
 *    fact_sales: sql: tables on embedded DuckDB) into both targets;
 * 4. prints what it wrote (tables, rows, files, bytes) and how to look at it.
 * Exit status: 0 done, 1 generation or run failed, 2 usage.
 */
#include "sl_cli.h"
#include "sl_cli_opts.h"
#include "sl_demo_data.h"

#include "../core/sl_alloc.h"
#include "../core/sl_log.h"
#include "../exec/sl_exec.h"
#include "../job/sl_job.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const sl_demo_tables[] = { "customers", "products", "orders", "order_items" };

static void sl_demo_usage(FILE *f)
{
    fprintf(f,
            "usage: sluice demo [--dir DIR] [--lake DIR] [--warehouse FILE] [--orders N] [--workers N] [--seed N]\n"
            "\n"
            "Builds the embedded demo: a SQLite database shaped like a shop's OLTP database\n"
            "(customers, products, orders, order_items; %d orders by default, skewed towards\n"
            "a few customers, with NULLs, unicode names, decimals and timestamps) and its job\n"
            "file, runs the job into a Parquet lake and a DuckDB warehouse (each table read\n"
            "once, written to both), and prints what it wrote.\n"
            "\n"
            "  --dir DIR       where shop.db and shop.yaml go (default ./demo); a rerun replaces them\n"
            "  --lake DIR      the Parquet target (default ./lake, relative to the current directory)\n"
            "  --warehouse FILE  the DuckDB target (default ./warehouse.duckdb)\n"
            "  --orders N      number of orders (default %d); customers are N/10, products N/200\n"
            "  --workers N     worker threads for the run (default: number of cores)\n"
            "  --seed N        seed of the generator (default 42; the same seed gives the same data)\n"
            "  --log-level L   debug|info|warn|error|off (default info)\n"
            "  --log-format F  text|json (default text)\n"
            "\n"
            "exit status: 0 done, 1 failed, 2 usage\n",
            SL_DEMO_ORDERS, SL_DEMO_ORDERS);
}

static double sl_demo_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sl_demo_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* An absolute form of path (which need not exist yet). */
static char *sl_demo_absolute(const char *path)
{
    if (path[0] == '/') return sl_strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return sl_strdup(path);
    while (path[0] == '.' && path[1] == '/') path += 2;
    if (!strcmp(path, ".")) return sl_strdup(cwd);
    return sl_sprintf("%s/%s", cwd, path);
}

/* path as the user would type it: relative when it is under the current directory. */
static const char *sl_demo_shown(const char *path)
{
    static char cwd[PATH_MAX];
    if (!cwd[0] && !getcwd(cwd, sizeof cwd)) return path;
    size_t n = strlen(cwd);
    if (!strncmp(path, cwd, n) && path[n] == '/' && path[n + 1]) return path + n + 1;
    return path;
}

/* How to run this binary from here, for the hints: its path, relative to
 * the current directory when under it ("build/sluice" after `make demo`). */
static const char *sl_demo_self(void)
{
    static char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return "sluice";
    self[n] = '\0';
    return sl_demo_shown(self);
}

static void sl_demo_human(uint64_t bytes, char *buf, size_t size)
{
    if (bytes >= 10ULL << 20) snprintf(buf, size, "%.0f MiB", (double)bytes / 1048576.0);
    else if (bytes >= 1ULL << 20) snprintf(buf, size, "%.1f MiB", (double)bytes / 1048576.0);
    else if (bytes >= 1ULL << 10) snprintf(buf, size, "%.0f KiB", (double)bytes / 1024.0);
    else snprintf(buf, size, "%" PRIu64 " B", bytes);
}

/* Files and bytes of the published table directory, and its first file. */
static void sl_demo_scan(const char *dir, int *files, uint64_t *bytes, char *first, size_t first_size)
{
    *files = 0;
    *bytes = 0;
    first[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;   /* hidden, or metadata (_sluice_manifest.json) */
        char *p = sl_sprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            (*files)++;
            *bytes += (uint64_t)st.st_size;
            if (!first[0] || strcmp(e->d_name, strrchr(first, '/') + 1) < 0) snprintf(first, first_size, "%s", p);
        }
        sl_free(p);
    }
    closedir(d);
}

/* The star schema, computed by DuckDB from the raw tables (sql: tables):
 * dimensions with surrogate keys, a date dimension, one fact row per order item. */
static const char sl_demo_star_tables[] =
    "  # A star schema computed from the tables above (sql: tables run on embedded DuckDB\n"
    "  # once their inputs are published).\n"
    "  dim_customer:\n"
    "    sql: |\n"
    "      select row_number() over (order by id) as customer_key, id as customer_id, name, email,\n"
    "             country, city, signed_up_at, vip\n"
    "      from customers\n"
    "    to: [lake, warehouse]\n"
    "  dim_product:\n"
    "    sql: |\n"
    "      select row_number() over (order by id) as product_key, id as product_id, sku, name, category,\n"
    "             price, active\n"
    "      from products\n"
    "    to: [lake, warehouse]\n"
    "  dim_date:\n"
    "    sql: |\n"
    "      select cast(strftime(d, '%Y%m%d') as integer) as date_key, d as date, year(d) as year,\n"
    "             quarter(d) as quarter, month(d) as month, dayname(d) as weekday, isodow(d) >= 6 as weekend\n"
    "      from (select distinct cast(ordered_at as date) as d from orders)\n"
    "    to: [lake, warehouse]\n"
    "  fact_sales:\n"
    "    sql: |\n"
    "      select i.id as sale_id, i.order_id, c.customer_key, p.product_key,\n"
    "             cast(strftime(cast(o.ordered_at as date), '%Y%m%d') as integer) as date_key,\n"
    "             o.status, i.quantity, i.unit_price, coalesce(i.discount, 0) as discount,\n"
    "             i.quantity * i.unit_price - coalesce(i.discount, 0) as amount\n"
    "      from order_items i\n"
    "      join orders o on o.id = i.order_id\n"
    "      join dim_customer c on c.customer_id = o.customer_id\n"
    "      join dim_product p on p.product_id = i.product_id\n"
    "    to: [lake, warehouse]\n";

static int sl_demo_write_job(const char *job_path, const char *lake, const char *warehouse, sl_err *err)
{
    char *tmp = sl_sprintf("%s.tmp", job_path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        sl_err_set(err, SL_EIO, "cannot write %s: %s", tmp, strerror(errno));
        sl_free(tmp);
        return -1;
    }
    fprintf(f,
            "# The job `sluice demo` wrote and ran: the shop database (SQLite, beside this\n"
            "# file) into a Parquet lake and a DuckDB warehouse, from one read of each table.\n"
            "# Run it again with: sluice run %s\n"
            "name: shop_demo\n"
            "sources:\n"
            "  shop: { kind: sqlite, path: shop.db }\n"
            "targets:\n"
            "  lake: { kind: parquet, path: \"%s\", compression: zstd }\n"
            "  warehouse: { kind: duckdb, path: \"%s\" }\n"
            "tables:\n"
            "  customers: { from: shop, table: customers, to: [lake, warehouse] }\n"
            "  products: { from: shop, table: products, to: [lake, warehouse] }\n"
            "  orders:\n"
            "    from: shop\n"
            "    table: orders\n"
            "    partition: { column: id }\n"
            "    to: [lake, warehouse]\n"
            "  order_items:\n"
            "    from: shop\n"
            "    table: order_items\n"
            "    partition: { column: id }\n"
            "    to: [lake, warehouse]\n"
            "%s",
            job_path, lake, warehouse, sl_demo_star_tables);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, job_path) != 0) {
        sl_err_set(err, SL_EIO, "cannot write %s: %s", job_path, strerror(errno));
        unlink(tmp);
        sl_free(tmp);
        return -1;
    }
    sl_free(tmp);
    return 0;
}

static int sl_demo_int_arg(const char *opt, const char *val, int64_t min, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = val ? strtoll(val, &end, 10) : 0;
    if (!val || errno || *end || v < min) {
        fprintf(stderr, "sluice demo: %s needs an integer >= %" PRId64 "%s%s%s\n", opt, min,
                val ? ", not '" : "", val ? val : "", val ? "'" : "");
        return -1;
    }
    *out = v;
    return 0;
}

int sl_cmd_demo(int argc, char **argv)
{
    const char *dir = "demo", *lake_arg = "lake", *warehouse_arg = "warehouse.duckdb";
    int64_t orders = SL_DEMO_ORDERS, workers = 0, seed = 42;
    sl_log_level level = SL_LOG_INFO;
    bool json = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            sl_demo_usage(stdout);
            return SL_EXIT_OK;
        } else if (!strcmp(a, "--dir") && val) {
            dir = val, i++;
        } else if (!strcmp(a, "--lake") && val) {
            lake_arg = val, i++;
        } else if (!strcmp(a, "--warehouse") && val) {
            warehouse_arg = val, i++;
        } else if (!strcmp(a, "--orders")) {
            if (sl_demo_int_arg(a, val, 1, &orders) < 0) return SL_EXIT_USAGE;
            i++;
        } else if (!strcmp(a, "--workers")) {
            if (sl_demo_int_arg(a, val, 1, &workers) < 0) return SL_EXIT_USAGE;
            i++;
        } else if (!strcmp(a, "--seed")) {
            if (sl_demo_int_arg(a, val, 0, &seed) < 0) return SL_EXIT_USAGE;
            i++;
        } else if (!strcmp(a, "--log-level") && val) {
            if (sl_log_level_parse(val, &level) < 0) {
                fprintf(stderr, "sluice demo: --log-level: '%s' is not one of debug, info, warn, error, off\n", val);
                return SL_EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(a, "--log-format") && val) {
            if (strcmp(val, "text") && strcmp(val, "json")) {
                fprintf(stderr, "sluice demo: --log-format: '%s' is not text or json\n", val);
                return SL_EXIT_USAGE;
            }
            json = !strcmp(val, "json");
            i++;
        } else {
            fprintf(stderr, "sluice demo: %s '%s'\n\n", val || a[0] != '-' ? "unknown argument" : "missing value for",
                    a);
            sl_demo_usage(stderr);
            return SL_EXIT_USAGE;
        }
    }
    sl_log_setup(level, json);

    sl_err err = SL_ERR_INIT;
    if (sl_demo_mkdirs(dir) < 0) {
        fprintf(stderr, "sluice demo: error: cannot create directory %s: %s\n", dir, strerror(errno));
        return SL_EXIT_FAILED;
    }
    char *db_path = sl_sprintf("%s/shop.db", dir);
    char *job_path = sl_sprintf("%s/shop.yaml", dir);
    char *lake = sl_demo_absolute(lake_arg);
    char *warehouse = sl_demo_absolute(warehouse_arg);
    int status = SL_EXIT_FAILED;
    sl_job *job = NULL;
    sl_run_summary summary;
    memset(&summary, 0, sizeof summary);

    printf("sluice demo: generating %s (%" PRId64 " orders) ...\n", db_path, orders);
    fflush(stdout);
    double t0 = sl_demo_now();
    sl_demo_counts counts;
    sl_demo_opts gen = { .orders = orders, .seed = (uint64_t)seed };
    if (sl_demo_generate(db_path, &gen, &counts, &err) < 0) goto fail;
    double t_gen = sl_demo_now() - t0;
    struct stat st;
    uint64_t db_bytes = stat(db_path, &st) == 0 ? (uint64_t)st.st_size : 0;
    char hb[32];
    sl_demo_human(db_bytes, hb, sizeof hb);
    printf("  %" PRId64 " customers, %" PRId64 " products, %" PRId64 " orders, %" PRId64
           " order items: %s in %.1fs\n",
           counts.customers, counts.products, counts.orders, counts.order_items, hb, t_gen);

    if (sl_demo_write_job(job_path, lake, warehouse, &err) < 0) goto fail;
    printf("sluice demo: running %s into %s and %s ...\n", job_path, sl_demo_shown(lake), sl_demo_shown(warehouse));
    fflush(stdout);
    job = sl_job_load(job_path, &err);
    if (!job) {
        status = SL_EXIT_USAGE;
        goto fail;
    }
    sl_run_opts ropts = { .workers = (int)workers, .progress = isatty(2) ? 1 : 0 };
    if (sl_exec_run(job, &ropts, &summary, &err) < 0) goto fail;

    printf("\nsluice demo: wrote %" PRIu64 " rows in %.1fs to %s and %s\n", summary.rows, summary.seconds,
           sl_demo_shown(lake), sl_demo_shown(warehouse));
    printf("  %-12s %10s %6s %6s %10s %11s\n", "table", "rows", "tasks", "files", "size", "task skew");
    char first_orders[PATH_MAX] = "", first_customers[PATH_MAX] = "";
    uint64_t lake_bytes = 0;
    for (int t = 0; t < 4; t++) {
        char *tdir = sl_sprintf("%s/%s", lake, sl_demo_tables[t]);
        int files;
        uint64_t bytes;
        char first[PATH_MAX];
        sl_demo_scan(tdir, &files, &bytes, first, sizeof first);
        lake_bytes += bytes;
        if (t == 0) snprintf(first_customers, sizeof first_customers, "%s", first);
        if (t == 2) snprintf(first_orders, sizeof first_orders, "%s", first);
        const sl_table_metrics *m = NULL;
        for (int k = 0; k < summary.tables && summary.table_metrics; k++)
            if (!strcmp(summary.table_metrics[k].name, sl_demo_tables[t])) m = &summary.table_metrics[k];
        sl_demo_human(bytes, hb, sizeof hb);
        char skew[32] = "-";
        if (m && m->ntasks > 1) snprintf(skew, sizeof skew, "%.2fx", m->skew_rows);
        printf("  %-12s %10" PRIu64 " %6d %6d %10s %11s\n", sl_demo_tables[t], m ? m->rows : (uint64_t)0,
               m ? m->ntasks : 0, files, hb, skew);
        sl_free(tdir);
    }
    char hl[32];
    sl_demo_human(lake_bytes, hl, sizeof hl);
    sl_demo_human(db_bytes, hb, sizeof hb);
    printf("  Parquet (zstd): %s; the SQLite database: %s\n", hl, hb);
    if (stat(warehouse, &st) == 0) {
        sl_demo_human((uint64_t)st.st_size, hb, sizeof hb);
        printf("  DuckDB %s: customers, products, orders, order_items, dim_customer, dim_product, dim_date, fact_sales (%s)\n",
               sl_demo_shown(warehouse), hb);
    }

    printf("\nLook at it:\n");
    const char *self = sl_demo_self();
    if (first_orders[0]) printf("  %s inspect %s\n", self, sl_demo_shown(first_orders));
    if (first_customers[0]) printf("  %s cat --limit 5 %s\n", self, sl_demo_shown(first_customers));
    const char *q = "select status, count(*) as orders, sum(total) as revenue from '%s/orders/*.parquet' "
                    "group by status order by orders desc";
    char *sql = sl_sprintf(q, sl_demo_shown(lake));
    bool peer = access("tools/duck.js", R_OK) == 0;
    if (peer) printf("  node tools/duck.js \"%s\"\n", sql);
    else printf("  duckdb -c \"%s\"\n", sql);
    sl_free(sql);
    const char *wq = "select c.country, count(*) as orders, sum(o.total) as revenue from orders o join "
                     "customers c on c.id = o.customer_id group by 1 order by revenue desc limit 5";
    if (peer) printf("  node tools/duck.js --db %s \"%s\"\n", sl_demo_shown(warehouse), wq);
    else printf("  duckdb -readonly %s \"%s\"\n", sl_demo_shown(warehouse), wq);
    const char *sq = "select d.year, d.quarter, p.category, count(*) as sales, sum(f.amount) as revenue from fact_sales f "
                     "join dim_date d using (date_key) join dim_product p using (product_key) group by all "
                     "order by all limit 8";
    printf("  the star schema (dim_customer, dim_product, dim_date, fact_sales), in the warehouse:\n");
    if (peer) printf("  node tools/duck.js --db %s \"%s\"\n", sl_demo_shown(warehouse), sq);
    else printf("  duckdb -readonly %s \"%s\"\n", sl_demo_shown(warehouse), sq);
    printf("  %s run %s      (runs the same job again)\n", self, job_path);
    status = SL_EXIT_OK;
    goto out;

fail:
    if (status == SL_EXIT_USAGE) sl_log(SL_LOG_ERROR, "%s", err.msg);
    else status = sl_cli_fail(&err);
out:
    sl_run_summary_free(&summary);
    if (job) sl_job_free(job);
    sl_free(db_path);
    sl_free(job_path);
    sl_free(lake);
    sl_free(warehouse);
    return status;
}
