/* Small filesystem helpers. */
#ifndef MHAADM_FSUTIL_H
#define MHAADM_FSUTIL_H

#include <sys/types.h>

/*
 * mkdir -p: creates dir and any missing directory above it, each new one
 * with mode; existing ones are left as they are. Returns 0, or -1 with
 * *cause ("cannot create PATH: REASON", newly allocated).
 */
int fs_mkdirs(const char *dir, mode_t mode, char **cause);

#endif
