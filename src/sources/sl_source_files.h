/*
 * sl_source_files.h - finding the input files of a file source (csv,
 * parquet): a name or a glob of names, or the files of a lake table.
 *
 * Both return sl_malloc'd arrays of sl_malloc'd full paths (free them with
 * sl_source_files_free); on an error nothing is left to free. `what`
 * ("table orders") starts every error message.
 */
#ifndef SL_SOURCE_FILES_H
#define SL_SOURCE_FILES_H

#include "../core/sl_error.h"

#include <stddef.h>
#include <stdint.h>

/* The name of the manifest a published lake table holds: the same as
 * SL_MANIFEST_NAME of state/sl_publish.h (sources do not depend on state/;
 * test_src_parquet checks the two agree). */
#define SL_SOURCE_MANIFEST "_sluice_manifest.json"

/* `file` under `base` (absolute `file` stands alone): one name, or a glob
 * of names in one directory (wildcards only in the last part; hidden names
 * never match), in name order. Without `file`, `base` itself, which must not
 * be a directory. A glob matching nothing is an error. */
int sl_source_list_files(const char *what, const char *base, const char *file, char ***files, int *nfiles,
                         sl_err *err);

/* The files of a lake table directory `dir`: exactly those its
 * _sluice_manifest.json lists, in its order, each checked to exist with the
 * size the manifest gives; without a manifest, every `*.parquet` below dir
 * in name order, descending only into hive partition directories
 * (`key=value`) and skipping hidden and `_`-prefixed names (`_SUCCESS`,
 * `.sluice-staging`). *sizes (may be NULL) gets each file's size in bytes.
 * No file is an error. */
int sl_source_list_lake(const char *what, const char *dir, char ***files, int64_t **sizes, int *nfiles, sl_err *err);

/* The files a manifest's text lists (names relative to its table, checked
 * to stay inside it) and the bytes it gives each; for a table that is not
 * on the local file system (an object store). sl_source_files_free names,
 * sl_free bytes. */
int sl_source_manifest_names(const char *what, const char *mpath, const char *text, size_t len, char ***names,
                             int64_t **bytes, int *n, sl_err *err);

void sl_source_files_free(char **files, int nfiles);

#endif
