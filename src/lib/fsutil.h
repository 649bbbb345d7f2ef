/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small filesystem helpers. */
#ifndef MHAADM_FSUTIL_H
#define MHAADM_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * mkdir -p: creates dir and any missing directory above it, each new one
 * with mode; existing ones are left as they are. Returns 0, or -1 with
 * *cause ("cannot create PATH: REASON", newly allocated).
 */
int fs_mkdirs(const char *dir, mode_t mode, char **cause);

/*
 * Writes len bytes of text to path atomically: a temp file beside it,
 * mode 0600, fsync, rename, then fsync of the directory (created 0700 when
 * missing). A reader sees the old file or the whole new one, never a part.
 * Returns 0, or -1 with *cause (newly allocated).
 */
int fs_write_atomic(const char *path, const char *text, size_t len, char **cause);

/* The directory part of path, newly allocated ("/" for "/x", "." for "x"). */
char *fs_dirname(const char *path);

#endif
