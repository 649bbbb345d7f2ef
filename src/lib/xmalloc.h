/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Allocation wrappers that abort on out-of-memory, plus secret wiping. */
#ifndef MHAADM_XMALLOC_H
#define MHAADM_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same with a va_list. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Wipes a NUL-terminated secret before freeing it; NULL is fine. */
void xfree_secret(char *secret);

#endif
