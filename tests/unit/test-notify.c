/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for notifications: channel config, filters, formats, signatures, queue, de-dup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "notifier.h"
#include "notify.h"
#include "registry.h"

#define BASE "ha_user = mha\n"

static struct config *
parse_ok(const char *text)
{
	struct config *cfg;
	char *cause = NULL;

	cfg = config_parse_string(text, "t.cnf", &cause);
	if (cfg == NULL)
		fail_msg("refused: %s", cause);
	return cfg;
}

/* Parses text that must be refused with a message containing want. */
static void
parse_bad(const char *text, const char *want)
{
	struct config *cfg;
	char *cause = NULL;

	cfg = config_parse_string(text, "t.cnf", &cause);
	if (cfg != NULL)
		fail_msg("accepted, wanted '%s'", want);
	if (strstr(cause, want) == NULL)
		fail_msg("message '%s' lacks '%s'", cause, want);
	free(cause);
}

static void
test_config_channels(void **state)
{
	struct config *cfg;
	const struct notify_channel *ch;

	(void)state;
	cfg =
	    parse_ok(BASE "[notify \"ops-hook\"]\ntype = webhook\nurl = https://h.example/x?a=1\n"
	                  "secret = k;ey #1\nevents = failover.*, vip.* !vip.bound\ntimeout = 5\n"
	                  "retries = 0\ndedup = 0\nqueue = 10\n"
	                  "[notify.mail]\ntype = smtp\nurl = smtp://127.0.0.1:2525\ntls = none\n"
	                  "from = mhaadm@example.org\nto = a@example.org, b@example.org\n"
	                  "[notify.ding]\ntype = dingtalk\nurl = https://oapi.dingtalk.com/robot/"
	                  "send?access_token=T\n[notify.cmd]\ntype = command\ncommand = /bin/true\n"
	                  "[mhaadm]\nssh_port = 2222\n");
	assert_int_equal(cfg->n_notify_channels, 4);
	assert_int_equal(cfg->ssh_port, 2222);
	ch = &cfg->notify_channels[0];
	assert_string_equal(ch->name, "ops-hook");
	assert_int_equal(ch->type, NOTIFY_WEBHOOK);
	assert_string_equal(ch->url, "https://h.example/x?a=1");
	assert_string_equal(ch->secret, "k;ey #1"); /* no inline comments */
	assert_int_equal(ch->n_events, 3);
	assert_string_equal(ch->events[2], "!vip.bound");
	assert_int_equal(ch->timeout, 5);
	assert_int_equal(ch->retries, 0);
	assert_int_equal(ch->dedup, 0);
	assert_int_equal(ch->queue, 10);
	ch = &cfg->notify_channels[1];
	assert_string_equal(ch->name, "mail");
	assert_int_equal(ch->type, NOTIFY_SMTP);
	assert_int_equal(ch->tls, NOTIFY_TLS_NONE);
	assert_int_equal(ch->n_to, 2);
	assert_string_equal(ch->to[1], "b@example.org");
	ch = &cfg->notify_channels[2];
	assert_int_equal(ch->timeout, 10); /* defaults */
	assert_int_equal(ch->retries, 3);
	assert_int_equal(ch->dedup, 60);
	assert_int_equal(ch->queue, 256);
	assert_int_equal(ch->n_events, 0);
	assert_string_equal(cfg->notify_channels[3].command, "/bin/true");
	config_free(cfg);
}

static void
test_config_refusals(void **state)
{
	(void)state;
	parse_bad(BASE "[notify.x]\n", "t.cnf:2: channel 'x' has no type");
	parse_bad(BASE "[notify.x]\ntype = pager\n", "t.cnf:3: type: unknown channel type 'pager'");
	parse_bad(BASE "[notify.x]\ntype = webhook\nurl = http://a\n[notify.x]\n",
	    "t.cnf:5: channel 'x' is already defined on line 2");
	parse_bad(BASE "[notify \"a b\"]\n", "t.cnf:2: bad channel section");
	parse_bad(BASE "[notify.x]\ntype = slack\ncolor = red\n", "t.cnf:4: unknown key 'color'");
	parse_bad(BASE "[notify.x]\ntype = slack\n", "t.cnf:2: channel 'x' (slack) needs url");
	parse_bad(BASE "[notify.x]\ntype = slack\nurl = ftp://a/b\n",
	    "t.cnf:4: url of channel 'x' must start with http:// or https://");
	parse_bad(BASE "[notify.x]\ntype = wecom\nurl = https://a/b\nsecret = s\n",
	    "t.cnf:5: secret is not a key of a wecom channel ('x'); this service does not sign");
	parse_bad(BASE "[notify.x]\ntype = webhook\nurl = https://a/b\nto = a@b\n",
	    "t.cnf:5: to is not a key of a webhook channel");
	parse_bad(BASE "[notify.x]\ntype = smtp\nurl = smtp://a\nfrom = a@b\n",
	    "needs from = ADDRESS and to = ADDRESS");
	parse_bad(BASE "[notify.x]\ntype = smtp\nurl = smtp://a\nfrom = a@b\nto = c@d\nuser = u\n",
	    "set user and password together");
	parse_bad(BASE "[notify.x]\ntype = smtp\nurl = smtp://a\nfrom = a@b\nto = c@d\n"
	               "tls = tls\n",
	    "t.cnf:7: channel 'x': tls = tls (implicit TLS) needs an smtps://");
	parse_bad(BASE "[notify.x]\ntype = smtp\nurl = smtp://a\nfrom = a@b\nto = c@d\nuser = u\n"
	               "password = p\ntls = none\n",
	    "would send the SMTP password in clear");
	parse_bad(BASE "[notify.x]\ntype = smtp\nurl = smtp://a\nfrom = nobody\nto = c@d\n",
	    "t.cnf:5: from: 'nobody' is not an e-mail address");
	parse_bad(BASE "[notify.x]\ntype = command\ncommand = notify.sh\n",
	    "t.cnf:4: command: 'notify.sh' is not an absolute path");
	parse_bad(BASE "[notify.x]\ntype = command\n", "needs command = /ABS/PATH");
	parse_bad(BASE "[notify.x]\ntype = slack\nurl = https://a\ntimeout = 0\n",
	    "t.cnf:5: timeout: invalid value '0': use a whole number from 1 to 300");
	parse_bad(BASE "[notify.x]\ntype = slack\nurl = https://a\ntype = slack\n",
	    "t.cnf:5: duplicate key 'type' in channel 'x' (already set on line 3)");
	parse_bad(
	    BASE "[notify.x]\ntype = slack\nurl = https://a\nevents = ,\n", "events: no pattern");
	parse_bad(
	    BASE "[notify.x]\ntype = slack\nurl = https://a\nevents = !\n", "bad pattern '!'");
	parse_bad(BASE "[notifyx]\n", "unknown section '[notifyx]'");
}

/* A secret in a channel makes the file owner-only, like a password. */
static void
test_config_file_mode(void **state)
{
	char path[] = "/tmp/mhaadm-test-notify.XXXXXX";
	const char *text = BASE "[notify.x]\ntype = slack\nurl = https://hooks.example/T/B/X\n";
	struct config *cfg;
	char *cause = NULL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	chmod(path, 0640);
	cfg = config_load(path, &cause);
	assert_null(cfg);
	assert_non_null(strstr(cause, "holds passwords; fix: chmod 600"));
	free(cause);
	chmod(path, 0600);
	cfg = config_load(path, &cause);
	assert_non_null(cfg);
	config_free(cfg);
	unlink(path);
}

static void
test_filters(void **state)
{
	struct config *cfg;
	const struct notify_channel *all, *some;

	(void)state;
	cfg = parse_ok(BASE "[notify.all]\ntype = slack\nurl = https://a\n"
	                    "[notify.some]\ntype = slack\nurl = https://a\n"
	                    "events = failover.* vip.* lag.* !vip.bound\n");
	all = &cfg->notify_channels[0];
	some = &cfg->notify_channels[1];
	assert_true(notify_channel_wants(all, "engine.started", "x"));
	assert_true(notify_channel_wants(all, "drift.vip", "x")); /* any type, even unknown ones */
	assert_true(notify_channel_wants(some, "failover.completed", "x"));
	assert_true(notify_channel_wants(some, "vip.moved", "x"));
	assert_true(notify_channel_wants(some, "lag.high", "x"));
	assert_false(notify_channel_wants(some, "vip.bound", "x"));
	assert_false(notify_channel_wants(some, "engine.started", "x"));
	/* A channel never gets its own failures; the others do. */
	assert_false(notify_channel_wants(all, "notify.failed", "channel 'all' (slack): x"));
	assert_true(notify_channel_wants(all, "notify.failed", "channel 'allx' (slack): x"));
	assert_true(notify_channel_wants(all, "notify.failed", "channel 'some' (slack): x"));
	config_free(cfg);
}

static void
test_masters_and_severity(void **state)
{
	struct registry_event ev = {0};
	char *o, *n;

	(void)state;
	/* The message says otherwise: only the fields count. */
	ev.type = (char *)"vip.moved";
	ev.message = (char *)"VIP 10.77.0.100/24 moved from 10.77.0.99 to 10.77.0.98 (eth0)";
	registry_event_field_set(&ev, "old_master", "10.77.0.11");
	registry_event_field_set(&ev, "new_master", "10.77.0.12");
	notify_masters_from_fields(&ev, &o, &n);
	assert_string_equal(o, "10.77.0.11");
	assert_string_equal(n, "10.77.0.12");
	free(o);
	free(n);
	registry_event_fields_free(&ev);
	ev.type = (char *)"failover.completed";
	ev.message = (char *)"failover completed: new master 10.77.0.12, replicas 10.77.0.13 (x)";
	notify_masters_from_fields(&ev, &o, &n);
	assert_null(o);
	assert_null(n);
	registry_event_field_set(&ev, "new_master", "10.77.0.12");
	notify_masters_from_fields(&ev, &o, &n);
	assert_null(o);
	assert_string_equal(n, "10.77.0.12");
	free(n);
	registry_event_fields_free(&ev);
	assert_string_equal(notify_severity("failover.failed"), "critical");
	assert_string_equal(notify_severity("failover.refused"), "critical");
	assert_string_equal(notify_severity("cluster.unprotected"), "critical");
	assert_string_equal(notify_severity("replica.gtid_restore_failed"), "critical");
	assert_string_equal(notify_severity("cluster.failover_blocked"), "critical");
	assert_string_equal(notify_severity("replica.failed"), "critical");
	assert_string_equal(notify_severity("replica.left_out"), "warning");
	assert_string_equal(notify_severity("cluster.failover_ready"), "info");
	assert_string_equal(notify_severity("vip.moved"), "warning");
	assert_string_equal(notify_severity("failover.completed"), "warning");
	assert_string_equal(notify_severity("cluster.reprotected"), "info");
	/* A type from a newer mhaadm: the suffix still says it is bad news. */
	assert_string_equal(notify_severity("widget.frob_failed"), "critical");
	assert_string_equal(notify_severity("widget.frobbed"), "info");
}

/* A message as the notifier builds it from a registry row. */
static void
sample_message(struct notify_message *m)
{
	struct registry_event ev = {0};
	struct registry_cluster c = {0};
	struct registry_node nodes[2] = {{0}};

	ev.id = 42;
	ev.at = (char *)"2026-11-27 13:05:09";
	ev.cluster = (char *)"orders";
	ev.type = (char *)"vip.moved";
	ev.message = (char *)"VIP 10.77.0.100/24 moved from 10.77.0.11 to 10.77.0.12 (eth0)";
	registry_event_field_set(&ev, "old_master", "10.77.0.11");
	registry_event_field_set(&ev, "new_master", "10.77.0.12");
	c.name = (char *)"orders";
	c.vip = (char *)"10.77.0.100";
	c.vip_prefix = 24;
	nodes[0].host = (char *)"10.77.0.11";
	nodes[0].port = 3306;
	nodes[0].role = REGISTRY_ROLE_FAILED;
	nodes[1].host = (char *)"10.77.0.12";
	nodes[1].port = 3306;
	nodes[1].role = REGISTRY_ROLE_MASTER;
	c.nodes = nodes;
	c.n_nodes = 2;
	notifier_message_from_event(m, &ev, &c, "mgr1");
	registry_event_fields_free(&ev);
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static void
test_render_json(void **state)
{
	struct notify_message m;
	struct json_object *o, *v;
	char *body;

	(void)state;
	sample_message(&m);
	assert_string_equal(m.time, "2026-11-27T13:05:09Z");
	assert_string_equal(m.summary, "[mhaadm] orders vip.moved: VIP 10.77.0.100/24 moved from "
	                               "10.77.0.11 to 10.77.0.12 (eth0)");
	body = notify_render_json(&m, 1700000000);
	o = json_tokener_parse(body);
	assert_non_null(o);
	assert_string_equal(jstr(o, "schema"), "mhaadm.notify/1");
	assert_true(json_object_object_get_ex(o, "id", &v));
	assert_int_equal(json_object_get_int64(v), 42);
	assert_true(json_object_object_get_ex(o, "sent_at", &v));
	assert_int_equal(json_object_get_int64(v), 1700000000);
	assert_string_equal(jstr(o, "cluster"), "orders");
	assert_string_equal(jstr(o, "type"), "vip.moved");
	assert_string_equal(jstr(o, "severity"), "warning");
	assert_string_equal(jstr(o, "time"), "2026-11-27T13:05:09Z");
	assert_string_equal(jstr(o, "old_master"), "10.77.0.11");
	assert_string_equal(jstr(o, "new_master"), "10.77.0.12");
	assert_string_equal(jstr(o, "master"), "10.77.0.12:3306");
	assert_string_equal(jstr(o, "vip"), "10.77.0.100/24");
	assert_string_equal(jstr(o, "manager"), "mgr1");
	assert_null(jstr(o, "node"));
	assert_true(json_object_object_get_ex(o, "test", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(o);
	free(body);
	notify_message_clear(&m);
}

static void
test_render_robots(void **state)
{
	struct notify_channel ch = {0};
	struct notify_message m;
	struct json_object *o, *inner;
	char *body;

	(void)state;
	sample_message(&m);
	ch.name = (char *)"r";
	ch.type = NOTIFY_DINGTALK;
	body = notify_render_robot(&ch, &m, 1700000000);
	o = json_tokener_parse(body);
	assert_string_equal(jstr(o, "msgtype"), "text");
	assert_true(json_object_object_get_ex(o, "text", &inner));
	assert_non_null(strstr(jstr(inner, "content"), "[mhaadm] orders vip.moved"));
	assert_non_null(strstr(jstr(inner, "content"), "\nold master  10.77.0.11"));
	assert_non_null(strstr(jstr(inner, "content"), "\nVIP         10.77.0.100/24"));
	json_object_put(o);
	free(body);

	ch.type = NOTIFY_WECOM;
	body = notify_render_robot(&ch, &m, 1700000000);
	o = json_tokener_parse(body);
	assert_string_equal(jstr(o, "msgtype"), "text");
	assert_true(json_object_object_get_ex(o, "text", &inner));
	assert_non_null(strstr(jstr(inner, "content"), "new master  10.77.0.12"));
	json_object_put(o);
	free(body);

	ch.type = NOTIFY_SLACK;
	body = notify_render_robot(&ch, &m, 1700000000);
	o = json_tokener_parse(body);
	assert_non_null(strstr(jstr(o, "text"), "[mhaadm] orders vip.moved"));
	json_object_put(o);
	free(body);

	ch.type = NOTIFY_FEISHU;
	body = notify_render_robot(&ch, &m, 1700000000);
	o = json_tokener_parse(body);
	assert_string_equal(jstr(o, "msg_type"), "text");
	assert_null(jstr(o, "sign")); /* no secret, no signature */
	assert_true(json_object_object_get_ex(o, "content", &inner));
	assert_non_null(strstr(jstr(inner, "text"), "orders"));
	json_object_put(o);
	free(body);
	ch.secret = (char *)"feishu-secret";
	body = notify_render_robot(&ch, &m, 1700000000);
	o = json_tokener_parse(body);
	assert_string_equal(jstr(o, "timestamp"), "1700000000");
	/* printf '' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<"1700000000\nfeishu-secret">
	 */
	assert_string_equal(jstr(o, "sign"), "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=");
	json_object_put(o);
	free(body);
	notify_message_clear(&m);
}

static void
test_render_mail(void **state)
{
	struct notify_channel ch = {0};
	char *to[] = {(char *)"a@example.org", (char *)"b@example.org"};
	struct notify_message m;
	char *mail;

	(void)state;
	sample_message(&m);
	ch.name = (char *)"mail";
	ch.type = NOTIFY_SMTP;
	ch.from = (char *)"mhaadm@example.org";
	ch.to = to;
	ch.n_to = 2;
	mail = notify_render_mail(&ch, &m, 1700000000);
	assert_non_null(strstr(mail, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(mail, "From: mhaadm <mhaadm@example.org>\r\n"));
	assert_non_null(strstr(mail, "To: a@example.org, b@example.org\r\n"));
	assert_non_null(strstr(mail, "Subject: [mhaadm] orders vip.moved: VIP 10.77.0.100/24 "
	                             "moved from 10.77.0.11 to 10.77.0.12 (eth0)\r\n"));
	assert_non_null(strstr(mail, "X-Mhaadm-Event: vip.moved\r\n"));
	assert_non_null(strstr(mail, "\r\n\r\n[mhaadm] orders"));
	assert_non_null(strstr(mail, "\r\nnew master  10.77.0.12\r\n"));
	assert_null(strstr(mail, "\n\n")); /* every line ends in CRLF */
	free(mail);
	/* A subject that is not ASCII, or that tries to add a header, stays one encoded line. */
	free(m.summary);
	m.summary = strdup("caf\xc3\xa9\r\nBcc: x@y");
	mail = notify_render_mail(&ch, &m, 1700000000);
	assert_non_null(strstr(mail, "Subject: =?UTF-8?B?"));
	assert_null(strstr(mail, "\r\nBcc:"));
	free(mail);
	notify_message_clear(&m);
}

/* Known answers computed with openssl dgst, independently of this code. */
static void
test_signatures(void **state)
{
	char *s;

	(void)state;
	/* printf '%s' '{"a":1}' | openssl dgst -sha256 -hmac s3cret */
	s = notify_hmac_hex("s3cret", "{\"a\":1}", 7);
	assert_string_equal(s, "5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d");
	free(s);
	/* printf '1700000000000\nSECxyz' | openssl dgst -sha256 -hmac SECxyz -binary | base64 */
	s = notify_dingtalk_sign("SECxyz", 1700000000000LL);
	assert_string_equal(s, "0PUR1j8g85Xg3vlFV/UrEcxXfF5HpCAGzcjrNfyJoyg=");
	free(s);
	s = notify_feishu_sign("feishu-secret", 1700000000LL);
	assert_string_equal(s, "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU=");
	free(s);
	s = notify_urlencode("a+b/c=");
	assert_string_equal(s, "a%2Bb%2Fc%3D");
	free(s);
}

static void
test_queue_bound(void **state)
{
	struct notify_queue q;
	struct notify_message m = {0}, out;
	int i;

	(void)state;
	notify_queue_init(&q, 3);
	m.type = (char *)"x";
	for (i = 1; i <= 3; i++) {
		m.id = i;
		assert_int_equal(notify_queue_push(&q, &m), 0);
	}
	m.id = 4;
	assert_int_equal(notify_queue_push(&q, &m), -1); /* full: refused, nothing changed */
	assert_int_equal(q.len, 3);
	assert_int_equal(notify_queue_head_id(&q), 1);
	assert_int_equal(notify_queue_pop(&q, &out), 0);
	assert_int_equal(out.id, 1);
	notify_message_clear(&out);
	m.id = 5;
	assert_int_equal(notify_queue_push(&q, &m), 0); /* room again, wraps around */
	for (i = 2; i <= 5; i++) {
		if (i == 4)
			continue;
		assert_int_equal(notify_queue_pop(&q, &out), 0);
		assert_int_equal(out.id, i);
		assert_string_equal(out.type, "x");
		notify_message_clear(&out);
	}
	assert_int_equal(notify_queue_pop(&q, &out), -1);
	assert_int_equal(notify_queue_head_id(&q), 0);
	m.id = 6;
	notify_queue_push(&q, &m);
	notify_queue_free(&q); /* frees what is still queued */
}

static void
test_dedup(void **state)
{
	struct notify_dedup d;
	struct notify_message a = {0}, b = {0};
	int i;

	(void)state;
	memset(&d, 0, sizeof(d));
	a.cluster = (char *)"c1";
	a.type = (char *)"engine.died";
	a.message = (char *)"masterha_manager died; restarting in 1 s";
	b = a;
	b.message = (char *)"masterha_manager died; restarting in 2 s";
	assert_false(notify_dedup_seen(&d, &a, 60, 1000));
	assert_true(notify_dedup_seen(&d, &a, 60, 1030));  /* a repeat within the window */
	assert_false(notify_dedup_seen(&d, &b, 60, 1030)); /* a different message */
	assert_false(notify_dedup_seen(&d, &a, 60, 1061)); /* the window has passed */
	assert_false(notify_dedup_seen(&d, &a, 0, 1061));  /* 0: off */
	assert_false(notify_dedup_seen(&d, &a, 0, 1061));
	a.node = (char *)"10.0.0.1:3306";
	assert_false(notify_dedup_seen(&d, &a, 60, 1062)); /* another node */
	/* The memory is bounded: old entries are forgotten. */
	for (i = 0; i < 2 * NOTIFY_DEDUP_SLOTS; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "m%d", i);
		b.message = msg;
		assert_false(notify_dedup_seen(&d, &b, 600, 1100));
	}
}

static void
test_command_channel(void **state)
{
	struct notify_channel ch = {0};
	struct notify_message m;
	char dir[] = "/tmp/mhaadm-test-notify-cmd.XXXXXX", path[128], *cause = NULL;
	FILE *f;

	(void)state;
	sample_message(&m);
	ch.name = (char *)"cmd";
	ch.type = NOTIFY_COMMAND;
	ch.timeout = 5;
	ch.command = (char *)"/bin/true";
	assert_int_equal(notify_send(&ch, &m, NULL, &cause), 0);
	ch.command = (char *)"/bin/false";
	assert_int_equal(notify_send(&ch, &m, NULL, &cause), -1);
	assert_non_null(strstr(cause, "command /bin/false exited with 1"));
	free(cause);
	cause = NULL;
	/* A command others can change is refused before it runs. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hook.sh", dir);
	f = fopen(path, "w");
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	chmod(path, 0777);
	ch.command = path;
	assert_int_equal(notify_send(&ch, &m, NULL, &cause), -1);
	assert_non_null(strstr(cause, "must be an executable file owned by root and writable by "
	                              "nobody else"));
	free(cause);
	cause = NULL;
	unlink(path);
	rmdir(dir);
	assert_int_equal(notify_command_check("/nonexistent/x", &cause), -1);
	free(cause);
	notify_message_clear(&m);
}

/* The notifier follows the history with event_since: ids above the cursor, oldest first. */
static void
test_event_since(void **state)
{
	struct registry *reg;
	struct registry_event ev = {0}, *list = NULL;
	char *cause = NULL, msg[16];
	size_t n = 0;
	int i;

	(void)state;
	reg = registry_open_sqlite(":memory:", &cause);
	assert_non_null(reg);
	assert_int_equal(registry_init(reg, &cause), 0);
	ev.type = (char *)"x.y";
	ev.message = msg;
	for (i = 1; i <= 5; i++) {
		snprintf(msg, sizeof(msg), "m%d", i);
		assert_int_equal(registry_event_add(reg, &ev, &cause), 0);
	}
	assert_int_equal(registry_event_since(reg, 2, 2, &list, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, 3);
	assert_string_equal(list[0].message, "m3");
	assert_int_equal(list[1].id, 4);
	registry_event_list_free(list, n);
	assert_int_equal(registry_event_since(reg, 5, 10, &list, &n, &cause), 0);
	assert_int_equal(n, 0);
	registry_event_list_free(list, n);
	registry_close(reg);
}

/* The commented channel examples in etc/mhaadm.cnf.example parse when uncommented. */
static void
test_example_channels(void **state)
{
	char *path = NULL, line[512], *text = NULL, *tmp;
	struct config *cfg;
	int in = 0;
	FILE *f;

	(void)state;
	/* The source root comes from meson, so the test finds the file from any directory. */
	assert_true(asprintf(&path, "%s/etc/mhaadm.cnf.example", MHAADM_SOURCE_ROOT) > 0);
	f = fopen(path, "r");
	free(path);
	assert_non_null(f);
	text = strdup("ha_user = mha\n");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "# [notify", 9) == 0)
			in = 1;
		else if (strncmp(line, "# Also:", 7) == 0)
			in = 0;
		if (!in || strncmp(line, "# ", 2) != 0)
			continue;
		assert_true(asprintf(&tmp, "%s%s", text, line + 2) > 0);
		free(text);
		text = tmp;
	}
	fclose(f);
	cfg = parse_ok(text);
	assert_int_equal(cfg->n_notify_channels, 3);
	assert_int_equal(cfg->notify_channels[1].type, NOTIFY_SMTP);
	config_free(cfg);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_channels),
	    cmocka_unit_test(test_config_refusals),
	    cmocka_unit_test(test_config_file_mode),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_masters_and_severity),
	    cmocka_unit_test(test_render_json),
	    cmocka_unit_test(test_render_robots),
	    cmocka_unit_test(test_render_mail),
	    cmocka_unit_test(test_signatures),
	    cmocka_unit_test(test_queue_bound),
	    cmocka_unit_test(test_dedup),
	    cmocka_unit_test(test_command_channel),
	    cmocka_unit_test(test_event_since),
	    cmocka_unit_test(test_example_channels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
