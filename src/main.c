/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm entry point: global options, the seed tool's flags, then the command table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "mhaadm-version.h"

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx = {0};
	const char *config_arg = NULL;
	char **seed_argv = NULL, *cause = NULL;
	int seed_argc = 0, i, rc;

	/* Global options come before the command; the seed flags end them. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0') {
				fprintf(stderr, "mhaadm: -c needs a config file\n");
				cmd_print_help(stderr);
				return CMD_EXIT_USAGE;
			}
			config_arg = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_arg = argv[i] + 9;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
			ctx.verbose++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cmd_print_help(stdout);
			return CMD_EXIT_OK;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("mhaadm %s\n", MHAADM_VERSION);
			return CMD_EXIT_OK;
		} else {
			break;
		}
	}
	if (i >= argc) {
		cmd_print_help(stderr);
		return CMD_EXIT_USAGE;
	}
	log_set_level(ctx.verbose > 1    ? LOG_LEVEL_DEBUG
	              : ctx.verbose == 1 ? LOG_LEVEL_INFO
	                                 : LOG_LEVEL_WARN);
	ctx.config_path = config_path_choose(config_arg);

	switch (cmd_seed_translate(argc - i, argv + i, &seed_argc, &seed_argv, &cause)) {
	case -1:
		fprintf(stderr, "mhaadm: %s\n", cause);
		free(cause);
		cmd_print_help(stderr);
		return CMD_EXIT_USAGE;
	case 1:
		rc = cmd_run(&ctx, seed_argc, seed_argv);
		cmd_argv_free(seed_argc, seed_argv);
		break;
	default:
		if (argv[i][0] == '-') {
			fprintf(stderr, "mhaadm: unknown option %s\n", argv[i]);
			cmd_print_help(stderr);
			return CMD_EXIT_USAGE;
		}
		rc = cmd_run(&ctx, argc - i, argv + i);
		break;
	}
	cmd_ctx_release(&ctx);
	return rc;
}
