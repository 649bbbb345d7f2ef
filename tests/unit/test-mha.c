/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for mha.c: config rendering, hook and report arguments, health file, checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mha.h"
#include "registry.h"
#include "xmalloc.h"

#define SELF "/usr/sbin/mhaadm"
#define CNF "/etc/mhaadm/mhaadm.cnf"

/* A private directory for the file tests. */
static char test_dir[] = "/tmp/mhaadm-test-mha.XXXXXX";

static int
setup_dir(void **state)
{
	(void)state;
	return mkdtemp(test_dir) == NULL ? -1 : 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown_dir(void **state)
{
	(void)state;
	return nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct config *
test_config(void)
{
	struct config *cfg;
	char *cause = NULL;

	cfg = config_parse_string("ha_user = mha\n"
	                          "ha_password = s3cret=x;y\n"
	                          "repl_user = repl\n"
	                          "repl_password = r3pl\n"
	                          "workdir = /var/lib/mhaadm\n"
	                          "log_dir = /var/log/mhaadm\n"
	                          "ssh_key = /etc/mhaadm/ssh/id_ed25519\n"
	                          "ssh_known_hosts = /etc/mhaadm/ssh/known_hosts\n"
	                          "ssh_timeout = 4\n"
	                          "ssh_port = 2222\n"
	                          "mha_ping_interval = 2\n"
	                          "mha_remote_workdir = /var/tmp/mhaadm\n",
	    "test.cnf", &cause);
	if (cfg == NULL)
		fail_msg("config refused: %s", cause);
	return cfg;
}

/* Replaces a string field of the config. */
static void
set_field(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

static void
add_node(struct registry_cluster *c, const char *host, int port, enum registry_role role,
    int candidate, int no_master)
{
	struct registry_node *nd;

	c->nodes = xreallocarray(c->nodes, c->n_nodes + 1, sizeof(*c->nodes));
	nd = &c->nodes[c->n_nodes++];
	memset(nd, 0, sizeof(*nd));
	nd->host = xstrdup(host);
	nd->port = port;
	nd->role = role;
	nd->candidate_master = candidate;
	nd->no_master = no_master;
	nd->server_id = -1;
	nd->read_only = nd->log_bin = -1;
	nd->lag = -1;
}

/* orders: a failed old master, the master listed after a replica, two more replicas. */
static struct registry_cluster *
test_cluster(void)
{
	struct registry_cluster *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup("orders");
	c->vip = xstrdup("10.77.0.100");
	c->vip_prefix = 24;
	c->iface = xstrdup("eth0");
	add_node(c, "10.77.0.10", 3306, REGISTRY_ROLE_FAILED, 0, 0);
	add_node(c, "10.77.0.12", 3306, REGISTRY_ROLE_REPLICA, 1, 0);
	add_node(c, "db1.example.com", 3307, REGISTRY_ROLE_MASTER, 0, 0);
	add_node(c, "10.77.0.13", 3306, REGISTRY_ROLE_REPLICA, 0, 1);
	return c;
}

static const char expected_conf[] =
    "# MHA application config of cluster 'orders', written by mhaadm from its\n"
    "# registry before every start of masterha_manager: edits are lost.\n"
    "# Holds passwords: keep it mode 0600. See docs/mha.md for every value.\n"
    "\n"
    "[server default]\n"
    "manager_workdir=/var/lib/mhaadm/mha/orders\n"
    "manager_log=/var/log/mhaadm/orders/manager.log\n"
    "remote_workdir=/var/tmp/mhaadm/orders\n"
    "ping_interval=2\n"
    "user=mha\n"
    "password=s3cret=x;y\n"
    "repl_user=repl\n"
    "repl_password=r3pl\n"
    "ssh_user=root\n"
    "ssh_port=2222\n"
    "ssh_connection_timeout=4\n"
    "ssh_options=-i /etc/mhaadm/ssh/id_ed25519 -o IdentitiesOnly=yes "
    "-o UserKnownHostsFile=/etc/mhaadm/ssh/known_hosts -o GlobalKnownHostsFile=/dev/null "
    "-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=4\n"
    "check_repl_delay=0\n"
    "master_ip_failover_script=/usr/sbin/mhaadm -c /etc/mhaadm/mhaadm.cnf hook failover "
    "--cluster=orders --vip=10.77.0.100/24 --iface=eth0\n"
    "master_ip_online_change_script=/usr/sbin/mhaadm -c /etc/mhaadm/mhaadm.cnf hook "
    "online-change --cluster=orders --vip=10.77.0.100/24 --iface=eth0\n"
    "report_script=/usr/sbin/mhaadm -c /etc/mhaadm/mhaadm.cnf hook report --cluster=orders\n"
    "secondary_check_script=/usr/sbin/mhaadm -c /etc/mhaadm/mhaadm.cnf hook secondary-check "
    "--cluster=orders --nodes=10.77.0.12:3306,db1.example.com:3307,10.77.0.13:3306\n"
    "\n"
    "[server1]\n"
    "hostname=db1.example.com\n"
    "port=3307\n"
    "\n"
    "[server2]\n"
    "hostname=10.77.0.12\n"
    "port=3306\n"
    "candidate_master=1\n"
    "ignore_fail=1\n"
    "\n"
    "[server3]\n"
    "hostname=10.77.0.13\n"
    "port=3306\n"
    "no_master=1\n"
    "ignore_fail=1\n";

static void
test_render(void **state)
{
	struct config *cfg = test_config();
	struct registry_cluster *c = test_cluster();
	char *text, *cause = NULL;

	(void)state;
	text = mha_conf_render(cfg, CNF, SELF, c, &cause);
	if (text == NULL)
		fail_msg("refused: %s", cause);
	assert_string_equal(text, expected_conf);
	xfree_secret(text);
	registry_cluster_free(c);
	config_free(cfg);
}

/* Without a VIP the hooks get only --cluster (the hook then asks the registry). */
static void
test_render_no_vip(void **state)
{
	struct config *cfg = test_config();
	struct registry_cluster *c = test_cluster();
	char *text, *cause = NULL;

	(void)state;
	free(c->vip);
	c->vip = NULL;
	text = mha_conf_render(cfg, CNF, SELF, c, &cause);
	assert_non_null(text);
	assert_non_null(strstr(text,
	    "master_ip_failover_script=" SELF " -c " CNF " hook failover --cluster=orders\n"));
	assert_null(strstr(text, "--vip"));
	xfree_secret(text);
	registry_cluster_free(c);
	config_free(cfg);
}

/* Renders with one config field or cluster change and expects a refusal containing want. */
static void
render_bad(struct config *cfg, struct registry_cluster *c, const char *self, const char *cnf,
    const char *want, const char *secret)
{
	char *text, *cause = NULL;

	text = mha_conf_render(cfg, cnf, self, c, &cause);
	if (text != NULL)
		fail_msg("rendered, wanted a refusal with \"%s\"", want);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("message \"%s\" does not contain \"%s\"", cause, want);
	if (secret != NULL && strstr(cause, secret) != NULL)
		fail_msg("message \"%s\" shows the secret", cause);
	free(cause);
}

static void
test_render_bad_values(void **state)
{
	static const struct {
		const char *password;
		const char *want;
	} bad[] = {
	    {"two\nlines", "ha_password cannot go into MHA's configuration: it holds a control"},
	    {"cr\rhere", "control character"},
	    {"tab\there", "control character"},
	    {"a ; b", "comment"},
	    {" lead", "blank"},
	    {"trail ", "blank"},
	    {"quoted'", "quote"},
	    {"quoted\"", "quote"},
	};
	struct config *cfg = test_config();
	struct registry_cluster *c = test_cluster();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_field(&cfg->ha_password, bad[i].password);
		render_bad(cfg, c, SELF, CNF, bad[i].want, bad[i].password);
	}
	set_field(&cfg->ha_password, "ok;fine 'inside' too");
	set_field(&cfg->repl_password, "it's");
	render_bad(cfg, c, SELF, CNF,
	    "repl_password cannot go into MHA's configuration: MHA "
	    "writes it unescaped into CHANGE MASTER TO",
	    "it's");
	set_field(&cfg->repl_password, "back\\slash");
	render_bad(cfg, c, SELF, CNF, "CHANGE MASTER TO", "back\\slash");
	set_field(&cfg->repl_password, "fine");

	set_field(&cfg->ha_user, NULL);
	render_bad(cfg, c, SELF, CNF, "ha_user is not set in test.cnf", NULL);
	set_field(&cfg->ha_user, "mha");
	set_field(&cfg->repl_user, NULL);
	render_bad(cfg, c, SELF, CNF, "repl_user is not set", NULL);
	set_field(&cfg->repl_user, "repl");
	set_field(&cfg->ssh_user, "-oProxyCommand=x");
	render_bad(cfg, c, SELF, CNF, "ssh_user '-oProxyCommand=x'", NULL);
	set_field(&cfg->ssh_user, "root");

	/* Paths go unquoted into shell commands. */
	render_bad(cfg, c, "mhaadm", CNF, "the mhaadm program 'mhaadm' cannot go into", NULL);
	render_bad(
	    cfg, c, SELF, "/etc/my dir/m.cnf", "the configuration file '/etc/my dir/m.cnf'", NULL);
	render_bad(cfg, c, "/usr/sbin/mhaadm;reboot", CNF, "absolute path", NULL);
	set_field(&cfg->ssh_key, "/etc/mhaadm/ssh/key$(id)");
	render_bad(cfg, c, SELF, CNF, "ssh_key '/etc/mhaadm/ssh/key$(id)'", NULL);
	set_field(&cfg->ssh_key, "/etc/mhaadm/ssh/id_ed25519");
	set_field(&cfg->ssh_known_hosts, "/etc/mhaadm/ssh/\"kh\"");
	render_bad(cfg, c, SELF, CNF, "ssh_known_hosts", NULL);

	registry_cluster_free(c);
	config_free(cfg);
}

static void
test_render_bad_topology(void **state)
{
	struct config *cfg = test_config();
	struct registry_cluster *c;

	(void)state;
	c = test_cluster();
	c->nodes[2].role = REGISTRY_ROLE_FAILED;
	render_bad(cfg, c, SELF, CNF, "cluster 'orders' has no master in the registry", NULL);
	c->nodes[2].role = REGISTRY_ROLE_MASTER;
	c->nodes[1].role = REGISTRY_ROLE_MASTER;
	render_bad(cfg, c, SELF, CNF, "cluster 'orders' has 2 masters in the registry", NULL);
	c->nodes[1].role = REGISTRY_ROLE_UNKNOWN;
	render_bad(cfg, c, SELF, CNF,
	    "node 10.77.0.12:3306 of cluster 'orders' has not been "
	    "verified (role unknown)",
	    NULL);
	c->nodes[1].role = REGISTRY_ROLE_FAILED;
	c->nodes[3].role = REGISTRY_ROLE_FAILED;
	render_bad(cfg, c, SELF, CNF, "cluster 'orders' has no replica", NULL);
	c->nodes[1].role = REGISTRY_ROLE_REPLICA;
	c->nodes[1].candidate_master = 0;
	c->nodes[1].no_master = 1;
	c->nodes[3].role = REGISTRY_ROLE_REPLICA;
	render_bad(cfg, c, SELF, CNF, "no replica that may become master", NULL);
	c->nodes[1].candidate_master = 1;
	render_bad(cfg, c, SELF, CNF, "is both candidate_master and no_master", NULL);
	registry_cluster_free(c);

	c = test_cluster();
	set_field(&c->nodes[1].host, "bad host");
	render_bad(cfg, c, SELF, CNF, "bad host", NULL);
	registry_cluster_free(c);

	c = test_cluster();
	set_field(&c->name, "../etc");
	render_bad(cfg, c, SELF, CNF, "../etc", NULL);
	registry_cluster_free(c);

	c = test_cluster();
	set_field(&c->vip, "10.77.0.100;id");
	render_bad(cfg, c, SELF, CNF, "VIP '10.77.0.100;id/24' of cluster 'orders'", NULL);
	registry_cluster_free(c);

	c = test_cluster();
	set_field(&c->iface, "eth0 up");
	render_bad(cfg, c, SELF, CNF, "eth0 up", NULL);
	registry_cluster_free(c);
	config_free(cfg);
}

static void
test_paths(void **state)
{
	struct config *cfg = test_config();
	struct mha_paths p;

	(void)state;
	mha_paths_init(&p, cfg, "orders");
	assert_string_equal(p.dir, "/var/lib/mhaadm/mha/orders");
	assert_string_equal(p.conf, "/var/lib/mhaadm/mha/orders/orders.cnf");
	assert_string_equal(p.log, "/var/log/mhaadm/orders/manager.log");
	assert_string_equal(p.health, "/var/lib/mhaadm/mha/orders/orders.master_status.health");
	assert_string_equal(
	    p.failover_complete, "/var/lib/mhaadm/mha/orders/orders.failover.complete");
	assert_string_equal(p.failover_error, "/var/lib/mhaadm/mha/orders/orders.failover.error");
	assert_string_equal(p.check_log, "/var/log/mhaadm/orders/checks.log");
	mha_paths_free(&p);
	assert_null(p.conf);
	config_free(cfg);
}

static void
test_manager_argv(void **state)
{
	struct config *cfg = test_config();
	struct mha_paths p;
	const char **argv;

	(void)state;
	mha_paths_init(&p, cfg, "orders");
	argv = mha_manager_argv(&p, 0, 0);
	assert_string_equal(argv[0], "masterha_manager");
	assert_string_equal(argv[1], "--global_conf=/dev/null");
	assert_string_equal(argv[2], "--conf=/var/lib/mhaadm/mha/orders/orders.cnf");
	assert_string_equal(argv[3], "--last_failover_minute=0");
	assert_null(argv[4]);
	free(argv);
	argv = mha_manager_argv(&p, 60, 1);
	assert_string_equal(argv[2], "--conf=/var/lib/mhaadm/mha/orders/orders.cnf");
	assert_string_equal(argv[3], "--last_failover_minute=60");
	/* masterha_check_ssh has just passed: MHA does not repeat the SSH test. */
	assert_string_equal(argv[4], "--skip_check_ssh");
	assert_null(argv[5]);
	/* The strings must outlive p: they are the array's own. */
	mha_paths_free(&p);
	assert_string_equal(argv[2], "--conf=/var/lib/mhaadm/mha/orders/orders.cnf");
	free(argv);
	config_free(cfg);
}

static void
test_conf_write(void **state)
{
	char *dir, *path, *cause = NULL, buf[64];
	struct stat st;
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int fd, entries = 0;

	(void)state;
	dir = xasprintf("%s/mha/orders", test_dir);
	path = xasprintf("%s/orders.cnf", dir);
	if (mha_conf_write(path, "first\n", &cause) != 0)
		fail_msg("%s", cause);
	if (mha_conf_write(path, "[server default]\nuser=mha\n", &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "[server default]\nuser=mha\n");
	/* No temporary file is left behind. */
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		entries += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);

	free(path);
	path = xasprintf("%s/orders.cnf/under-a-file/x.cnf", dir);
	assert_int_equal(mha_conf_write(path, "x\n", &cause), -1);
	assert_non_null(strstr(cause, "cannot create"));
	free(cause);
	free(path);
	free(dir);
}

/* MHA's failover stop phase, old master reachable by ssh (argv as the hook gets it). */
static void
test_hook_stopssh(void **state)
{
	char a0[] = "hook", a1[] = "failover", a2[] = "--cluster=orders",
	     a3[] = "--orig_master_host=db1.example.com", a4[] = "--orig_master_ip=10.77.0.11",
	     a5[] = "--orig_master_port=3306", a6[] = "--command=stopssh", a7[] = "--ssh_user=root",
	     a8[] = "--ssh_options=-o ServerAliveInterval=60 -o StrictHostKeyChecking=no";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL};
	struct mha_hook_args a;
	char *cause = NULL;

	(void)state;
	if (mha_hook_parse(9, argv, &a, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(a.command, MHA_HOOK_STOPSSH);
	assert_string_equal(a.ssh_user, "root");
	assert_string_equal(a.orig_master_host, "db1.example.com");
	assert_string_equal(a.orig_master_ip, "10.77.0.11");
	assert_int_equal(a.orig_master_port, 3306);
	assert_null(a.new_master_host);
	assert_null(a.new_master_ip);
	assert_int_equal(a.new_master_port, -1);
	mha_hook_args_free(&a);
}

static void
test_hook_status_and_stop(void **state)
{
	char s0[] = "--command=status", s1[] = "--ssh_user=root", s2[] = "--orig_master_host=h1",
	     s3[] = "--orig_master_ip=10.77.0.11", s4[] = "--orig_master_port=3306";
	char *status[] = {s0, s1, s2, s3, s4};
	char t0[] = "--orig_master_host=h1", t1[] = "--orig_master_ip=10.77.0.11",
	     t2[] = "--orig_master_port=3306", t3[] = "--command=stop";
	char *stop[] = {t0, t1, t2, t3};
	struct mha_hook_args a;
	char *cause = NULL;

	(void)state;
	assert_int_equal(mha_hook_parse(5, status, &a, &cause), 0);
	assert_int_equal(a.command, MHA_HOOK_STATUS);
	mha_hook_args_free(&a);
	/* stop: the old master is unreachable and MHA gives no --ssh_user. */
	assert_int_equal(mha_hook_parse(4, stop, &a, &cause), 0);
	assert_int_equal(a.command, MHA_HOOK_STOP);
	assert_null(a.ssh_user);
	mha_hook_args_free(&a);
}

/* start carries the new master's password: it must be gone from argv afterwards. */
static void
test_hook_start_wipes_password(void **state)
{
	char a0[] = "hook", a1[] = "failover", a2[] = "--command=start", a3[] = "--ssh_user=root",
	     a4[] = "--orig_master_host=10.77.0.11", a5[] = "--orig_master_ip=10.77.0.11",
	     a6[] = "--orig_master_port=3306", a7[] = "--new_master_host=10.77.0.12",
	     a8[] = "--new_master_ip=10.77.0.12", a9[] = "--new_master_port=3306",
	     a10[] = "--new_master_user=mha", a11[] = "--new_master_password=Oy7p8pXA67mu2shK";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, NULL};
	static const char zero[sizeof("Oy7p8pXA67mu2shK")];
	struct mha_hook_args a;
	char *cause = NULL;

	(void)state;
	if (mha_hook_parse(12, argv, &a, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(a.command, MHA_HOOK_START);
	assert_string_equal(a.new_master_host, "10.77.0.12");
	assert_string_equal(a.new_master_ip, "10.77.0.12");
	assert_int_equal(a.new_master_port, 3306);
	assert_string_equal(a11, "--new_master_password=");
	assert_memory_equal(a11 + strlen("--new_master_password="), zero, sizeof(zero));
	assert_string_equal(a10, "--new_master_user=mha");
	mha_hook_args_free(&a);
}

/* Online change: no --ssh_user but one per master, two passwords, a bare flag. */
static void
test_hook_online_change(void **state)
{
	char a0[] = "--command=start", a1[] = "--orig_master_host=10.77.0.11",
	     a2[] = "--orig_master_ip=10.77.0.11", a3[] = "--orig_master_port=3306",
	     a4[] = "--orig_master_user=mha", a5[] = "--new_master_host=10.77.0.12",
	     a6[] = "--new_master_ip=10.77.0.12", a7[] = "--new_master_port=3306",
	     a8[] = "--new_master_user=mha", a9[] = "--orig_master_ssh_user=admin",
	     a10[] = "--new_master_ssh_user=dba", a11[] = "--orig_master_is_new_slave",
	     a12[] = "--orig_master_password=pw1", a13[] = "--new_master_password=pw2";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13};
	struct mha_hook_args a;
	char *cause = NULL;

	(void)state;
	if (mha_hook_parse(14, argv, &a, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(a.ssh_user, "dba");
	assert_string_equal(a12, "--orig_master_password=");
	assert_string_equal(a13, "--new_master_password=");
	mha_hook_args_free(&a);
}

/* secondary_check_script's arguments: the master left out of --nodes, a password wiped. */
static void
test_secondary_parse(void **state)
{
	char a0[] = "hook", a1[] = "secondary-check", a2[] = "--cluster=c1",
	     a3[] = "--nodes=10.77.0.11:3306,10.77.0.12:3306,db3.example:3307",
	     a4[] = "--master_host=m.example", a5[] = "--master_ip=10.77.0.11",
	     a6[] = "--master_port=3306", a7[] = "--master_user=mha",
	     a8[] = "--master_password=s3cret", a9[] = "--orig_master-master_password=x";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9};
	char b3[] = "--nodes=10.77.0.11:3306,10.77.0.12", b4[] = "--master_port=33x6",
	     b5[] = "--nodes=:3306";
	struct mha_secondary_args a;
	char *cause = NULL;

	(void)state;
	if (mha_secondary_parse(10, argv, &a, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(a8, "--master_password=");
	/* Any --*password= is wiped, not only MHA's own name (found by fuzz-hook). */
	assert_string_equal(a9, "--orig_master-master_password=");
	assert_string_equal(a.master_host, "m.example");
	assert_string_equal(a.master_ip, "10.77.0.11");
	assert_int_equal(a.master_port, 3306);
	/* 10.77.0.11:3306 is the master by its ip: two replicas left. */
	assert_int_equal(a.n_replicas, 2);
	assert_string_equal(a.replicas[0].host, "10.77.0.12");
	assert_string_equal(a.replicas[1].host, "db3.example");
	assert_int_equal(a.replicas[1].port, 3307);
	mha_secondary_args_free(&a);

	argv[3] = b3; /* a node without a port */
	assert_int_equal(mha_secondary_parse(9, argv, &a, &cause), -1);
	assert_non_null(strstr(cause, "'10.77.0.12' is not HOST:PORT"));
	free(cause);
	argv[3] = b5;
	assert_int_equal(mha_secondary_parse(9, argv, &a, &cause), -1);
	free(cause);
	argv[3] = a3;
	argv[6] = b4; /* a port that is not a number */
	assert_int_equal(mha_secondary_parse(9, argv, &a, &cause), -1);
	assert_non_null(strstr(cause, "--master_port are needed"));
	free(cause);
	/* Without --nodes there is no view to take. */
	assert_int_equal(mha_secondary_parse(3, argv, &a, &cause), -1);
	free(cause);
}

/* Parses argv (copied) that must be refused with a message containing want. */
static void
hook_bad(const char *const *args, const char *want)
{
	char *argv[16], *cause = NULL;
	struct mha_hook_args a;
	int n;

	for (n = 0; args[n] != NULL; n++)
		argv[n] = xstrdup(args[n]);
	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(mha_hook_parse(n, argv, &a, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("message \"%s\" does not contain \"%s\"", cause, want);
	free(cause);
	/* Even a refused call wipes the password. */
	while (n-- > 0) {
		if (strncmp(argv[n], "--new_master_password=", 22) == 0)
			assert_string_equal(argv[n], "--new_master_password=");
		free(argv[n]);
	}
}

static void
test_hook_bad(void **state)
{
	static const char *const no_command[] = {
	    "--orig_master_host=h1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306", NULL};
	static const char *const bad_command[] = {"--command=restart", "--orig_master_host=h1",
	    "--orig_master_ip=10.0.0.1", "--orig_master_port=3306", NULL};
	static const char *const no_orig[] = {"--command=stopssh", "--ssh_user=root", NULL};
	static const char *const start_no_new[] = {"--command=start", "--orig_master_host=h1",
	    "--orig_master_ip=10.0.0.1", "--orig_master_port=3306", "--new_master_host=h2",
	    "--new_master_password=hunter2", NULL};
	static const char *const bad_port[] = {"--command=stop", "--orig_master_host=h1",
	    "--orig_master_ip=10.0.0.1", "--orig_master_port=3306x", NULL};
	static const char *const bad_ip[] = {"--command=stop", "--orig_master_host=h1",
	    "--orig_master_ip=h1", "--orig_master_port=3306", NULL};
	static const char *const bad_host[] = {"--command=stop", "--orig_master_host=h1;id",
	    "--orig_master_ip=10.0.0.1", "--orig_master_port=3306", NULL};
	static const char *const bad_user[] = {"--command=stopssh", "--ssh_user=-oProxy",
	    "--orig_master_host=h1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306",
	    "--new_master_password=hunter2", NULL};

	(void)state;
	hook_bad(no_command, "no --command=");
	hook_bad(bad_command, "unknown --command=restart");
	hook_bad(no_orig, "without --orig_master_host");
	hook_bad(start_no_new, "--command=start without --new_master_host");
	hook_bad(bad_port, "--orig_master_port:");
	hook_bad(bad_ip, "--orig_master_ip: 'h1' is not an IP address");
	hook_bad(bad_host, "--orig_master_host:");
	hook_bad(bad_user, "--ssh_user: '-oProxy' is not a user name");
}

/* What send_report passes after a successful failover (the body has newlines). */
static void
test_report(void **state)
{
	char a0[] = "hook", a1[] = "report", a2[] = "--cluster=orders",
	     a3[] = "--orig_master_host=10.77.0.11", a4[] = "--new_master_host=10.77.0.12",
	     a5[] = "--new_slave_hosts=10.77.0.13,db4.example.com",
	     a6[] = "--conf=/var/lib/mhaadm/mha/orders/orders.cnf",
	     a7[] = "--subject=orders: MySQL Master failover 10.77.0.11(10.77.0.11:3306) to "
	            "10.77.0.12(10.77.0.12:3306) succeeded",
	     a8[] = "--body=Master 10.77.0.11(10.77.0.11:3306) is down!\n\nCheck MHA Manager "
	            "logs at x for details.\n";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8};
	struct mha_report_args r;
	char *cause = NULL;

	(void)state;
	if (mha_report_parse(9, argv, &r, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(r.orig_master_host, "10.77.0.11");
	assert_string_equal(r.new_master_host, "10.77.0.12");
	assert_string_equal(r.new_slave_hosts, "10.77.0.13,db4.example.com");
	assert_non_null(strstr(r.subject, "succeeded"));
	assert_non_null(strstr(r.body, "is down!\n\nCheck"));
	mha_report_args_free(&r);
}

static void
test_report_no_new_master(void **state)
{
	char a0[] = "--orig_master_host=10.77.0.11", a1[] = "--new_master_host=",
	     a2[] = "--subject=orders: MySQL Master failover 10.77.0.11 Error",
	     a3[] = "--body=Got Error so couldn't continue failover from here.";
	char *argv[] = {a0, a1, a2, a3};
	char b0[] = "--new_master_host=10.77.0.12", b1[] = "--subject=x";
	char *none[] = {b0, b1};
	char c0[] = "--orig_master_host=10.77.0.11", c1[] = "--new_slave_hosts=h2,h3 h4";
	char *bad[] = {c0, c1};
	struct mha_report_args r;
	char *cause = NULL;

	(void)state;
	assert_int_equal(mha_report_parse(4, argv, &r, &cause), 0);
	assert_null(r.new_master_host);
	assert_null(r.new_slave_hosts);
	assert_non_null(strstr(r.subject, "Error"));
	mha_report_args_free(&r);

	assert_int_equal(mha_report_parse(2, none, &r, &cause), -1);
	assert_string_equal(cause, "MHA gave no --orig_master_host=");
	free(cause);
	cause = NULL;
	assert_int_equal(mha_report_parse(2, bad, &r, &cause), -1);
	assert_non_null(strstr(cause, "new_slave_hosts"));
	free(cause);
}

/* Writes the health file of p with text. */
static void
write_health(const struct mha_paths *p, const char *text)
{
	int fd;

	fd = open(p->health, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A pid that surely belongs to no process: a child of ours, reaped. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void
test_health(void **state)
{
	struct mha_paths p = {0};
	enum mha_health h;
	char *master = NULL, *text;
	pid_t pid;

	(void)state;
	p.health = xasprintf("%s/orders.master_status.health", test_dir);
	assert_int_equal(mha_health_read(&p, &pid, &h, &master), -1);

	/* As MHA writes it: no newline at the end. */
	text = xasprintf("%ld\t0:PING_OK\tmaster:10.77.0.11", (long)getpid());
	write_health(&p, text);
	free(text);
	assert_int_equal(mha_health_read(&p, &pid, &h, &master), 0);
	assert_int_equal(pid, getpid());
	assert_int_equal(h, MHA_HEALTH_PING_OK);
	assert_string_equal(master, "10.77.0.11");
	free(master);
	master = NULL;

	text = xasprintf("%ld\t10:INITIALIZING_MONITOR", (long)getpid());
	write_health(&p, text);
	free(text);
	assert_int_equal(mha_health_read(&p, &pid, &h, &master), 0);
	assert_int_equal(h, MHA_HEALTH_INITIALIZING);
	assert_null(master);

	text = xasprintf("%ld\t50:FAILOVER_RUNNING\tmaster:db1.example.com\n", (long)getpid());
	write_health(&p, text);
	free(text);
	assert_int_equal(mha_health_read(&p, NULL, &h, NULL), 0);
	assert_int_equal(h, MHA_HEALTH_FAILOVER_RUNNING);

	text = xasprintf("%ld\t32:TIMESTAMP_OLD", (long)getpid());
	write_health(&p, text);
	free(text);
	assert_int_equal(mha_health_read(&p, NULL, &h, NULL), 0);
	assert_int_equal(h, MHA_HEALTH_UNKNOWN);

	/* Left behind by a manager killed with SIGKILL. */
	text = xasprintf("%ld\t0:PING_OK\tmaster:10.77.0.11", (long)dead_pid());
	write_health(&p, text);
	free(text);
	assert_int_equal(mha_health_read(&p, &pid, &h, &master), 0);
	assert_int_equal(h, MHA_HEALTH_NOT_RUNNING);
	free(master);

	write_health(&p, "");
	assert_int_equal(mha_health_read(&p, NULL, &h, NULL), -1);
	write_health(&p, "garbage");
	assert_int_equal(mha_health_read(&p, NULL, &h, NULL), -1);
	write_health(&p, "123 0:PING_OK");
	assert_int_equal(mha_health_read(&p, NULL, &h, NULL), -1);
	unlink(p.health);
	free(p.health);
}

static void
test_health_names(void **state)
{
	(void)state;
	assert_string_equal(mha_health_name(MHA_HEALTH_PING_OK), "PING_OK");
	assert_string_equal(mha_health_name(MHA_HEALTH_NOT_RUNNING), "NOT_RUNNING");
	assert_string_equal(mha_health_name(MHA_HEALTH_INITIALIZING), "INITIALIZING_MONITOR");
	assert_string_equal(mha_health_name(MHA_HEALTH_PING_FAILING), "PING_FAILING");
	assert_string_equal(mha_health_name(MHA_HEALTH_PING_FAILED), "PING_FAILED");
	assert_string_equal(mha_health_name(MHA_HEALTH_RETRYING_MONITOR), "RETRYING_MONITOR");
	assert_string_equal(mha_health_name(MHA_HEALTH_CONFIG_ERROR), "CONFIG_ERROR");
	assert_string_equal(mha_health_name(MHA_HEALTH_FAILOVER_RUNNING), "FAILOVER_RUNNING");
	assert_string_equal(mha_health_name(MHA_HEALTH_FAILOVER_ERROR), "FAILOVER_ERROR");
	assert_string_equal(mha_health_name(MHA_HEALTH_UNKNOWN), "UNKNOWN");
}

/* Outputs captured from MHA 0.58 against the lab (dates kept, paths as found). */
static const char ssh_ok[] =
    "Fri Nov 27 11:31:53 2026 - [warning] Global configuration file /dev/null not found. "
    "Skipping.\n"
    "Fri Nov 27 11:31:53 2026 - [info] Starting SSH connection tests..\n"
    "Fri Nov 27 11:31:53 2026 - [debug]  Connecting via SSH from root@10.77.0.11(10.77.0.11:22) "
    "to root@10.77.0.12(10.77.0.12:22)..\n"
    "Fri Nov 27 11:31:55 2026 - [debug]   ok.\n"
    "Fri Nov 27 11:32:00 2026 - [info] All SSH connection tests passed successfully.\n"
    "Use of uninitialized value in exit at /usr/bin/masterha_check_ssh line 44.\n";

static const char ssh_denied[] =
    "Fri Nov 27 11:32:57 2026 - [info] Starting SSH connection tests..\n"
    "Fri Nov 27 11:32:57 2026 - [error][/usr/share/perl5/MHA/SSHCheck.pm, ln63] \n"
    "Fri Nov 27 11:32:57 2026 - [debug]  Connecting via SSH from root@10.77.0.11(10.77.0.11:22) "
    "to root@10.77.0.12(10.77.0.12:22)..\n"
    "root@10.77.0.11: Permission denied (publickey).\n"
    "Fri Nov 27 11:32:57 2026 - [error][/usr/share/perl5/MHA/SSHCheck.pm, ln111] SSH connection "
    "from root@10.77.0.11(10.77.0.11:22) to root@10.77.0.12(10.77.0.12:22) failed!\n"
    "SSH Configuration Check Failed!\n"
    " at /usr/bin/masterha_check_ssh line 44.\n";

static const char ssh_mitm[] =
    "Fri Nov 27 11:33:01 2026 - [debug]  Connecting via SSH from root@10.77.0.11(10.77.0.11:22) "
    "to root@10.77.0.12(10.77.0.12:22)..\n"
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
    "Offending ED25519 key in /etc/mhaadm/ssh/known_hosts:1\n"
    "  remove with:\n"
    "Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks.\n"
    "Fri Nov 27 11:33:09 2026 - [info] All SSH connection tests passed successfully.\n";

static const char ssh_tofu[] =
    "Warning: Permanently added '10.77.0.11' (ED25519) to the list of known hosts.\n"
    "Fri Nov 27 11:32:57 2026 - [info] All SSH connection tests passed successfully.\n";

static const char repl_sprintf[] =
    "Fri Nov 27 11:32:02 2026 - [info] MHA::MasterMonitor version 0.58.\n"
    "Creating directory /tmp/mhatest/draft/work.. done.\n"
    "Fri Nov 27 11:32:03 2026 - [error][/usr/share/perl5/MHA/MasterMonitor.pm, ln427] Error "
    "happened on checking configurations. Redundant argument in sprintf at "
    "/usr/share/perl5/MHA/NodeUtil.pm line 195.\n"
    "Fri Nov 27 11:32:03 2026 - [error][/usr/share/perl5/MHA/MasterMonitor.pm, ln525] Error "
    "happened on monitoring servers.\n"
    "Fri Nov 27 11:32:03 2026 - [info] Got exit code 1 (Not master dead).\n"
    "\n"
    "MySQL Replication Health is NOT OK!\n";

static const char repl_binlog[] =
    "Fri Nov 27 11:32:23 2026 - [info]   Connecting to root@10.77.0.11(10.77.0.11:22).. \n"
    "Failed to save binary log: Binlog not found from /var/lib/mysql,/var/log/mysql! If you "
    "got this error at MHA Manager, please set \"master_binlog_dir=/path/to/binlog_directory_"
    "of_the_master\" correctly in the MHA Manager's configuration file and try again.\n"
    " at /usr/bin/save_binary_logs line 123.\n"
    "\teval {...} called at /usr/bin/save_binary_logs line 70\n"
    "Fri Nov 27 11:32:24 2026 - [error][/usr/share/perl5/MHA/MasterMonitor.pm, ln161] Binlog "
    "setting check failed!\n"
    "Fri Nov 27 11:32:24 2026 - [error][/usr/share/perl5/MHA/MasterMonitor.pm, ln408] Master "
    "configuration failed.\n"
    "\n"
    "MySQL Replication Health is NOT OK!\n";

static const char repl_super_read_only[] =
    "Fri Nov 27 11:32:43 2026 - [info]   Connecting to root@10.77.0.12(10.77.0.12:22).. \n"
    "  Checking slave recovery environment settings..\n"
    "    Opening /var/tmp/mhaadm-lab/h2/data/relay-log.info ... ok.\n"
    "    Checking if super_read_only is defined and turned on..DBD::mysql::st execute failed: "
    "Unknown system variable 'super_read_only' at /usr/share/perl5/MHA/SlaveUtil.pm line 245.\n"
    "Fri Nov 27 11:32:44 2026 - [error][/usr/share/perl5/MHA/MasterMonitor.pm, ln208] Slaves "
    "settings check failed!\n"
    "\n"
    "MySQL Replication Health is NOT OK!\n";

static const char repl_ok[] =
    "Fri Nov 27 11:40:00 2026 - [info] Got exit code 0 (Not master dead).\n"
    "\n"
    "MySQL Replication Health is OK.\n";

/* Judges output and expects a failure line equal to want (NULL: expects a pass). */
static void
judge(const char *tool, const char *output, int code, const char *want)
{
	char *line = NULL;
	int rc;

	rc = mha_check_judge(tool, output, code << 8, &line);
	if (want == NULL) {
		if (rc != 0)
			fail_msg("failed: %s", line);
		return;
	}
	assert_int_equal(rc, -1);
	assert_non_null(line);
	if (strcmp(line, want) != 0)
		fail_msg("line \"%s\", wanted \"%s\"", line, want);
	free(line);
}

static void
test_judge(void **state)
{
	(void)state;
	/* masterha_check_ssh exits 255 when it passed. */
	judge("masterha_check_ssh", ssh_ok, 255, NULL);
	judge("masterha_check_ssh", ssh_denied, 255,
	    "SSH connection from root@10.77.0.11(10.77.0.11:22) to root@10.77.0.12(10.77.0.12:22) "
	    "failed! (root@10.77.0.11: Permission denied (publickey).)");
	judge("masterha_check_ssh", ssh_mitm, 255,
	    "a host key differs from the one pinned in ssh_known_hosts (possible "
	    "man-in-the-middle; MHA's ssh connected anyway): Offending ED25519 key in "
	    "/etc/mhaadm/ssh/known_hosts:1");
	judge("masterha_check_ssh", ssh_tofu, 255,
	    "a host key was not pinned in ssh_known_hosts and MHA's ssh accepted it on first use: "
	    "Warning: Permanently added '10.77.0.11' (ED25519) to the list of known hosts.");
	judge("masterha_check_repl", repl_ok, 0, NULL);
	/* The words alone are not enough for check_repl: its exit status must agree. */
	judge("masterha_check_repl", repl_ok, 1,
	    "exit status 1 (last line: MySQL Replication Health is OK.)");
	judge("masterha_check_repl", repl_sprintf, 1,
	    "Error happened on checking configurations. Redundant argument in sprintf at "
	    "/usr/share/perl5/MHA/NodeUtil.pm line 195.");
	judge("masterha_check_repl", repl_binlog, 1,
	    "Binlog setting check failed! (Failed to save binary log: Binlog not found from "
	    "/var/lib/mysql,/var/log/mysql! If you got this error at MHA Manager, please set "
	    "\"master_binlog_dir=/path/to/binlog_directory_of_the_master\" correctly in the MHA "
	    "Manager's configuration file and try again.)");
	judge("masterha_check_repl", repl_super_read_only, 1,
	    "Slaves settings check failed! (Checking if super_read_only is defined and turned "
	    "on..DBD::mysql::st execute failed: Unknown system variable 'super_read_only' at "
	    "/usr/share/perl5/MHA/SlaveUtil.pm line 245.)");
	judge("masterha_check_repl",
	    "Can't locate MHA/MasterMonitor.pm in @INC (you may need to install it)\n"
	    "BEGIN failed--compilation aborted at /usr/bin/masterha_check_repl line 27.\n",
	    2, "Can't locate MHA/MasterMonitor.pm in @INC (you may need to install it)");
	judge("masterha_check_repl", "", 1, "exit status 1 (no output)");
}

/* Writes text at the end of path (created when missing). */
static void
append_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/*
 * masterha_manager's own start-up checks failed: the reason is the first
 * [error] line of this run's part of manager.log, never an earlier run's.
 */
static void
test_start_failure(void **state)
{
	struct mha_paths p = {0};
	char *cause = NULL, *line;

	(void)state;
	p.log = xasprintf("%s/manager.log", test_dir);
	p.log_start = xasprintf("%s/manager.log.start", test_dir);
	/* No log yet (a first start): nothing to quote. */
	if (mha_log_mark(&p, &cause) != 0)
		fail_msg("%s", cause);
	assert_null(mha_start_failure(&p));
	append_file(p.log, repl_sprintf); /* an earlier run's failure */
	append_file(p.log, repl_ok);
	if (mha_log_mark(&p, &cause) != 0)
		fail_msg("%s", cause);
	assert_null(mha_start_failure(&p)); /* this run wrote nothing yet */
	append_file(p.log, repl_binlog);
	line = mha_start_failure(&p);
	assert_non_null(line);
	assert_non_null(strstr(line, "Binlog setting check failed!"));
	assert_null(strstr(line, "sprintf"));
	free(line);
	/* Only a last line that reads like nothing MHA logs: it is quoted as it is. */
	if (mha_log_mark(&p, &cause) != 0)
		fail_msg("%s", cause);
	append_file(p.log, "Can't locate MHA/MasterMonitor.pm in @INC\n");
	line = mha_start_failure(&p);
	assert_string_equal(line, "Can't locate MHA/MasterMonitor.pm in @INC");
	free(line);
	unlink(p.log);
	unlink(p.log_start);
	free(p.log);
	free(p.log_start);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_render_no_vip),
	    cmocka_unit_test(test_render_bad_values),
	    cmocka_unit_test(test_render_bad_topology),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_manager_argv),
	    cmocka_unit_test(test_conf_write),
	    cmocka_unit_test(test_hook_stopssh),
	    cmocka_unit_test(test_hook_status_and_stop),
	    cmocka_unit_test(test_hook_start_wipes_password),
	    cmocka_unit_test(test_hook_online_change),
	    cmocka_unit_test(test_secondary_parse),
	    cmocka_unit_test(test_hook_bad),
	    cmocka_unit_test(test_report),
	    cmocka_unit_test(test_report_no_new_master),
	    cmocka_unit_test(test_health),
	    cmocka_unit_test(test_health_names),
	    cmocka_unit_test(test_judge),
	    cmocka_unit_test(test_start_failure),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
