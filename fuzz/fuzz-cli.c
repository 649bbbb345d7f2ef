/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the command line as main() and cmd.c see it — the seed
 * flags' translation, the command lookup (name, alias, prefix) and each
 * command's getopt parsing with its own option table. Commands are not run.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fuzz-argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_cli_getopt(const struct cmd_entry *entry, int argc, char **argv)
{
	struct cmd_ctx ctx = {0};
	long n;
	int c;

	ctx.entry = entry;
	cmd_getopt_reset();
	while ((c = cmd_getopt(&ctx, argc, argv)) != -1) {
		if (c == '?' || c == ':')
			continue; /* cmd_bad_option() only prints; its reading of optopt is covered
			           */
		if (optarg != NULL)
			(void)cmd_number(optarg, 0, 1000000, &n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cmd_entry *entry;
	char **argv = NULL, **seed_argv = NULL, *cause = NULL;
	int argc, seed_argc = 0;

	argc = fuzz_argv_split(data, size, NULL, 0, &argv);
	if (argc < 1)
		goto out;
	switch (cmd_seed_translate(argc, argv, &seed_argc, &seed_argv, &cause)) {
	case -1:
		if (cause == NULL)
			abort();
		free(cause);
		goto out;
	case 1:
		entry = cmd_find(seed_argv[0], &cause);
		if (entry == NULL)
			abort(); /* the seed flags translate to commands of the table */
		fuzz_cli_getopt(entry, seed_argc, seed_argv);
		cmd_argv_free(seed_argc, seed_argv);
		goto out;
	default:
		break;
	}
	entry = cmd_find(argv[0], &cause);
	if (entry == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		goto out;
	}
	fuzz_cli_getopt(entry, argc, argv);
out:
	fuzz_argv_free(argc, argv);
	return 0;
}
