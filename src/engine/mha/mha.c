/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The MHA engine's files and words: app config rendering, hook arguments, health, checks. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "mha.h"
#include "registry.h"
#include "spawn.h"
#include "validate.h"
#include "fsutil.h"
#include "xmalloc.h"

/*
 * The global config MHA reads before ours. /etc/masterha_default.cnf (MHA's
 * default) may be left over from a hand-made setup and would slip settings
 * such as a shutdown_script into every cluster; /dev/null is "not a file"
 * to MHA, which then logs one warning and reads only our app config.
 */
#define MHA_GLOBAL_CONF "--global_conf=/dev/null"

/* Upper bounds for the checks; MHA's own ssh waits are ssh_timeout each. */
#define MHA_CHECK_SSH_TIMEOUT 120

/* A summary line longer than this is cut: it goes into events and messages. */
#define MHA_SUMMARY_MAX 400

/* What MHA prints when a check passed. */
#define MHA_SSH_OK "All SSH connection tests passed successfully."
#define MHA_REPL_OK "MySQL Replication Health is OK."

/*
 * What ssh prints when MHA's hard-coded StrictHostKeyChecking=no (which
 * comes before our ssh_options, and ssh takes the first value) let it
 * connect to a host whose key is not the pinned one, or is not pinned.
 */
#define MHA_SSH_CHANGED "REMOTE HOST IDENTIFICATION HAS CHANGED"
#define MHA_SSH_ADDED "Permanently added"

/* Characters allowed in paths MHA puts unquoted into shell commands (as config.c allows). */
#define MHA_PATH_EXTRA "/_.-+@,:"

/* A growable text buffer that wipes what it drops: rendered configs hold passwords. */
struct mha_buf {
	char *s;
	size_t len;
	size_t size;
};

static void
mha_buf_reserve(struct mha_buf *b, size_t more)
{
	size_t size;
	char *s;

	if (b->len + more + 1 <= b->size)
		return;
	size = b->size == 0 ? 1024 : b->size;
	while (size < b->len + more + 1)
		size *= 2;
	/* Not realloc: the old block would be freed with the passwords in it. */
	s = xmalloc(size);
	if (b->s != NULL) {
		memcpy(s, b->s, b->len + 1);
		explicit_bzero(b->s, b->size);
		free(b->s);
	}
	b->s = s;
	b->size = size;
}

static void __attribute__((format(printf, 2, 3)))
mha_buf_add(struct mha_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	mha_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void
mha_buf_wipe(struct mha_buf *b)
{
	if (b->s != NULL) {
		explicit_bzero(b->s, b->size);
		free(b->s);
	}
	b->s = NULL;
	b->len = b->size = 0;
}

void
mha_paths_init(struct mha_paths *p, const struct config *cfg, const char *cluster)
{
	/*
	 * MHA names its health and failover files after the config file's
	 * basename, so the config is <cluster>.cnf: the file names below, and
	 * "orders (pid:N) is running" in MHA's own messages, then carry the
	 * cluster's name.
	 */
	p->dir = xasprintf("%s/mha/%s", cfg->workdir, cluster);
	p->conf = xasprintf("%s/%s.cnf", p->dir, cluster);
	p->log = xasprintf("%s/%s/manager.log", cfg->log_dir, cluster);
	p->health = xasprintf("%s/%s.master_status.health", p->dir, cluster);
	p->failover_complete = xasprintf("%s/%s.failover.complete", p->dir, cluster);
	p->failover_error = xasprintf("%s/%s.failover.error", p->dir, cluster);
	p->check_log = xasprintf("%s/%s/checks.log", cfg->log_dir, cluster);
	p->unfit = xasprintf("%s/unfit", p->dir);
	p->rerender = xasprintf("%s/rerender", p->dir);
	p->lag_off = xasprintf("%s/lag-policy-off", p->dir);
	p->left_out = xasprintf("%s/left-out", p->dir);
	p->began = xasprintf("%s/failover.began", p->dir);
	p->paused = xasprintf("%s/failover.paused", p->dir);
	p->failing = xasprintf("%s/master.failing", p->dir);
	p->pidfile = xasprintf("%s/engine.pid", p->dir);
	p->monitoring = xasprintf("%s/monitoring.began", p->dir);
	p->log_start = xasprintf("%s/manager.log.start", p->dir);
}

int
mha_marker_touch(const char *path, char **cause)
{
	/* Rewritten, not utime'd: the rename makes it appear whole, with a new mtime. */
	return fs_write_atomic(path, "", 0, cause);
}

void
mha_paths_free(struct mha_paths *p)
{
	free(p->dir);
	free(p->conf);
	free(p->log);
	free(p->health);
	free(p->failover_complete);
	free(p->failover_error);
	free(p->check_log);
	free(p->unfit);
	free(p->rerender);
	free(p->lag_off);
	free(p->left_out);
	free(p->began);
	free(p->paused);
	free(p->failing);
	free(p->pidfile);
	free(p->monitoring);
	free(p->log_start);
	memset(p, 0, sizeof(*p));
}

static int
mha_only(const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9'))
			continue;
		if (strchr(extra, *s) == NULL)
			return 0;
	}
	return 1;
}

/*
 * Paths go unquoted into the shell commands MHA builds (hook command
 * lines, "ssh ... $ssh_options", "system(\"$cmd >> $manager_log\")"), and
 * MHA deletes every quote from ssh_options, so quoting cannot help: only
 * absolute paths of inert characters are accepted.
 */
static int
mha_check_path(const char *what, const char *path, char **cause)
{
	if (path == NULL || path[0] != '/' || !mha_only(path, MHA_PATH_EXTRA)) {
		*cause =
		    xasprintf("%s '%s' cannot go into MHA's configuration: use an absolute path "
		              "of characters A-Z a-z 0-9 / _ . - + @ , :",
		        what, path != NULL ? path : "");
		return -1;
	}
	return 0;
}

/* Account names MHA writes unquoted as "$ssh_user@$ip" into shell commands. */
static int
mha_check_word(const char *what, const char *value, char **cause)
{
	if (value == NULL || value[0] == '\0' || value[0] == '-' || !mha_only(value, "_.-")) {
		*cause = xasprintf("%s '%s' cannot go into MHA's configuration: use characters "
		                   "A-Z a-z 0-9 _ . - (not starting with -)",
		    what, value != NULL ? value : "");
		return -1;
	}
	return 0;
}

/*
 * Whether MHA would read value back unchanged from "key=value". Config::Tiny
 * splits lines at CR or LF, trims blanks around the value and cuts an
 * inline comment at " ; "; MHA::Config then strips a trailing quote (and a
 * leading one with it). Control characters are refused altogether. Secrets
 * are not echoed in the message.
 */
static int
mha_check_value(const char *what, const char *value, int secret, char **cause)
{
	const char *why = NULL;
	size_t len = strlen(value), i;

	for (i = 0; i < len && why == NULL; i++) {
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			why = "it holds a control character (newline, tab, ...)";
		else if (value[i] == ';' && i > 0 && value[i - 1] == ' ' && value[i + 1] == ' ')
			why = "it holds \" ; \", which MHA's INI parser reads as a comment";
	}
	if (why == NULL && len > 0 && (value[0] == ' ' || value[len - 1] == ' '))
		why = "it starts or ends with a blank, which MHA's INI parser drops";
	if (why == NULL && len > 0 && (value[len - 1] == '\'' || value[len - 1] == '"'))
		why = "it ends with a quote character, which MHA strips";
	if (why == NULL)
		return 0;
	if (secret)
		*cause = xasprintf("%s cannot go into MHA's configuration: %s", what, why);
	else
		*cause =
		    xasprintf("%s '%s' cannot go into MHA's configuration: %s", what, value, why);
	return -1;
}

/* MHA puts repl_user and repl_password into CHANGE MASTER TO ... '%s' by sprintf, unescaped. */
static int
mha_check_sql(const char *what, const char *value, int secret, char **cause)
{
	if (strpbrk(value, "'\\") == NULL)
		return 0;
	if (secret)
		*cause = xasprintf("%s cannot go into MHA's configuration: MHA writes it unescaped "
		                   "into CHANGE MASTER TO, so ' and \\ cannot be used",
		    what);
	else
		*cause = xasprintf("%s '%s' cannot go into MHA's configuration: MHA writes it "
		                   "unescaped into CHANGE MASTER TO, so ' and \\ cannot be used",
		    what, value);
	return -1;
}

/* The accounts and secrets of [server default], checked for MHA. */
static int
mha_conf_check_accounts(const struct config *cfg, char **cause)
{
	if (cfg->ha_user == NULL || cfg->ha_user[0] == '\0') {
		*cause = xasprintf("ha_user is not set in %s: MHA needs it to monitor the nodes",
		    cfg->path != NULL ? cfg->path : "the configuration");
		return -1;
	}
	if (cfg->repl_user == NULL || cfg->repl_user[0] == '\0') {
		*cause = xasprintf("repl_user is not set in %s: MHA needs it to re-point replicas",
		    cfg->path != NULL ? cfg->path : "the configuration");
		return -1;
	}
	if (mha_check_value("ha_user", cfg->ha_user, 0, cause) != 0 ||
	    mha_check_value("repl_user", cfg->repl_user, 0, cause) != 0 ||
	    mha_check_sql("repl_user", cfg->repl_user, 0, cause) != 0)
		return -1;
	if (cfg->ha_password != NULL &&
	    mha_check_value("ha_password", cfg->ha_password, 1, cause) != 0)
		return -1;
	if (cfg->repl_password != NULL &&
	    (mha_check_value("repl_password", cfg->repl_password, 1, cause) != 0 ||
	        mha_check_sql("repl_password", cfg->repl_password, 1, cause) != 0))
		return -1;
	return mha_check_word("ssh_user", cfg->ssh_user, cause);
}

/* One master, at least one replica that may be promoted, every node verified. */
static int
mha_conf_check_nodes(const struct registry_cluster *c, char **cause)
{
	const struct registry_node *nd;
	size_t i, masters = 0, replicas = 0, promotable = 0;

	for (i = 0; i < c->n_nodes; i++) {
		nd = &c->nodes[i];
		if (nd->role == REGISTRY_ROLE_FAILED)
			continue;
		if (validate_host(nd->host, cause) != 0)
			return -1;
		if (nd->port < 1 || nd->port > 65535) {
			*cause = xasprintf("node %s of cluster '%s' has an invalid port %d",
			    nd->host, c->name, nd->port);
			return -1;
		}
		if (nd->candidate_master && nd->no_master) {
			*cause =
			    xasprintf("node %s:%d of cluster '%s' is both candidate_master and "
			              "no_master",
			        nd->host, nd->port, c->name);
			return -1;
		}
		switch (nd->role) {
		case REGISTRY_ROLE_MASTER:
			masters++;
			break;
		case REGISTRY_ROLE_REPLICA:
			replicas++;
			promotable += !nd->no_master;
			break;
		default:
			*cause =
			    xasprintf("node %s:%d of cluster '%s' has not been verified (role %s); "
			              "run mhaadm add",
			        nd->host, nd->port, c->name, registry_role_name(nd->role));
			return -1;
		}
	}
	if (masters != 1) {
		*cause = masters == 0
		             ? xasprintf("cluster '%s' has no master in the registry", c->name)
		             : xasprintf("cluster '%s' has %zu masters in the registry", c->name,
		                   masters);
		return -1;
	}
	if (replicas == 0) {
		*cause = xasprintf(
		    "cluster '%s' has no replica: MHA needs one to fail over to", c->name);
		return -1;
	}
	if (promotable == 0) {
		*cause = xasprintf("cluster '%s' has no replica that may become master (all are "
		                   "no_master)",
		    c->name);
		return -1;
	}
	return 0;
}

/*
 * The hook command line MHA runs through sh: every word is checked to be
 * shell-inert, so nothing needs quoting (and MHA appends its own arguments
 * after it). The VIP and interface ride along so the hook can move the VIP
 * even when the registry cannot be reached in the middle of a failover.
 */
static char *
mha_conf_hook(const char *self, const char *config_path, const char *type,
    const struct registry_cluster *c, int with_vip)
{
	if (with_vip)
		return xasprintf("%s -c %s hook %s --cluster=%s --vip=%s/%d --iface=%s", self,
		    config_path, type, c->name, c->vip, c->vip_prefix, c->iface);
	return xasprintf("%s -c %s hook %s --cluster=%s", self, config_path, type, c->name);
}

/*
 * secondary_check_script: mhaadm asks the replicas whether the master is
 * dead for them too. The nodes (checked hosts, numeric ports) ride along
 * so the check needs no registry; MHA appends the master's address.
 */
static char *
mha_conf_secondary(const char *self, const char *config_path, const struct registry_cluster *c)
{
	char *s = xasprintf(
	         "%s -c %s hook secondary-check --cluster=%s --nodes=", self, config_path, c->name),
	     *tmp;
	size_t i, n = 0;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_FAILED)
			continue;
		tmp = xasprintf(
		    "%s%s%s:%d", s, n++ > 0 ? "," : "", c->nodes[i].host, c->nodes[i].port);
		free(s);
		s = tmp;
	}
	return s;
}

/* Whether the cluster's VIP and interface can go onto the hook command line. */
static int
mha_conf_has_vip(const struct registry_cluster *c, char **cause)
{
	struct in_addr addr;

	if (c->vip == NULL || c->vip[0] == '\0' || c->iface == NULL || c->iface[0] == '\0')
		return 0;
	if (inet_pton(AF_INET, c->vip, &addr) != 1 || c->vip_prefix < 1 || c->vip_prefix > 32) {
		*cause = xasprintf("VIP '%s/%d' of cluster '%s' is not an IPv4 address with prefix",
		    c->vip, c->vip_prefix, c->name);
		return -1;
	}
	if (validate_iface(c->iface, cause) != 0)
		return -1;
	return 1;
}

/*
 * Every parameter written here, and every one deliberately left out, is
 * explained in docs/mha.md.
 */
char *
mha_conf_render(const struct config *cfg, const char *config_path, const char *self,
    const struct registry_cluster *c, char **cause)
{
	struct mha_paths p = {0};
	struct mha_buf b = {0};
	const struct registry_node *nd;
	char *remote = NULL, *failover = NULL, *online = NULL, *report = NULL, *text = NULL;
	char *secondary = NULL;
	size_t i, n;
	int with_vip, pass;

	if (validate_cluster_name(c->name, cause) != 0)
		goto out;
	mha_paths_init(&p, cfg, c->name);
	remote = xasprintf("%s/%s", cfg->mha_remote_workdir, c->name);
	if (mha_conf_check_nodes(c, cause) != 0 || mha_conf_check_accounts(cfg, cause) != 0)
		goto out;
	if (mha_check_path("the mhaadm program", self, cause) != 0 ||
	    mha_check_path("the configuration file", config_path, cause) != 0 ||
	    mha_check_path("workdir", p.dir, cause) != 0 ||
	    mha_check_path("log_dir", p.log, cause) != 0 ||
	    mha_check_path("mha_remote_workdir", remote, cause) != 0 ||
	    mha_check_path("ssh_key", cfg->ssh_key, cause) != 0 ||
	    mha_check_path("ssh_known_hosts", cfg->ssh_known_hosts, cause) != 0)
		goto out;
	if ((with_vip = mha_conf_has_vip(c, cause)) < 0)
		goto out;
	failover = mha_conf_hook(self, config_path, "failover", c, with_vip);
	online = mha_conf_hook(self, config_path, "online-change", c, with_vip);
	report = mha_conf_hook(self, config_path, "report", c, 0);
	secondary = mha_conf_secondary(self, config_path, c);

	mha_buf_add(&b,
	    "# MHA application config of cluster '%s', written by mhaadm from its\n"
	    "# registry before every start of masterha_manager: edits are lost.\n"
	    "# Holds passwords: keep it mode 0600. See docs/mha.md for every value.\n"
	    "\n[server default]\n",
	    c->name);
	mha_buf_add(&b, "manager_workdir=%s\n", p.dir);
	mha_buf_add(&b, "manager_log=%s\n", p.log);
	mha_buf_add(&b, "remote_workdir=%s\n", remote);
	mha_buf_add(&b, "ping_interval=%d\n", cfg->mha_ping_interval);
	mha_buf_add(&b, "user=%s\n", cfg->ha_user);
	if (cfg->ha_password != NULL)
		mha_buf_add(&b, "password=%s\n", cfg->ha_password);
	mha_buf_add(&b, "repl_user=%s\n", cfg->repl_user);
	if (cfg->repl_password != NULL)
		mha_buf_add(&b, "repl_password=%s\n", cfg->repl_password);
	mha_buf_add(&b, "ssh_user=%s\n", cfg->ssh_user);
	mha_buf_add(&b, "ssh_port=%d\n", cfg->ssh_port);
	mha_buf_add(&b, "ssh_connection_timeout=%d\n", cfg->ssh_timeout);
	mha_buf_add(&b,
	    "ssh_options=-i %s -o IdentitiesOnly=yes -o UserKnownHostsFile=%s "
	    "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes "
	    "-o ConnectTimeout=%d\n",
	    cfg->ssh_key, cfg->ssh_known_hosts, cfg->ssh_timeout);
	mha_buf_add(&b, "check_repl_delay=0\n");
	mha_buf_add(&b, "master_ip_failover_script=%s\n", failover);
	mha_buf_add(&b, "master_ip_online_change_script=%s\n", online);
	mha_buf_add(&b, "report_script=%s\n", report);
	mha_buf_add(&b, "secondary_check_script=%s\n", secondary);

	/* The master first, then the replicas in registry order. */
	n = 0;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < c->n_nodes; i++) {
			nd = &c->nodes[i];
			if (nd->role != (pass == 0 ? REGISTRY_ROLE_MASTER : REGISTRY_ROLE_REPLICA))
				continue;
			mha_buf_add(
			    &b, "\n[server%zu]\nhostname=%s\nport=%d\n", ++n, nd->host, nd->port);
			if (nd->candidate_master)
				mha_buf_add(&b, "candidate_master=1\n");
			if (nd->no_master)
				mha_buf_add(&b, "no_master=1\n");
			/*
			 * A replica dead when the master dies is skipped, never a
			 * reason to abort the failover (docs/mha.md, "Dead replicas").
			 */
			if (nd->role == REGISTRY_ROLE_REPLICA)
				mha_buf_add(&b, "ignore_fail=1\n");
			if (nd->binlog_dir != NULL && nd->binlog_dir[0] == '/' &&
			    mha_only(nd->binlog_dir, MHA_PATH_EXTRA))
				mha_buf_add(&b, "master_binlog_dir=%s\n", nd->binlog_dir);
		}
	}
	text = b.s;
	b.s = NULL;
out:
	mha_buf_wipe(&b);
	free(failover);
	free(online);
	free(secondary);
	free(report);
	free(remote);
	mha_paths_free(&p);
	return text;
}

int
mha_conf_write(const char *path, const char *text, char **cause)
{
	return fs_write_atomic(path, text, strlen(text), cause);
}

/* "--key=value" → value when arg's key is key, else NULL. */
static const char *
mha_arg(const char *arg, const char *key)
{
	size_t len = strlen(key);

	if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, key, len) != 0 || arg[2 + len] != '=')
		return NULL;
	return arg + 2 + len + 1;
}

/*
 * Wipes the value of every --*password= / --*_pass= argument in place. MHA
 * puts the new master's (and, for online changes, the old master's) admin
 * password on our command line; wiping it also blanks it in
 * /proc/PID/cmdline, which is read from this very memory.
 */
static void
mha_args_wipe_passwords(int argc, char **argv)
{
	char *eq;
	size_t klen;
	int i;

	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL || strncmp(argv[i], "--", 2) != 0)
			continue;
		if ((eq = strchr(argv[i], '=')) == NULL)
			continue;
		klen = (size_t)(eq - argv[i]);
		if ((klen >= 10 && strncasecmp(eq - 8, "password", 8) == 0) ||
		    (klen >= 7 && strncasecmp(eq - 5, "_pass", 5) == 0))
			explicit_bzero(eq + 1, strlen(eq + 1));
	}
}

/* Replaces *field with a copy of value (the last of repeated arguments wins). */
static void
mha_arg_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static int
mha_arg_port(const char *key, const char *value, int *port, char **cause)
{
	char *vcause = NULL;

	if (validate_port(value, port, &vcause) != 0) {
		*cause = xasprintf("--%s: %s", key, vcause);
		free(vcause);
		return -1;
	}
	return 0;
}

static int
mha_arg_host(const char *key, const char *value, char **cause)
{
	char *vcause = NULL;

	if (validate_host(value, &vcause) != 0) {
		*cause = xasprintf("--%s: %s", key, vcause);
		free(vcause);
		return -1;
	}
	return 0;
}

static int
mha_arg_ip(const char *key, const char *value, char **cause)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, value, addr) == 1 || inet_pton(AF_INET6, value, addr) == 1)
		return 0;
	*cause = xasprintf("--%s: '%s' is not an IP address", key, value);
	return -1;
}

int
mha_hook_parse(int argc, char **argv, struct mha_hook_args *out, char **cause)
{
	struct mha_hook_args a = {0};
	const char *v, *command = NULL;
	char *ssh_user = NULL, *orig_ssh_user = NULL, *new_ssh_user = NULL;
	int i, rc = -1;

	/* First, before anything can fail: no password survives this call. */
	mha_args_wipe_passwords(argc, argv);
	a.orig_master_port = a.new_master_port = -1;

	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL || strncmp(argv[i], "--", 2) != 0)
			continue;
		if ((v = mha_arg(argv[i], "command")) != NULL)
			command = v;
		else if ((v = mha_arg(argv[i], "ssh_user")) != NULL)
			mha_arg_set(&ssh_user, v);
		else if ((v = mha_arg(argv[i], "orig_master_ssh_user")) != NULL)
			mha_arg_set(&orig_ssh_user, v);
		else if ((v = mha_arg(argv[i], "new_master_ssh_user")) != NULL)
			mha_arg_set(&new_ssh_user, v);
		else if ((v = mha_arg(argv[i], "orig_master_host")) != NULL) {
			if (mha_arg_host("orig_master_host", v, cause) != 0)
				goto out;
			mha_arg_set(&a.orig_master_host, v);
		} else if ((v = mha_arg(argv[i], "orig_master_ip")) != NULL) {
			if (mha_arg_ip("orig_master_ip", v, cause) != 0)
				goto out;
			mha_arg_set(&a.orig_master_ip, v);
		} else if ((v = mha_arg(argv[i], "orig_master_port")) != NULL) {
			if (mha_arg_port("orig_master_port", v, &a.orig_master_port, cause) != 0)
				goto out;
		} else if ((v = mha_arg(argv[i], "new_master_host")) != NULL) {
			if (mha_arg_host("new_master_host", v, cause) != 0)
				goto out;
			mha_arg_set(&a.new_master_host, v);
		} else if ((v = mha_arg(argv[i], "new_master_ip")) != NULL) {
			if (mha_arg_ip("new_master_ip", v, cause) != 0)
				goto out;
			mha_arg_set(&a.new_master_ip, v);
		} else if ((v = mha_arg(argv[i], "new_master_port")) != NULL) {
			if (mha_arg_port("new_master_port", v, &a.new_master_port, cause) != 0)
				goto out;
		}
	}

	if (command == NULL) {
		*cause = xstrdup("MHA gave no --command=");
		goto out;
	}
	if (strcmp(command, "status") == 0)
		a.command = MHA_HOOK_STATUS;
	else if (strcmp(command, "stop") == 0)
		a.command = MHA_HOOK_STOP;
	else if (strcmp(command, "stopssh") == 0)
		a.command = MHA_HOOK_STOPSSH;
	else if (strcmp(command, "start") == 0)
		a.command = MHA_HOOK_START;
	else {
		*cause = xasprintf("unknown --command=%s (status, stop, stopssh, start)", command);
		goto out;
	}
	if (a.orig_master_host == NULL || a.orig_master_ip == NULL || a.orig_master_port < 0) {
		*cause = xasprintf("--command=%s without --orig_master_host, --orig_master_ip and "
		                   "--orig_master_port",
		    command);
		goto out;
	}
	if (a.command == MHA_HOOK_START &&
	    (a.new_master_host == NULL || a.new_master_ip == NULL || a.new_master_port < 0)) {
		*cause = xstrdup("--command=start without --new_master_host, --new_master_ip and "
		                 "--new_master_port");
		goto out;
	}

	/* Failover hooks get --ssh_user; online-change hooks get one per master. */
	if (ssh_user == NULL && a.command == MHA_HOOK_START && new_ssh_user != NULL)
		ssh_user = xstrdup(new_ssh_user);
	else if (ssh_user == NULL && (orig_ssh_user != NULL || new_ssh_user != NULL))
		ssh_user = xstrdup(orig_ssh_user != NULL ? orig_ssh_user : new_ssh_user);
	if (ssh_user != NULL &&
	    (ssh_user[0] == '\0' || ssh_user[0] == '-' || !mha_only(ssh_user, "_.-"))) {
		*cause = xasprintf("--ssh_user: '%s' is not a user name", ssh_user);
		goto out;
	}
	a.ssh_user = ssh_user;
	ssh_user = NULL;

	*out = a;
	memset(&a, 0, sizeof(a));
	rc = 0;
out:
	free(ssh_user);
	free(orig_ssh_user);
	free(new_ssh_user);
	mha_hook_args_free(&a);
	return rc;
}

void
mha_hook_args_free(struct mha_hook_args *a)
{
	free(a->ssh_user);
	free(a->orig_master_host);
	free(a->orig_master_ip);
	free(a->new_master_host);
	free(a->new_master_ip);
	memset(a, 0, sizeof(*a));
}

/*
 * MHA runs report_script as "... --subject=\"$subject\" --body=\"$body\""
 * through sh, so subject and body are free text (body has newlines). The
 * hosts are the names of our own config and are checked.
 */
int
mha_report_parse(int argc, char **argv, struct mha_report_args *out, char **cause)
{
	struct mha_report_args a = {0};
	const char *v;
	char *list = NULL, *item, *save = NULL;
	int i, rc = -1;

	mha_args_wipe_passwords(argc, argv);
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL || strncmp(argv[i], "--", 2) != 0)
			continue;
		if ((v = mha_arg(argv[i], "orig_master_host")) != NULL) {
			if (mha_arg_host("orig_master_host", v, cause) != 0)
				goto out;
			mha_arg_set(&a.orig_master_host, v);
		} else if ((v = mha_arg(argv[i], "new_master_host")) != NULL) {
			if (v[0] == '\0')
				continue;
			if (mha_arg_host("new_master_host", v, cause) != 0)
				goto out;
			mha_arg_set(&a.new_master_host, v);
		} else if ((v = mha_arg(argv[i], "new_slave_hosts")) != NULL)
			mha_arg_set(&a.new_slave_hosts, v);
		else if ((v = mha_arg(argv[i], "subject")) != NULL)
			mha_arg_set(&a.subject, v);
		else if ((v = mha_arg(argv[i], "body")) != NULL)
			mha_arg_set(&a.body, v);
	}
	if (a.orig_master_host == NULL) {
		*cause = xstrdup("MHA gave no --orig_master_host=");
		goto out;
	}
	if (a.new_slave_hosts != NULL) {
		list = xstrdup(a.new_slave_hosts);
		for (item = strtok_r(list, ",", &save); item != NULL;
		     item = strtok_r(NULL, ",", &save)) {
			if (mha_arg_host("new_slave_hosts", item, cause) != 0)
				goto out;
		}
	}
	*out = a;
	memset(&a, 0, sizeof(a));
	rc = 0;
out:
	free(list);
	mha_report_args_free(&a);
	return rc;
}

void
mha_report_args_free(struct mha_report_args *a)
{
	free(a->orig_master_host);
	free(a->new_master_host);
	free(a->new_slave_hosts);
	free(a->subject);
	free(a->body);
	memset(a, 0, sizeof(*a));
}

int
mha_secondary_parse(int argc, char **argv, struct mha_secondary_args *out, char **cause)
{
	struct mha_secondary_args a = {0};
	const char *mhost, *mip, *mport, *list;
	char *copy, *tok, *save = NULL, *colon, *end;
	long port;

	mha_args_wipe_passwords(argc, argv);
	mhost = mha_hook_arg(argc, argv, "--master_host");
	mip = mha_hook_arg(argc, argv, "--master_ip");
	mport = mha_hook_arg(argc, argv, "--master_port");
	list = mha_hook_arg(argc, argv, "--nodes");
	errno = 0;
	port = mport != NULL ? strtol(mport, &end, 10) : 0;
	if (mhost == NULL || *mhost == '\0' || mport == NULL || errno != 0 || *end != '\0' ||
	    port <= 0 || port > 65535 || list == NULL) {
		*cause = xstrdup("--nodes, --master_host and --master_port are needed");
		return -1;
	}
	a.master_host = xstrdup(mhost);
	a.master_ip = mip != NULL && *mip != '\0' ? xstrdup(mip) : NULL;
	a.master_port = (int)port;
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		long p;

		errno = 0;
		if ((colon = strrchr(tok, ':')) == NULL || colon == tok ||
		    (p = strtol(colon + 1, &end, 10),
		        errno != 0 || *end != '\0' || p <= 0 || p > 65535)) {
			*cause = xasprintf("--nodes: '%s' is not HOST:PORT", tok);
			free(copy);
			mha_secondary_args_free(&a);
			return -1;
		}
		*colon = '\0';
		if (p == port && (strcasecmp(tok, mhost) == 0 ||
		                     (a.master_ip != NULL && strcasecmp(tok, a.master_ip) == 0)))
			continue; /* the master itself */
		a.replicas = xreallocarray(a.replicas, a.n_replicas + 1, sizeof(*a.replicas));
		a.replicas[a.n_replicas].host = xstrdup(tok);
		a.replicas[a.n_replicas++].port = (int)p;
	}
	free(copy);
	*out = a;
	return 0;
}

void
mha_secondary_args_free(struct mha_secondary_args *a)
{
	size_t i;

	for (i = 0; i < a->n_replicas; i++)
		free(a->replicas[i].host);
	free(a->replicas);
	free(a->master_host);
	free(a->master_ip);
	memset(a, 0, sizeof(*a));
}

/* MHA's status words (MHA::ManagerConst), index by code. */
static const struct {
	enum mha_health health;
	const char *name;
} mha_health_names[] = {
    {MHA_HEALTH_PING_OK, "PING_OK"},
    {MHA_HEALTH_NOT_RUNNING, "NOT_RUNNING"},
    {MHA_HEALTH_INITIALIZING, "INITIALIZING_MONITOR"},
    {MHA_HEALTH_PING_FAILING, "PING_FAILING"},
    {MHA_HEALTH_PING_FAILED, "PING_FAILED"},
    {MHA_HEALTH_RETRYING_MONITOR, "RETRYING_MONITOR"},
    {MHA_HEALTH_CONFIG_ERROR, "CONFIG_ERROR"},
    {MHA_HEALTH_FAILOVER_RUNNING, "FAILOVER_RUNNING"},
    {MHA_HEALTH_FAILOVER_ERROR, "FAILOVER_ERROR"},
};

const char *
mha_health_name(enum mha_health h)
{
	size_t i;

	for (i = 0; i < sizeof(mha_health_names) / sizeof(mha_health_names[0]); i++) {
		if (mha_health_names[i].health == h)
			return mha_health_names[i].name;
	}
	return "UNKNOWN";
}

/* "N:NAME" → the health it names; UNKNOWN when code and name disagree or are new to us. */
static enum mha_health
mha_health_parse(const char *s)
{
	char *end;
	long code;
	size_t i;

	errno = 0;
	code = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != ':')
		return MHA_HEALTH_UNKNOWN;
	for (i = 0; i < sizeof(mha_health_names) / sizeof(mha_health_names[0]); i++) {
		if ((long)mha_health_names[i].health == code &&
		    strcmp(end + 1, mha_health_names[i].name) == 0)
			return mha_health_names[i].health;
	}
	return MHA_HEALTH_UNKNOWN;
}

/* Whether pid is a live process (a zombie is not: PID 1 here reaps late). */
static int
mha_pid_alive(pid_t pid)
{
	char path[64], buf[256], *paren;
	ssize_t n;
	int fd;

	if (pid <= 1)
		return 0;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "PID (comm) S ...": comm may hold anything, the state follows the last ')'. */
	if ((paren = strrchr(buf, ')')) == NULL || paren[1] != ' ')
		return 1;
	return paren[2] != 'Z' && paren[2] != 'X';
}

/*
 * MHA (MHA::FileStatus) writes "PID\tN:NAME" plus "\tmaster:HOST" once it
 * knows the master, no newline, truncating and rewriting the file in place
 * under an exclusive flock; a shared lock keeps us from reading it half
 * written. Like masterha_check_status, a file whose process is gone means
 * NOT_RUNNING (MHA leaves it behind when it is killed with SIGKILL).
 */
int
mha_health_read(const struct mha_paths *p, pid_t *pid, enum mha_health *health, char **master)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	char buf[1024], *tab, *end, *m = NULL;
	enum mha_health h;
	ssize_t n;
	long v;
	int fd, tries;

	if ((fd = open(p->health, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (tries = 0; flock(fd, LOCK_SH | LOCK_NB) != 0; tries++) {
		if (tries == 40 || (errno != EWOULDBLOCK && errno != EINTR)) {
			close(fd);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';

	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\t' || v <= 0)
		return -1;
	tab = strchr(end + 1, '\t');
	if (tab != NULL) {
		*tab = '\0';
		if (strncmp(tab + 1, "master:", 7) == 0 && tab[8] != '\0')
			m = tab + 8;
	}
	h = mha_health_parse(end + 1);
	if (!mha_pid_alive((pid_t)v))
		h = MHA_HEALTH_NOT_RUNNING;
	if (pid != NULL)
		*pid = (pid_t)v;
	if (health != NULL)
		*health = h;
	if (master != NULL)
		*master = m != NULL ? xstrdup(m) : NULL;
	return 0;
}

/* Whether line (len bytes) holds needle. */
static int
mha_line_has(const char *line, size_t len, const char *needle)
{
	size_t nlen = strlen(needle), i;

	for (i = 0; i + nlen <= len; i++) {
		if (strncasecmp(line + i, needle, nlen) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether a line is one of MHA's log lines, "<date> - [level]...": then
 * *msg is what follows "[level]" or "[error][FILE, lnN]", blanks skipped.
 */
static int
mha_line_logged(const char *line, size_t len, int *is_error, const char **msg)
{
	const char *p, *close, *end = line + len;

	/* The date is ctime-like ("Fri Nov 27 11:32:03 2026"): 24 characters. */
	if (len < 28 || strncmp(line + 24, " - [", 4) != 0)
		return 0;
	p = line + 27;
	if ((close = memchr(p, ']', (size_t)(end - p))) == NULL)
		return 0;
	*is_error = close - p == 6 && strncmp(p, "[error", 6) == 0;
	p = close + 1;
	/* Errors name the source: "[error][/usr/share/perl5/MHA/X.pm, ln427]". */
	if (*is_error && p < end && *p == '[' &&
	    (close = memchr(p, ']', (size_t)(end - p))) != NULL)
		p = close + 1;
	while (p < end && *p == ' ')
		p++;
	*msg = p;
	return 1;
}

/* Whether an untagged line (from ssh or a node tool) reads like a failure. */
static int
mha_line_failure(const char *line, size_t len)
{
	static const char *const words[] = {"fail", "error", "denied", "not found", "unknown",
	    "refused", "timed out", "no route", "could not", "cannot", "can't", "not allowed"};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (mha_line_has(line, len, words[i]))
			return 1;
	}
	return 0;
}

/* A copy of len bytes as one trimmed line, at most MHA_SUMMARY_MAX characters. */
static char *
mha_line_copy(const char *line, size_t len)
{
	char *s;
	size_t i;

	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	if (len > MHA_SUMMARY_MAX)
		len = MHA_SUMMARY_MAX;
	s = xstrndup(line, len);
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20)
			s[i] = ' ';
	}
	return s;
}

/*
 * The line that says why a check failed. MHA's first non-empty [error]
 * line is the most specific of its own ("Binlog setting check failed!",
 * then "Master configuration failed." ...), but the cause is often the
 * output of ssh or of a node tool run over ssh, which MHA copies in
 * untagged just before it ("Binlog not found from ...", "Unknown system
 * variable 'super_read_only'", "Permission denied (publickey)"): the first
 * such line since MHA's previous log line is added in parentheses.
 */
static char *
mha_check_summary(const char *output)
{
	const char *line, *next, *msg, *detail = NULL;
	size_t len, detail_len = 0;
	char *head, *tail, *s;
	int is_error;

	for (line = output; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		len = next != NULL ? (size_t)(next - line) : strlen(line);
		next = next != NULL ? next + 1 : line + len;
		if (len == 0)
			continue;
		if (!mha_line_logged(line, len, &is_error, &msg)) {
			if (detail == NULL && mha_line_failure(line, len)) {
				detail = line;
				detail_len = len;
			}
			continue;
		}
		if (!is_error || msg == line + len) {
			detail = NULL;
			continue;
		}
		head = mha_line_copy(msg, (size_t)(line + len - msg));
		if (detail == NULL)
			return head;
		tail = mha_line_copy(detail, detail_len);
		s = xasprintf("%s (%s)", head, tail);
		free(head);
		free(tail);
		return s;
	}
	/* No [error] line (perl died early, say): the first line that reads like a failure. */
	for (line = output; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		len = next != NULL ? (size_t)(next - line) : strlen(line);
		next = next != NULL ? next + 1 : line + len;
		if (len > 0 && mha_line_failure(line, len))
			return mha_line_copy(line, len);
	}
	return NULL;
}

/* The last non-blank line of output, trimmed, or NULL. */
static char *
mha_last_line(const char *output)
{
	const char *end = output + strlen(output), *start;

	while (end > output && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
		end--;
	if (end == output)
		return NULL;
	for (start = end; start > output && start[-1] != '\n'; start--)
		;
	return mha_line_copy(start, (size_t)(end - start));
}

/* The line of output holding needle, trimmed, or NULL. */
static char *
mha_find_line(const char *output, const char *needle)
{
	const char *hit = strstr(output, needle), *start, *end;

	if (hit == NULL)
		return NULL;
	for (start = hit; start > output && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	return mha_line_copy(start, end != NULL ? (size_t)(end - start) : strlen(start));
}

int
mha_check_judge(const char *tool, const char *output, int wstatus, char **line)
{
	int is_ssh = strstr(tool, "check_ssh") != NULL;
	char *s;

	/* ssh went on although the host key was wrong or unpinned: never a pass. */
	if (strstr(output, MHA_SSH_CHANGED) != NULL) {
		s = mha_find_line(output, "Offending ");
		*line = xasprintf("a host key differs from the one pinned in ssh_known_hosts "
		                  "(possible man-in-the-middle; MHA's ssh connected anyway)%s%s",
		    s != NULL ? ": " : "", s != NULL ? s : "");
		free(s);
		return -1;
	}
	if ((s = mha_find_line(output, MHA_SSH_ADDED)) != NULL) {
		*line = xasprintf("a host key was not pinned in ssh_known_hosts and MHA's ssh "
		                  "accepted it on first use: %s",
		    s);
		free(s);
		return -1;
	}
	/* masterha_check_ssh exits 255 even when it passed: only its words count. */
	if (is_ssh && strstr(output, MHA_SSH_OK) != NULL)
		return 0;
	if (!is_ssh && strstr(output, MHA_REPL_OK) != NULL && WIFEXITED(wstatus) &&
	    WEXITSTATUS(wstatus) == 0)
		return 0;
	if ((*line = mha_check_summary(output)) != NULL)
		return -1;
	s = mha_last_line(output);
	if (WIFSIGNALED(wstatus))
		*line = xasprintf("killed by signal %d (%s%s)", WTERMSIG(wstatus),
		    s != NULL ? "last line: " : "no output", s != NULL ? s : "");
	else
		*line = xasprintf("exit status %d (%s%s)", WEXITSTATUS(wstatus),
		    s != NULL ? "last line: " : "no output", s != NULL ? s : "");
	free(s);
	return -1;
}

/* Appends a timestamped header, the output and the outcome to the check log. */
static void
mha_check_log(int fd, const char *const *argv, const char *output, const char *outcome)
{
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	int i;

	if (fd == -1)
		return;
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	dprintf(fd, "==== %s:", when);
	for (i = 0; argv[i] != NULL; i++)
		dprintf(fd, " %s", argv[i]);
	dprintf(fd, "\n%s%s==== %s\n\n", output != NULL ? output : "",
	    output != NULL && output[0] != '\0' && output[strlen(output) - 1] != '\n' ? "\n" : "",
	    outcome);
}

/* Runs one check; 0, or -1 with *cause "TOOL: LINE". */
static int
mha_check_one(const char *tool, const char *conf_arg, int timeout, int log_fd, char **cause)
{
	const char *argv[] = {tool, MHA_GLOBAL_CONF, conf_arg, NULL};
	char *output = NULL, *line = NULL, *why = NULL, *outcome;
	int status = 0, rc = -1;

	if (spawn_run(argv, NULL, timeout, &output, &status, &why) != 0) {
		mha_check_log(log_fd, argv, NULL, why);
		*cause = xasprintf("%s: %s", tool, why);
		goto out;
	}
	rc = mha_check_judge(tool, output, status, &line);
	if (WIFEXITED(status))
		outcome = xasprintf(
		    "exit status %d: %s", WEXITSTATUS(status), rc == 0 ? "passed" : "FAILED");
	else
		outcome = xasprintf("killed by signal %d: FAILED", WTERMSIG(status));
	mha_check_log(log_fd, argv, output, outcome);
	free(outcome);
	if (rc != 0)
		*cause = xasprintf("%s: %s", tool, line);
out:
	free(output);
	free(line);
	free(why);
	return rc;
}

int
mha_checks_run(const struct mha_paths *p, char **cause)
{
	char *dir, *conf_arg, *why = NULL;
	int fd = -1, rc = -1;

	conf_arg = xasprintf("--conf=%s", p->conf);
	dir = fs_dirname(p->check_log);
	/* The manager log lives there too, and MHA does not create directories for it. */
	if (fs_mkdirs(dir, 0700, cause) != 0)
		goto out;
	fd = open(p->check_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot open %s: %s", p->check_log, strerror(errno));
		goto out;
	}
	if (mha_check_one("masterha_check_ssh", conf_arg, MHA_CHECK_SSH_TIMEOUT, fd, &why) != 0) {
		*cause = xasprintf("%s (full output in %s)", why, p->check_log);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(why);
	free(dir);
	free(conf_arg);
	return rc;
}

/*
 * One allocation holds the array and the "--conf=PATH" string after it, so
 * that freeing the array frees everything, as the contract says.
 */
const char **
mha_manager_argv(const struct mha_paths *p, int last_failover_minute, int ssh_checked)
{
	static const char conf_opt[] = "--conf=";
	enum { MHA_ARGV_MAX = 6, MHA_MINUTE_MAX = 48 };
	const char **argv;
	char *conf, *minute;
	size_t len = strlen(p->conf);
	int n = 0;

	argv = xmalloc(MHA_ARGV_MAX * sizeof(*argv) + sizeof(conf_opt) + len + MHA_MINUTE_MAX);
	conf = (char *)(argv + MHA_ARGV_MAX);
	memcpy(conf, conf_opt, sizeof(conf_opt) - 1);
	memcpy(conf + sizeof(conf_opt) - 1, p->conf, len + 1);
	minute = conf + sizeof(conf_opt) + len;
	snprintf(minute, MHA_MINUTE_MAX, "--last_failover_minute=%d",
	    last_failover_minute < 0 ? 0 : last_failover_minute);

	argv[n++] = "masterha_manager";
	argv[n++] = MHA_GLOBAL_CONF;
	argv[n++] = conf;
	/*
	 * The flapping guard is MHA's own: it refuses a failover within this
	 * many minutes of the last completed one (its failover.complete file).
	 * We never pass --ignore_last_failover, which would also delete
	 * failover.error, the marker of a failed failover that a DBA must see.
	 */
	argv[n++] = minute;
	/*
	 * MHA's start repeats the SSH test masterha_check_ssh just passed
	 * (MHA::SSHCheck, every host to every other): ~3 s on a 4-host lab.
	 */
	if (ssh_checked)
		argv[n++] = "--skip_check_ssh";
	argv[n] = NULL;
	return argv;
}

int
mha_log_mark(const struct mha_paths *p, char **cause)
{
	struct stat sb;
	char buf[32];
	int n;

	n = snprintf(
	    buf, sizeof(buf), "%lld\n", stat(p->log, &sb) == 0 ? (long long)sb.st_size : 0LL);
	return fs_write_atomic(p->log_start, buf, (size_t)n, cause);
}

/* MHA logs little before it monitors: its start-up checks fit in this much. */
#define MHA_START_LOG_MAX (256 * 1024)

char *
mha_start_failure(const struct mha_paths *p)
{
	char mark[32], *text = NULL, *line = NULL;
	long long from = 0;
	struct stat sb;
	ssize_t n;
	size_t len;
	int fd;

	fd = open(p->log_start, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, mark, sizeof(mark) - 1);
		close(fd);
		mark[n > 0 ? n : 0] = '\0';
		from = strtoll(mark, NULL, 10);
	}
	fd = open(p->log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* A log rotated since the mark starts with this run. */
	if (fstat(fd, &sb) == 0 && sb.st_size < from)
		from = 0;
	text = xmalloc(MHA_START_LOG_MAX + 1);
	n = pread(fd, text, MHA_START_LOG_MAX, from > 0 ? (off_t)from : 0);
	close(fd);
	len = n > 0 ? (size_t)n : 0;
	text[len] = '\0';
	/* A NUL would end the text early: MHA's log is text, so only a torn write holds one. */
	if (strlen(text) == len && (line = mha_check_summary(text)) == NULL)
		line = mha_last_line(text);
	free(text);
	return line;
}
