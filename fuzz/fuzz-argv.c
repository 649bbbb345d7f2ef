/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Turns a fuzz input into an argv: words separated by NUL bytes. */
#include "fuzz-argv.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
fuzz_argv_split(
    const uint8_t *data, size_t size, const char *const *prefix, int nprefix, char ***argv)
{
	char **v = xcalloc(FUZZ_ARGV_MAX + nprefix + 1, sizeof(*v));
	size_t start = 0, i;
	int n = 0, k;

	for (k = 0; k < nprefix; k++)
		v[n++] = xstrdup(prefix[k]);
	for (i = 0; i <= size && n < FUZZ_ARGV_MAX + nprefix; i++) {
		if (i < size && data[i] != '\0')
			continue;
		v[n++] = xstrndup((const char *)data + start, i - start);
		start = i + 1;
	}
	*argv = v;
	return n;
}

void
fuzz_argv_free(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}
