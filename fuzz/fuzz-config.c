/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the config parser (config_parse_string) on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg;
	char *text, *cause = NULL;

	/* config_load refuses files over 1 MiB and files with NUL bytes before parsing. */
	if (size > 1024 * 1024 || memchr(data, '\0', size) != NULL)
		return 0;
	text = xstrndup((const char *)data, size);
	cfg = config_parse_string(text, "fuzz.cnf", &cause);
	if (cfg == NULL && cause == NULL)
		abort(); /* an error must always say why */
	config_free(cfg);
	free(cause);
	free(text);
	return 0;
}
