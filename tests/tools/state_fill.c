/*
 * state_fill.c - fills a state database with three runs of job "shop" for
 * the `sluice status` suite: run 1 succeeded (orders 2 tasks, customers 1,
 * both published), run 2 failed (a permanent error on orders task 1 after a
 * transient retry), run 3 left running by a process that is gone.
 *
 *   state_fill PATH
 */
#include "core/sl_error.h"
#include "state/sl_state.h"

#include <stdio.h>

static int fail(const sl_err *err)
{
    fprintf(stderr, "state_fill: %s\n", err->msg);
    return 1;
}

static int task_ok(sl_state *st, int64_t id, const char *file, int64_t rows, sl_err *err)
{
    int attempt;
    sl_task_result res = { rows, rows * 40, 0.5, file, rows * 10, 0x1234u, NULL, 0, NULL, 0, NULL };
    if (sl_state_attempt_begin(st, id, 0, &attempt, err) < 0) return -1;
    return sl_state_attempt_end(st, id, attempt, NULL, false, &res, err);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: state_fill PATH\n");
        return 2;
    }
    sl_err err = SL_ERR_INIT;
    sl_state *st = sl_state_open(argv[1], &err);
    if (!st) return fail(&err);
    sl_task_spec orders[2] = { { 0, "id < 1000", 1000 }, { 1, "id >= 1000", 1000 } };
    sl_task_spec customers[1] = { { 0, NULL, 500 } };
    for (int r = 1; r <= 3; r++) {
        sl_run_start rs;
        int64_t oid[2], cid[1];
        if (sl_state_run_begin(st, "shop", r == 3 ? "h2" : "h1", r == 3, &rs, &err) < 0 ||
            sl_state_table_register(st, rs.run_id, "orders", "lake", 1700000000, &err) < 0 ||
            sl_state_table_register(st, rs.run_id, "customers", "lake", 1700000000, &err) < 0 ||
            sl_state_tasks_register(st, rs.run_id, "orders", NULL, orders, 2, oid, NULL, &err) < 0 ||
            sl_state_tasks_register(st, rs.run_id, "customers", NULL, customers, 1, cid, NULL, &err) < 0 ||
            task_ok(st, cid[0], "part-0000.parquet", 500, &err) < 0 ||
            task_ok(st, oid[0], "part-0000.parquet", 1000, &err) < 0)
            return fail(&err);
        if (r == 1) {
            if (task_ok(st, oid[1], "part-0001.parquet", 1000, &err) < 0 ||
                sl_state_table_published(st, rs.run_id, "orders", 2000, 20000, &err) < 0 ||
                sl_state_table_published(st, rs.run_id, "customers", 500, 5000, &err) < 0 ||
                sl_state_run_finish(st, rs.run_id, SL_RUN_SUCCEEDED, NULL, &err) < 0)
                return fail(&err);
        } else if (r == 2) {
            int attempt;
            sl_err lost = SL_ERR_INIT, perm = SL_ERR_INIT;
            sl_err_set(&lost, SL_ETRANSIENT, "server closed the connection unexpectedly");
            sl_err_set(&perm, SL_ESOURCE, "permission denied for table orders");
            if (sl_state_attempt_begin(st, oid[1], 1, &attempt, &err) < 0 ||
                sl_state_attempt_end(st, oid[1], attempt, &lost, true, NULL, &err) < 0 ||
                sl_state_attempt_begin(st, oid[1], 1, &attempt, &err) < 0 ||
                sl_state_attempt_end(st, oid[1], attempt, &perm, false, NULL, &err) < 0 ||
                sl_state_table_failed(st, rs.run_id, "orders", "task 1 failed", &err) < 0 ||
                sl_state_table_published(st, rs.run_id, "customers", 500, 5000, &err) < 0 ||
                sl_state_run_finish(st, rs.run_id, SL_RUN_FAILED, "table orders: task 1: permission denied", &err) < 0)
                return fail(&err);
        } else {
            int attempt;
            if (sl_state_attempt_begin(st, oid[1], 1, &attempt, &err) < 0) return fail(&err);
        }
    }
    sl_state_close(st);
    return 0;
}
