/*
 * sl_fs.h - small file-system helpers for the state store and the commit
 * protocol: mkdir -p, fsync of files and directories, recursive removal,
 * atomic small-file writes, CRC-32 of a file, path joins.
 *
 * Every function that can fail fills err (ENOSPC and EDQUOT become
 * SL_ENOSPACE, everything else SL_EIO, always naming the path) and returns -1.
 * Returned strings are sl_malloc'd; the caller frees them with sl_free.
 */
#ifndef SL_FS_H
#define SL_FS_H

#include "../core/sl_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* mkdir -p (mode 0755, less the umask); an existing directory is fine. */
int sl_fs_mkdirs(const char *path, sl_err *err);
/* mkdir -p where the last directory, when it has to be created, gets mode
 * 0700 (the state store's: it holds key values and errors); the parents it
 * creates get 0755. An existing directory is left as it is (it may be shared,
 * like the job's directory given with --state). */
int sl_fs_mkdirs_private(const char *path, sl_err *err);
/* fsync a directory, so the names created or renamed in it are durable. */
int sl_fs_fsync_dir(const char *path, sl_err *err);
/* fsync an existing file. */
int sl_fs_fsync_file(const char *path, sl_err *err);
/* rm -rf: removes a file or a directory tree; a missing path is fine.
 * Does not follow symbolic links. */
int sl_fs_rmtree(const char *path, sl_err *err);
/* Writes data to path atomically: "<dir>/.<name>.tmp", fsync, rename, fsync dir. */
int sl_fs_write_atomic(const char *path, const void *data, size_t len, sl_err *err);
/* Reads a whole (small) file into a NUL-terminated sl_malloc'd buffer. */
char *sl_fs_read_all(const char *path, size_t *len, sl_err *err);
/* CRC-32 (zlib, the same as sl_out's) and size of a file's content. */
int sl_fs_file_crc32(const char *path, uint32_t *crc, uint64_t *size, sl_err *err);

bool sl_fs_exists(const char *path);
bool sl_fs_is_dir(const char *path);
/* "a" + "/" + "b" (no doubled slash). */
char *sl_fs_join(const char *a, const char *b);
/* The directory part of path ("." when none). */
char *sl_fs_dirname(const char *path);
/* This machine's host name (never fails; "unknown" at worst). */
const char *sl_fs_hostname(char *buf, size_t size);
/* Sets err from errno for an operation on path: "<op> <path>: <strerror>". */
int sl_fs_errno(sl_err *err, int errnum, const char *op, const char *path);

#endif
