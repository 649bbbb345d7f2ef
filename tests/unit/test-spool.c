/* Unit tests for spooled registry updates: written when the registry is away, applied later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "registry.h"
#include "spool.h"
#include "xmalloc.h"

struct test_spool {
	struct config *cfg;
	struct registry *reg;
	char dir[64];
};

static int
test_setup(void **state)
{
	struct test_spool *t = xcalloc(1, sizeof(*t));
	struct registry_cluster c = { 0 };
	struct registry_node nodes[2] = { { 0 } };
	char *cause = NULL;

	snprintf(t->dir, sizeof(t->dir), "/tmp/mhaadm-test-spool-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	t->cfg = xcalloc(1, sizeof(*t->cfg));
	t->cfg->workdir = xstrdup(t->dir);
	t->reg = registry_open_sqlite(":memory:", &cause);
	assert_non_null(t->reg);
	assert_int_equal(registry_init(t->reg, &cause), 0);
	c.name = (char *)"orders";
	c.vip = (char *)"10.77.0.100";
	c.vip_prefix = 24;
	c.iface = (char *)"eth0";
	c.state = REGISTRY_STATE_MONITORING;
	c.desired = REGISTRY_DESIRED_MONITORED;
	nodes[0].host = (char *)"10.77.0.11";
	nodes[0].port = 3306;
	nodes[0].role = REGISTRY_ROLE_MASTER;
	nodes[1].host = (char *)"10.77.0.12";
	nodes[1].port = 3306;
	nodes[1].role = REGISTRY_ROLE_REPLICA;
	for (size_t i = 0; i < 2; i++) {
		nodes[i].server_id = -1;
		nodes[i].read_only = -1;
		nodes[i].log_bin = -1;
		nodes[i].lag = -1;
	}
	c.nodes = nodes;
	c.n_nodes = 2;
	assert_int_equal(registry_cluster_add(t->reg, &c, NULL, &cause), 0);
	*state = t;
	return 0;
}

static int
test_teardown(void **state)
{
	struct test_spool *t = *state;
	struct dirent *de;
	char path[512], spool[128];
	DIR *d;

	snprintf(spool, sizeof(spool), "%s/spool", t->dir);
	if ((d = opendir(spool)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", spool, de->d_name);
			unlink(path);
		}
		closedir(d);
		rmdir(spool);
	}
	rmdir(t->dir);
	registry_close(t->reg);
	config_free(t->cfg);
	free(t);
	return 0;
}

/* Number of *.master files in the spool, and the mode of the last one. */
static int
test_count(struct test_spool *t, mode_t *mode)
{
	char spool[128], path[512];
	struct dirent *de;
	struct stat sb;
	int n = 0;
	DIR *d;

	snprintf(spool, sizeof(spool), "%s/spool", t->dir);
	if ((d = opendir(spool)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".master") == NULL)
			continue;
		n++;
		snprintf(path, sizeof(path), "%s/%s", spool, de->d_name);
		if (mode != NULL && stat(path, &sb) == 0)
			*mode = sb.st_mode & 07777;
	}
	closedir(d);
	return n;
}

static const char *
test_master(struct test_spool *t)
{
	static char buf[300];
	struct registry_cluster *c = NULL;
	char *cause = NULL;

	assert_int_equal(registry_cluster_get(t->reg, "orders", &c, &cause), 0);
	registry_cluster_master(c, buf, sizeof(buf));
	registry_cluster_free(c);
	return buf;
}

static void
test_spool_write_then_apply(void **state)
{
	struct test_spool *t = *state;
	struct registry_event *evs = NULL;
	char *cause = NULL;
	mode_t mode = 0;
	size_t n = 0;

	assert_int_equal(spool_write_master(t->cfg, "orders", "10.77.0.12", 3306,
			     "master changed from 10.77.0.11:3306 to 10.77.0.12:3306", &cause),
	    0);
	assert_int_equal(test_count(t, &mode), 1);
	assert_int_equal(mode, 0600);
	assert_string_equal(test_master(t), "10.77.0.11:3306");

	assert_int_equal(spool_apply(t->reg, t->cfg), 1);
	assert_string_equal(test_master(t), "10.77.0.12:3306");
	assert_int_equal(test_count(t, NULL), 0);
	assert_int_equal(registry_event_list(t->reg, "orders", 1, &evs, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0].type, "failover.master_changed");
	assert_non_null(strstr(evs[0].message, "recorded late"));
	registry_event_list_free(evs, n);

	/* Nothing left: applying again does nothing. */
	assert_int_equal(spool_apply(t->reg, t->cfg), 0);
}

static void
test_spool_unknown_and_malformed_are_dropped(void **state)
{
	struct test_spool *t = *state;
	char *cause = NULL, path[512];
	FILE *f;

	assert_int_equal(spool_write_master(t->cfg, "gone", "10.77.0.12", 3306, "x", &cause), 0);
	snprintf(path, sizeof(path), "%s/spool/0000000001-1-bad.master", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("bad;name\n10.77.0.12\nnot-a-port\n", f);
	fclose(f);
	assert_int_equal(test_count(t, NULL), 2);
	/* The cluster that is gone is dropped (counted as handled); the garbage is removed. */
	assert_int_equal(spool_apply(t->reg, t->cfg), 1);
	assert_int_equal(test_count(t, NULL), 0);
	assert_string_equal(test_master(t), "10.77.0.11:3306");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spool_write_then_apply, test_setup,
		    test_teardown),
		cmocka_unit_test_setup_teardown(test_spool_unknown_and_malformed_are_dropped,
		    test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
