/*
 * sl_source_sql.h - the source of a computed (`sql:`) table: its query run
 * by an embedded DuckDB over its inputs' Parquet files (sl_source_sql.c).
 * Exec picks it for tables whose source kind is "sql"; it is not among
 * sources/sl_source_lookup's kinds because it sits above store/.
 */
#ifndef SL_SOURCE_SQL_H
#define SL_SOURCE_SQL_H

#include "../sources/sl_source.h"

extern const sl_source_ops sl_source_sql;

/* Closes the table's DuckDB database (its materialised result) once every
 * task has ended; finish still frees the rest. */
void sl_source_sql_release(sl_source_table *tab);

#endif
