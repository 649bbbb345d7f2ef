/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the Prometheus exposition: escaping of label values and
 * HELP text, HELP/TYPE before every family's samples, the types, number
 * spelling, the failover accounting folded from events, and the HTTP keys
 * of the config (a non-loopback listener needs a token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "metrics.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

static void
test_metrics_label_escaping(void **state)
{
	struct metrics_out m = {0};
	char *text;

	metrics_sample(&m, "mhaadm_x", METRICS_LABELS("cluster", "a\"b\\c\nd", "node", "h:1"), 1);
	text = metrics_take(&m);
	assert_string_equal(text, "mhaadm_x{cluster=\"a\\\"b\\\\c\\nd\",node=\"h:1\"} 1\n");
	free(text);
}

static void
test_metrics_help_and_type(void **state)
{
	struct metrics_out m = {0};
	char *text;

	/* HELP escapes \ and newline but leaves quotes alone. */
	metrics_family(&m, "mhaadm_y_total", "counter", "a \"b\" c\\d\ne");
	metrics_sample(&m, "mhaadm_y_total", NULL, 3);
	text = metrics_take(&m);
	assert_string_equal(text, "# HELP mhaadm_y_total a \"b\" c\\\\d\\ne\n"
	                          "# TYPE mhaadm_y_total counter\n"
	                          "mhaadm_y_total 3\n");
	free(text);
}

static void
test_metrics_numbers(void **state)
{
	struct metrics_out m = {0};
	char *text;

	metrics_sample(&m, "a", NULL, 0.5);
	metrics_sample(&m, "b", NULL, NAN);
	metrics_sample(&m, "c", NULL, INFINITY);
	metrics_sample(&m, "d", NULL, -INFINITY);
	metrics_sample(&m, "e", NULL, 1796219480);
	metrics_sample(&m, "f", NULL, -2);
	text = metrics_take(&m);
	assert_string_equal(text, "a 0.5\nb NaN\nc +Inf\nd -Inf\ne 1796219480\nf -2\n");
	free(text);
	text = metrics_take(&m);
	assert_string_equal(text, "");
	free(text);
}

static void
test_metrics_parse_time(void **state)
{
	assert_true(metrics_parse_time("1970-01-01 00:01:40") == 100);
	assert_true(metrics_parse_time("2026-12-02 13:51:22.123456") == 1796219482);
	assert_true(metrics_parse_time("yesterday") == -1);
	assert_true(metrics_parse_time("2026-12-02 13:51:22 junk") == -1);
	assert_true(metrics_parse_time(NULL) == -1);
}

static void
test_fold(struct metrics_failovers *f, long long id, const char *cluster, const char *type,
    const char *at)
{
	struct registry_event ev = {0};

	ev.id = id;
	ev.cluster = (char *)cluster;
	ev.type = (char *)type;
	ev.at = (char *)at;
	metrics_failovers_fold(f, &ev);
}

static void
test_metrics_failover_fold(void **state)
{
	struct metrics_failovers f = {0};
	const struct metrics_failover *a, *b;

	test_fold(&f, 1, "a", "cluster.added", "2026-12-02 10:00:00");
	test_fold(&f, 2, "a", "failover.started", "2026-12-02 10:00:00");
	test_fold(&f, 3, "a", "failover.master_changed", "2026-12-02 10:00:03");
	test_fold(&f, 4, "a", "failover.completed", "2026-12-02 10:00:07");
	/* One failed failover said twice (the hook's report, then the daemon). */
	test_fold(&f, 5, "b", "failover.started", "2026-12-02 11:00:00");
	test_fold(&f, 6, "b", "failover.failed", "2026-12-02 11:00:09");
	test_fold(&f, 7, "b", "failover.failed", "2026-12-02 11:00:10");
	test_fold(&f, 8, "b", "failover.refused", "2026-12-02 11:05:00");
	test_fold(&f, 9, "b", "failover.paused", "2026-12-02 11:06:00");
	/* A second failed failover counts again. */
	test_fold(&f, 10, "b", "failover.started", "2026-12-02 12:00:00");
	test_fold(&f, 11, "b", "failover.failed", "2026-12-02 12:00:30");
	test_fold(&f, 12, NULL, "notify.dropped", "2026-12-02 12:00:31");
	assert_int_equal(f.cursor, 12);
	assert_int_equal(f.n, 2);
	a = &f.v[0];
	b = &f.v[1];
	assert_string_equal(a->cluster, "a");
	assert_int_equal(a->count[METRICS_SUCCESS], 1);
	assert_int_equal(a->count[METRICS_FAILED], 0);
	assert_true(a->last_duration == 7);
	assert_true(a->last_at == metrics_parse_time("2026-12-02 10:00:07"));
	assert_int_equal(b->count[METRICS_SUCCESS], 0);
	assert_int_equal(b->count[METRICS_FAILED], 2);
	assert_int_equal(b->count[METRICS_REFUSED], 1);
	assert_int_equal(b->count[METRICS_PAUSED], 1);
	assert_true(b->last_at == 0);
	/* 7 s falls in the le="10" bucket (index 3: 1, 2, 5, 10). */
	assert_int_equal(f.count, 1);
	assert_int_equal(f.bucket[3], 1);
	assert_true(f.sum == 7);
	metrics_failovers_free(&f);
}

/* Every sample line belongs to a family whose HELP and TYPE came before it. */
static void
test_metrics_check_families(const char *text)
{
	char family[128] = "", type[32] = "", name[128], line[1024];
	const char *p = text, *nl;
	size_t len, k;
	int helped = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		len = (size_t)(nl - p) < sizeof(line) - 1 ? (size_t)(nl - p) : sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line, "# HELP %127s", family), 1);
			helped = 1;
			type[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line, "# TYPE %127s %31s", name, type), 2);
			assert_string_equal(name, family);
			assert_true(helped);
			assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0 ||
			            strcmp(type, "histogram") == 0);
			if (strcmp(type, "counter") == 0)
				assert_non_null(strstr(family, "_total"));
			continue;
		}
		k = strcspn(line, "{ ");
		assert_true(k < sizeof(name));
		memcpy(name, line, k);
		name[k] = '\0';
		assert_true(type[0] != '\0');
		if (strcmp(type, "histogram") == 0) {
			assert_int_equal(strncmp(name, family, strlen(family)), 0);
			assert_true(strcmp(name + strlen(family), "_bucket") == 0 ||
			            strcmp(name + strlen(family), "_sum") == 0 ||
			            strcmp(name + strlen(family), "_count") == 0);
		} else {
			assert_string_equal(name, family);
		}
		assert_int_equal(strncmp(name, "mhaadm_", 7), 0);
	}
}

static const char test_status_doc[] =
    "{\"generated_at\":\"2026-12-02 13:51:22\",\"probed\":true,\"healthy\":false,"
    "\"clusters\":[{\"name\":\"orders\",\"state\":\"monitoring\",\"desired\":\"monitored\","
    "\"verdict\":\"ok\",\"engine\":{\"name\":\"mha\",\"running\":true},"
    "\"vip_holders\":[\"10.77.0.11\"],\"replicas_promotable\":1,"
    "\"nodes\":["
    "{\"host\":\"10.77.0.11\",\"port\":3306,\"role\":\"master\",\"live\":{\"reachable\":true,"
    "\"holds_vip\":true,\"seconds_behind_master\":null}},"
    "{\"host\":\"10.77.0.12\",\"port\":3306,\"role\":\"replica\",\"live\":{\"reachable\":true,"
    "\"holds_vip\":false,\"seconds_behind_master\":4}},"
    "{\"host\":\"10.77.0.13\",\"port\":3306,\"role\":\"replica\",\"live\":{\"reachable\":false,"
    "\"holds_vip\":null,\"seconds_behind_master\":null}}]},"
    "{\"name\":\"we\\\"ird\",\"state\":\"stopped\",\"desired\":\"stopped\",\"verdict\":"
    "\"unprotected\","
    "\"engine\":{\"name\":\"mha\",\"running\":false},\"vip_holders\":[],\"nodes\":[]}]}";

static void
test_metrics_render(void **state)
{
	struct metrics_failovers f = {0};
	struct metrics_engine eng[] = {{(char *)"orders", (char *)"mha", 1}};
	struct metrics_daemon d = {0};
	struct metrics_notify nt[] = {{(char *)"ops", 5, 1, 0}};
	const char *channels[] = {"ops", "pager"};
	struct metrics_input in = {0};
	json_object *doc = json_tokener_parse(test_status_doc);
	char *text;

	assert_non_null(doc);
	d.pid = 42;
	d.started = 1000;
	d.published = 2000;
	d.registry_up = 1;
	d.engines = eng;
	d.n_engines = 1;
	test_fold(&f, 1, "orders", "failover.started", "2026-12-02 10:00:00");
	test_fold(&f, 2, "orders", "failover.completed", "2026-12-02 10:00:07");
	test_fold(&f, 3, "gone", "failover.completed", "2026-12-02 10:00:07");
	in.version = "9.9";
	in.daemon = &d;
	in.status = doc;
	in.failovers = &f;
	in.notify = nt;
	in.n_notify = 1;
	in.channels = channels;
	in.n_channels = 2;
	in.registry_up = 1;
	text = metrics_render(&in);
	test_metrics_check_families(text);
	assert_non_null(strstr(text, "mhaadm_build_info{version=\"9.9\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE mhaadm_cluster_ok gauge\n"));
	assert_non_null(strstr(text, "mhaadm_cluster_ok{cluster=\"orders\"} 1\n"));
	assert_non_null(strstr(text, "mhaadm_cluster_ok{cluster=\"we\\\"ird\"} 0\n"));
	assert_non_null(
	    strstr(text, "mhaadm_cluster_verdict{cluster=\"orders\",verdict=\"ok\"} 1\n"));
	assert_non_null(strstr(text, "mhaadm_cluster_protected{cluster=\"orders\"} 1\n"));
	assert_non_null(strstr(text, "mhaadm_cluster_protected{cluster=\"we\\\"ird\"} 0\n"));
	assert_non_null(strstr(text, "mhaadm_vip_holders{cluster=\"orders\"} 1\n"));
	/* No host of that cluster could be asked: no sample rather than a false 0. */
	assert_null(strstr(text, "mhaadm_vip_holders{cluster=\"we"));
	assert_non_null(
	    strstr(text, "mhaadm_node_up{cluster=\"orders\",node=\"10.77.0.13:3306\"} 0\n"));
	assert_non_null(strstr(
	    text, "mhaadm_replica_lag_seconds{cluster=\"orders\",node=\"10.77.0.12:3306\"} 4\n"));
	assert_null(
	    strstr(text, "mhaadm_replica_lag_seconds{cluster=\"orders\",node=\"10.77.0.13"));
	assert_non_null(strstr(text, "mhaadm_engine_up{cluster=\"orders\",engine=\"mha\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE mhaadm_failovers_total counter\n"));
	assert_non_null(
	    strstr(text, "mhaadm_failovers_total{cluster=\"orders\",result=\"success\"} 1\n"));
	/* Every result of every cluster is there from the start, at 0. */
	assert_non_null(
	    strstr(text, "mhaadm_failovers_total{cluster=\"we\\\"ird\",result=\"failed\"} 0\n"));
	/* A deleted cluster's history gives no series. */
	assert_null(strstr(text, "cluster=\"gone\""));
	assert_non_null(
	    strstr(text, "mhaadm_last_failover_duration_seconds{cluster=\"orders\"} 7\n"));
	assert_non_null(strstr(text, "# TYPE mhaadm_failover_duration_seconds histogram\n"));
	assert_non_null(strstr(text, "mhaadm_failover_duration_seconds_bucket{le=\"5\"} 0\n"));
	assert_non_null(strstr(text, "mhaadm_failover_duration_seconds_bucket{le=\"10\"} 1\n"));
	assert_non_null(strstr(text, "mhaadm_failover_duration_seconds_bucket{le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(text, "mhaadm_failover_duration_seconds_count 1\n"));
	assert_non_null(
	    strstr(text, "mhaadm_notifications_total{channel=\"ops\",result=\"sent\"} 5\n"));
	assert_non_null(
	    strstr(text, "mhaadm_notifications_total{channel=\"pager\",result=\"sent\"} 0\n"));
	assert_non_null(strstr(text, "mhaadm_status_pass_timestamp_seconds 1796219482\n"));
	free(text);
	/* Before the first status pass and without a daemon: still well-formed. */
	in.status = NULL;
	in.daemon = NULL;
	text = metrics_render(&in);
	test_metrics_check_families(text);
	assert_null(strstr(text, "mhaadm_cluster_ok{"));
	free(text);
	/* Without manager HA there is no lease family. */
	in.daemon = &d;
	text = metrics_render(&in);
	assert_null(strstr(text, "mhaadm_lease"));
	assert_null(strstr(text, "mhaadm_manager_info"));
	free(text);
	json_object_put(doc);
	metrics_failovers_free(&f);
}

/* Manager HA: ownership per cluster for this manager, 0 where another owns it. */
static void
test_metrics_render_leases(void **state)
{
	struct metrics_lease leases[] = {
	    {(char *)"orders", 7, 1}, {(char *)"billing", 0, 0}, {(char *)"expired", 3, 0}};
	struct metrics_daemon d = {0}, copy;
	struct metrics_input in = {0};
	char *text;

	d.manager = (char *)"m1";
	d.leases = leases;
	d.n_leases = 3;
	metrics_daemon_copy(&copy, &d);
	in.version = "9.9";
	in.daemon = &copy;
	text = metrics_render(&in);
	test_metrics_check_families(text);
	assert_non_null(strstr(text, "mhaadm_manager_info{manager=\"m1\"} 1\n"));
	assert_non_null(strstr(text, "mhaadm_lease_held{cluster=\"orders\",manager=\"m1\"} 1\n"));
	assert_non_null(strstr(text, "mhaadm_lease_held{cluster=\"billing\",manager=\"m1\"} 0\n"));
	/* A lease it can no longer prove is not held, and its epoch is not shown. */
	assert_non_null(strstr(text, "mhaadm_lease_held{cluster=\"expired\",manager=\"m1\"} 0\n"));
	assert_non_null(strstr(text, "mhaadm_lease_epoch{cluster=\"orders\",manager=\"m1\"} 7\n"));
	assert_null(strstr(text, "mhaadm_lease_epoch{cluster=\"expired\""));
	assert_non_null(strstr(text, "mhaadm_leases_held{manager=\"m1\"} 1\n"));
	free(text);
	metrics_daemon_clear(&copy);
	(void)state;
}

static void
test_metrics_notify_load(void **state)
{
	char path[] = "/tmp/test-metrics-XXXXXX";
	struct metrics_notify *nt = NULL;
	size_t n = 0;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "ops 5 1 2\ngarbage\npager 0 0 0\n");
	fclose(f);
	metrics_notify_load(path, &nt, &n);
	assert_int_equal(n, 2);
	assert_string_equal(nt[0].channel, "ops");
	assert_int_equal(nt[0].sent, 5);
	assert_int_equal(nt[0].failed, 1);
	assert_int_equal(nt[0].dropped, 2);
	metrics_notify_free(nt, n);
	unlink(path);
	metrics_notify_load(path, &nt, &n);
	assert_int_equal(n, 0);
	assert_null(nt);
}

static void
test_http_listen_keys(void **state)
{
	struct sockaddr_storage ss;
	unsigned int len = 0;
	struct config *cfg;
	char *cause = NULL;
	int lo = -1;

	assert_int_equal(validate_listen("127.0.0.1:9860", &ss, &len, &lo, &cause), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(validate_listen("[::1]:0", &ss, &len, &lo, &cause), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(validate_listen("10.77.0.1:9860", NULL, NULL, &lo, &cause), 0);
	assert_int_equal(lo, 0);
	assert_int_equal(validate_listen("localhost:9860", NULL, NULL, &lo, &cause), -1);
	assert_non_null(strstr(cause, "A.B.C.D:PORT"));
	free(cause);
	cause = NULL;
	assert_int_equal(validate_listen("127.0.0.1:65536", NULL, NULL, &lo, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(validate_listen("127.0.0.1", NULL, NULL, &lo, &cause), -1);
	free(cause);
	cause = NULL;

	cfg = config_parse_string("ha_user = mha\nhttp_listen = 127.0.0.1:9860\n", "t.cnf", &cause);
	assert_non_null(cfg);
	assert_string_equal(cfg->http_listen, "127.0.0.1:9860");
	assert_int_equal(cfg->http_max_connections, 64);
	assert_int_equal(cfg->http_timeout, 10);
	config_free(cfg);
	cfg = config_parse_string("ha_user = mha\n", "t.cnf", &cause);
	assert_null(cfg->http_listen); /* off by default */
	config_free(cfg);
	cfg = config_parse_string("ha_user = mha\nhttp_listen = 0.0.0.0:9860\n", "t.cnf", &cause);
	assert_null(cfg);
	assert_non_null(strstr(cause, "t.cnf:2: http_listen = 0.0.0.0:9860 is not a loopback"));
	free(cause);
	cause = NULL;
	cfg = config_parse_string("ha_user = mha\nhttp_listen = 0.0.0.0:9860\n"
	                          "http_token_file = /etc/mhaadm/http.token\n",
	    "t.cnf", &cause);
	assert_non_null(cfg);
	config_free(cfg);
	cfg = config_parse_string("ha_user = mha\nhttp_listen = 127.0.0.1:9860\n"
	                          "http_tls_cert = /etc/mhaadm/http.crt\n",
	    "t.cnf", &cause);
	assert_null(cfg);
	assert_non_null(strstr(cause, "TLS needs both http_tls_cert and http_tls_key"));
	free(cause);
	cause = NULL;
	cfg = config_parse_string("ha_user = mha\nhttp_listen = example:80\n", "t.cnf", &cause);
	assert_null(cfg);
	assert_non_null(strstr(cause, "t.cnf:2: http_listen: invalid listening address"));
	free(cause);
}

static void
test_secret_file_mode(void **state)
{
	char path[] = "/tmp/test-metrics-token-XXXXXX";
	char *out = NULL, *cause = NULL;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "0123456789abcdef0123\n");
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(config_read_secret_file(path, "http_token_file", 16, &out, &cause), 0);
	assert_string_equal(out, "0123456789abcdef0123");
	xfree_secret(out);
	assert_int_equal(config_read_secret_file(path, "http_token_file", 32, &out, &cause), -1);
	assert_non_null(strstr(cause, "at least 32"));
	free(cause);
	cause = NULL;
	chmod(path, 0640);
	assert_int_equal(config_read_secret_file(path, "http_token_file", 16, &out, &cause), -1);
	assert_non_null(strstr(cause, "fix: chmod 600"));
	free(cause);
	cause = NULL;
	assert_int_equal(config_check_secret_file(path, "http_tls_key", &cause), -1);
	free(cause);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics_label_escaping),
	    cmocka_unit_test(test_metrics_help_and_type),
	    cmocka_unit_test(test_metrics_numbers),
	    cmocka_unit_test(test_metrics_parse_time),
	    cmocka_unit_test(test_metrics_failover_fold),
	    cmocka_unit_test(test_metrics_render),
	    cmocka_unit_test(test_metrics_render_leases),
	    cmocka_unit_test(test_metrics_notify_load),
	    cmocka_unit_test(test_http_listen_keys),
	    cmocka_unit_test(test_secret_file_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
