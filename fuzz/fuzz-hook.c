/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the arguments MHA passes to 'mhaadm hook' — the
 * failover/online-change parser (mha_hook_parse), the report parser
 * (mha_report_parse), the argument lookup (mha_hook_arg, the one the hook
 * runs) and the checks of --cluster, --vip and --iface that the MHA hook
 * (src/engine/mha/hook.c) applies, and secondary_check_script's parser
 * (mha_secondary_parse). The first byte picks the hook type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz-argv.h"
#include "mha.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
	    "failover", "online-change", "report", "secondary-check"};
	const char *prefix[2], *v;
	struct mha_hook_args a = {0};
	struct mha_report_args r = {0};
	struct mha_secondary_args sc = {0};
	char **argv = NULL, *cause = NULL, *vip = NULL;
	int argc, prefix_len, i;

	if (size < 1)
		return 0;
	prefix[0] = "hook";
	prefix[1] = types[data[0] % 4];
	argc = fuzz_argv_split(data + 1, size - 1, prefix, 2, &argv);

	if ((v = mha_hook_arg(argc, argv, "--cluster")) != NULL) {
		if (validate_cluster_name(v, &cause) != 0 && cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	}
	if ((v = mha_hook_arg(argc, argv, "--vip")) != NULL) {
		if (validate_parse_vip(v, 32, &vip, &prefix_len, &cause) != 0 && cause == NULL)
			abort();
		free(vip);
		free(cause);
		cause = NULL;
	}
	if ((v = mha_hook_arg(argc, argv, "--iface")) != NULL) {
		if (validate_iface(v, &cause) != 0 && cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	}
	if (data[0] % 4 == 3) {
		if (mha_secondary_parse(argc, argv, &sc, &cause) != 0 && cause == NULL)
			abort();
		/* The master is never among the replicas it asks. */
		for (i = 0; (size_t)i < sc.n_replicas; i++) {
			if (sc.replicas[i].port == sc.master_port &&
			    strcasecmp(sc.replicas[i].host, sc.master_host) == 0)
				abort();
		}
		mha_secondary_args_free(&sc);
	} else if (data[0] % 4 == 2) {
		if (mha_report_parse(argc, argv, &r, &cause) != 0 && cause == NULL)
			abort();
		mha_report_args_free(&r);
	} else {
		if (mha_hook_parse(argc, argv, &a, &cause) != 0 && cause == NULL)
			abort();
		mha_hook_args_free(&a);
	}
	free(cause);
	/* No password may survive the parse, whichever parser ran. */
	for (i = 2; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (eq != NULL && strncmp(argv[i], "--", 2) == 0 && eq - argv[i] >= 10 &&
		    strncasecmp(eq - 8, "password", 8) == 0 && eq[1] != '\0')
			abort();
	}
	fuzz_argv_free(argc, argv);
	return 0;
}
