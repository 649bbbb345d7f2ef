/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#include "event.h"
#include "registry.h"
#include "spool.h"
#include "test-util.h"
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
	struct registry_cluster c;
	struct registry_node nodes[2];
	char *cause = NULL;

	snprintf(t->dir, sizeof(t->dir), "/tmp/mhaadm-test-spool-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	t->cfg = xcalloc(1, sizeof(*t->cfg));
	t->cfg->workdir = xstrdup(t->dir);
	t->reg = registry_open_sqlite(":memory:", &cause);
	assert_non_null(t->reg);
	assert_int_equal(registry_init(t->reg, &cause), 0);
	test_util_cluster(
	    &c, nodes, "orders", REGISTRY_STATE_MONITORING, REGISTRY_DESIRED_MONITORED);
	for (size_t i = 0; i < 2; i++) {
		nodes[i].server_id = -1;
		nodes[i].read_only = -1;
		nodes[i].log_bin = -1;
		nodes[i].lag = -1;
	}
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
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
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

/* Number of *.master and *.event files in the spool, and the mode of the last one. */
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
		if (strstr(de->d_name, ".master") == NULL && strstr(de->d_name, ".event") == NULL)
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

/* Spools an event of type with message and an old_master field. */
static void
test_spool_event(struct test_spool *t, const char *type, const char *message, const char *at)
{
	struct registry_event ev = {0};
	char *cause = NULL;

	ev.cluster = (char *)"orders";
	ev.type = (char *)type;
	ev.message = (char *)message;
	ev.at = (char *)at;
	registry_event_field_set(&ev, "old_master", "10.77.0.11:3306");
	assert_int_equal(spool_write_event(t->cfg, &ev, &cause), 0);
	registry_event_fields_free(&ev);
}

/* The types of orders' history, oldest first, joined by ' '. */
static char *
test_history(struct test_spool *t)
{
	struct registry_event *evs = NULL;
	char *cause = NULL, *s = xstrdup(""), *j;
	size_t n = 0, i;

	assert_int_equal(registry_event_since(t->reg, 0, 0, &evs, &n, &cause), 0);
	for (i = 0; i < n; i++) {
		j = xasprintf("%s%s%s", s, *s != '\0' ? " " : "", evs[i].type);
		free(s);
		s = j;
	}
	registry_event_list_free(evs, n);
	return s;
}

/*
 * Events and the master change of one failover, spooled while the registry
 * was away, reach the history in the order they happened, with their own
 * time and fields, and only once.
 */
static void
test_spool_events_in_order(void **state)
{
	struct test_spool *t = *state;
	struct registry_event *evs = NULL;
	char *cause = NULL, *h;
	size_t n = 0;

	test_spool_event(
	    t, "failover.started", "master 10.77.0.11:3306 is down", "2026-12-01 10:00:01");
	test_spool_event(t, "vip.moved", "VIP moved", "2026-12-01 10:00:02");
	assert_int_equal(
	    spool_write_master(t->cfg, "orders", "10.77.0.12", 3306, "master changed", &cause), 0);
	test_spool_event(t, "failover.completed", "failover completed", "2026-12-01 10:00:04");
	assert_true(spool_pending(t->cfg));
	assert_int_equal(test_count(t, NULL), 4);

	assert_int_equal(spool_apply(t->reg, t->cfg), 4);
	h = test_history(t);
	assert_string_equal(
	    h, "failover.started vip.moved failover.master_changed failover.completed");
	free(h);
	assert_false(spool_pending(t->cfg));
	assert_string_equal(test_master(t), "10.77.0.12:3306");
	assert_int_equal(registry_event_since(t->reg, 0, 0, &evs, &n, &cause), 0);
	assert_string_equal(evs[0].at, "2026-12-01 10:00:01");
	assert_string_equal(evs[0].message, "master 10.77.0.11:3306 is down");
	assert_string_equal(registry_event_field(&evs[0], "old_master"), "10.77.0.11:3306");
	assert_string_equal(registry_event_field(&evs[2], "new_master"), "10.77.0.12:3306");
	registry_event_list_free(evs, n);

	/* Once: nothing is applied twice. */
	assert_int_equal(spool_apply(t->reg, t->cfg), 0);
	h = test_history(t);
	assert_string_equal(
	    h, "failover.started vip.moved failover.master_changed failover.completed");
	free(h);
}

/* A registry that refuses a record keeps it and every later one, so the order holds. */
static void
test_spool_refused_keeps_order(void **state)
{
	struct test_spool *t = *state;
	struct registry *noschema;
	char *cause = NULL, *h;

	test_spool_event(t, "failover.started", "one", NULL);
	test_spool_event(t, "vip.moved", "two", NULL);
	noschema = registry_open_sqlite(":memory:", &cause);
	assert_non_null(noschema);
	assert_int_equal(spool_apply(noschema, t->cfg), 0);
	registry_close(noschema);
	assert_int_equal(test_count(t, NULL), 2);
	assert_int_equal(spool_apply(t->reg, t->cfg), 2);
	h = test_history(t);
	assert_string_equal(h, "failover.started vip.moved");
	free(h);
}

/*
 * event_emit spools what the registry cannot take, and once the registry is
 * back writes the spooled events first: the history keeps the order.
 */
static void
test_spool_event_emit(void **state)
{
	struct test_spool *t = *state;
	struct registry *noschema;
	char *cause = NULL, *h;

	event_spool_to(t->cfg);
	assert_int_equal(event_emit_fields(NULL, "orders", NULL, "failover.started",
	                     EVENT_FIELDS("old_master", "10.77.0.11:3306"), "master down"),
	    0);
	noschema = registry_open_sqlite(":memory:", &cause);
	assert_int_equal(event_emit(noschema, "orders", NULL, "vip.removed", "refused"), 0);
	registry_close(noschema);
	assert_int_equal(test_count(t, NULL), 2);
	h = test_history(t);
	assert_string_equal(h, "");
	free(h);
	assert_int_equal(event_emit(t->reg, "orders", NULL, "vip.moved", "back"), 0);
	event_spool_to(NULL);
	assert_int_equal(test_count(t, NULL), 0);
	h = test_history(t);
	assert_string_equal(h, "failover.started vip.removed vip.moved");
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_spool_write_then_apply, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_spool_unknown_and_malformed_are_dropped, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_spool_events_in_order, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_spool_refused_keeps_order, test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(test_spool_event_emit, test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
