/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one audited quoting function: argv → a POSIX shell command line. */
#include "shquote.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/*
 * Inside single quotes a POSIX shell interprets nothing at all, not even a
 * backslash; the only character that cannot appear there is the single
 * quote itself, which is written as '\'' (close, escaped quote, reopen).
 * Every argument is quoted, even a harmless one, so there is no list of
 * "safe" characters to get wrong.
 */
char *
shquote(const char *s)
{
	size_t len = 2, i;
	const char *p;
	char *out;

	for (p = s; *p != '\0'; p++)
		len += (*p == '\'') ? 4 : 1;

	out = xmalloc(len + 1);
	i = 0;
	out[i++] = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(out + i, "'\\''", 4);
			i += 4;
		} else
			out[i++] = *p;
	}
	out[i++] = '\'';
	out[i] = '\0';
	return out;
}

char *
shquote_argv(const char *const *argv)
{
	char *out, **parts;
	size_t n, i, len = 0, off = 0, plen;

	if (argv == NULL || argv[0] == NULL)
		return xstrdup("");

	for (n = 0; argv[n] != NULL; n++)
		;
	parts = xcalloc(n, sizeof *parts);
	for (i = 0; i < n; i++) {
		parts[i] = shquote(argv[i]);
		len += strlen(parts[i]) + 1;
	}

	out = xmalloc(len);
	for (i = 0; i < n; i++) {
		if (i != 0)
			out[off++] = ' ';
		plen = strlen(parts[i]);
		memcpy(out + off, parts[i], plen);
		off += plen;
		free(parts[i]);
	}
	out[off] = '\0';
	free(parts);
	return out;
}
