/*
 * sl_check_int.h - shared by the files of src/checks/ (not for other layers).
 */
#ifndef SL_CHECK_INT_H
#define SL_CHECK_INT_H

#include "sl_check.h"

#include "../core/sl_buf.h"

/* sl_check_sql.c: DuckDB SQL of the rules. */
void sl_check_sql_ident(sl_buf *b, const char *name);
void sl_check_sql_text(sl_buf *b, const char *text);
void sl_check_sql_files(sl_buf *b, char **files, int n);
/* A row-level rule's predicate: true for the rows that fail it. -1 for set-level rules. */
int sl_check_sql_bad(sl_buf *b, const sl_job_check *c, char **ref_files, int ref_nfiles);
void sl_check_sql_ts(sl_buf *b, const sl_job_check *c);
void sl_check_sql_key(sl_buf *b, const sl_job_table *cfg, const sl_schema *schema);

#endif
