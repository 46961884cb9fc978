/*
 * sl_cmd_verify_wh.h - `sluice verify` of a table in a warehouse target
 * (postgres, duckdb): the stored receipt against the live table
 * (sl_cmd_verify_wh.c). Prints ok/DIFFERS/FAILED/SKIPPED lines; returns
 * the number of problems.
 */
#ifndef SL_CMD_VERIFY_WH_H
#define SL_CMD_VERIFY_WH_H

#include "../job/sl_job.h"

int sl_verify_warehouse(const sl_job *job, const sl_job_table *cfg, const sl_job_target *tg);

#endif
