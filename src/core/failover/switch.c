/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planned switchover (switch.h): MariaDB GTID statements over
 * libmariadb, the VIP through the failover core, the roles through the
 * registry. The steps follow MaxScale's switchover (research/native-engine.md)
 * without its FLUSH TABLES WITH READ LOCK: read_only plus killing the
 * clients already stops every write a client can make.
 */
#include "switch.h"

#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "event.h"
#include "failover.h"
#include "guard.h"
#include "log.h"
#include "probe.h"
#include "registry.h"
#include "selffence-install.h"
#include "ssh.h"
#include "status.h"
#include "vip.h"
#include "xmalloc.h"

/* Seconds the replicas get to reach the new master's position before the switch says they lag. */
#define SWITCH_FOLLOW_TIMEOUT 10

int
switch_pick(const struct status_cluster *sc, const char *to_host, int to_port, size_t *old_i,
    size_t *new_i, char **cause)
{
	const struct registry_cluster *c = sc->c;
	size_t i, masters = 0, found = (size_t)-1;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER) {
			*old_i = i;
			masters++;
		}
	}
	if (masters != 1) {
		*cause = xasprintf("cluster '%s' has %s master in the registry", c->name,
		    masters == 0 ? "no" : "more than one");
		return -1;
	}
	if (c->state != REGISTRY_STATE_MONITORING || c->desired != REGISTRY_DESIRED_MONITORED) {
		*cause = xasprintf("cluster '%s' is not monitored (state %s): a switch needs a "
		                   "protected cluster; 'mhaadm start %s' first",
		    c->name, registry_state_name(c->state), c->name);
		return -1;
	}
	if (to_host != NULL) {
		for (i = 0; i < c->n_nodes; i++) {
			if (strcmp(c->nodes[i].host, to_host) == 0 &&
			    (to_port == 0 || c->nodes[i].port == to_port)) {
				found = i;
				break;
			}
		}
		if (found == (size_t)-1) {
			*cause = xasprintf("%s%s%.0d is not a node of cluster '%s'", to_host,
			    to_port != 0 ? ":" : "", to_port, c->name);
			return -1;
		}
		if (found == *old_i) {
			*cause = xasprintf("%s:%d is the master of cluster '%s' already", to_host,
			    c->nodes[found].port, c->name);
			return -1;
		}
		if (c->nodes[found].role != REGISTRY_ROLE_REPLICA) {
			*cause = xasprintf("%s:%d is not a replica (role %s)", to_host,
			    c->nodes[found].port, registry_role_name(c->nodes[found].role));
			return -1;
		}
		if (!sc->nodes[found].promotable) {
			*cause = xasprintf("%s:%d may not be promoted: %s", to_host,
			    c->nodes[found].port,
			    sc->nodes[found].unfit != NULL ? sc->nodes[found].unfit
			                                   : "not a candidate");
			return -1;
		}
	} else {
		/* A candidate_master first, as MHA would choose; else the first fit replica. */
		for (i = 0; i < c->n_nodes; i++) {
			if (!sc->nodes[i].promotable)
				continue;
			if (found == (size_t)-1 ||
			    (c->nodes[i].candidate_master && !c->nodes[found].candidate_master))
				found = i;
		}
		if (found == (size_t)-1) {
			*cause =
			    xasprintf("no replica of cluster '%s' may be promoted now", c->name);
			for (i = 0; i < c->n_nodes; i++) {
				char *more;

				if (sc->nodes[i].unfit == NULL)
					continue;
				more = xasprintf("%s; %s:%d: %s", *cause, c->nodes[i].host,
				    c->nodes[i].port, sc->nodes[i].unfit);
				free(*cause);
				*cause = more;
			}
			return -1;
		}
	}
	if (sc->verdict != STATUS_OK) {
		*cause = xasprintf("cluster '%s' is %s: %s", c->name,
		    status_verdict_name(sc->verdict), sc->reason != NULL ? sc->reason : "?");
		return -1;
	}
	*new_i = found;
	return 0;
}

/* One switch in progress: its connections and how far it got (what a roll-back undoes). */
struct switch_run {
	struct switch_plan *p;
	const struct registry_node *old, *nm;
	struct failover_target t;
	struct failover_node fo_old, fo_new;
	struct probe_credentials cred, wait_cred, follow_cred;
	MYSQL *old_m, *new_m;
	int read_only;           /* the old master was made read-only */
	int vip_off;             /* the VIP was taken off the old master */
	int vip_on;              /* the VIP was bound on the new master */
	int promoted;            /* statements that make the target a master were sent */
	struct timespec blocked; /* when the old master went read-only */
};

static void switch_say(struct switch_run *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
switch_say(struct switch_run *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("cluster=%s switch: %s", s->p->c->name, line);
	if (s->p->progress != NULL)
		s->p->progress(s->p->progress_arg, line);
}

static long
switch_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)((now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Runs one fixed statement; -1 with *cause naming the server. */
static int
switch_exec(MYSQL *m, const struct registry_node *n, const char *sql, char **cause)
{
	if (mysql_query(m, sql) == 0) {
		MYSQL_RES *res = mysql_store_result(m);

		if (res != NULL)
			mysql_free_result(res);
		return 0;
	}
	*cause = xasprintf("%s on %s:%d: %s", sql, n->host, n->port, mysql_error(m));
	return -1;
}

/* The first column of the first row of a query, newly allocated ("" for NULL); -1 with *cause. */
static int
switch_scalar(MYSQL *m, const struct registry_node *n, const char *sql, char **out, char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL) {
		*cause = xasprintf("%s on %s:%d: %s", sql, n->host, n->port, mysql_error(m));
		return -1;
	}
	row = mysql_fetch_row(res);
	*out = xstrdup(row != NULL && row[0] != NULL ? row[0] : "");
	mysql_free_result(res);
	return 0;
}

/*
 * Points the server behind m at host:port with GTID (mode: current_pos for
 * a former master, whose own transactions count; slave_pos for a replica)
 * and starts it. The replication password is escaped into the statement
 * and wiped after. 0, or -1 with *cause.
 */
static int
switch_follow(MYSQL *m, const struct config *cfg, const struct registry_node *n,
    const struct registry_node *src, const char *mode, char **cause)
{
	const char *ru = cfg->repl_user != NULL ? cfg->repl_user : "";
	const char *rp = cfg->repl_password != NULL ? cfg->repl_password : "";
	char user[256], pass[512], host[600], sql[2048];
	int rc = -1;

	if (strlen(ru) * 2 + 1 > sizeof(user) || strlen(rp) * 2 + 1 > sizeof(pass) ||
	    strlen(src->host) * 2 + 1 > sizeof(host)) {
		*cause = xstrdup("replication credentials or host name too long");
		return -1;
	}
	mysql_real_escape_string(m, user, ru, (unsigned long)strlen(ru));
	mysql_real_escape_string(m, pass, rp, (unsigned long)strlen(rp));
	mysql_real_escape_string(m, host, src->host, (unsigned long)strlen(src->host));
	snprintf(sql, sizeof(sql),
	    "CHANGE MASTER TO MASTER_HOST = '%s', MASTER_PORT = %d, MASTER_USER = '%s', "
	    "MASTER_PASSWORD = '%s', MASTER_USE_GTID = %s, MASTER_CONNECT_RETRY = 1, "
	    "MASTER_HEARTBEAT_PERIOD = 0.5",
	    host, src->port, user, pass, mode);
	/* A server that does not replicate only warns; a real failure shows in CHANGE MASTER. */
	if (mysql_query(m, "STOP SLAVE") != 0)
		log_warn("STOP SLAVE on %s:%d: %s", n->host, n->port, mysql_error(m));
	/*
	 * A former master's own transactions are in its binlog, not in
	 * gtid_slave_pos, which MASTER_GTID_WAIT reads: without this it would
	 * wait for ever on a position it logged itself. current_pos then means
	 * the same thing.
	 */
	if (strcmp(mode, "current_pos") == 0 &&
	    switch_exec(m, n, "SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos", cause) != 0)
		goto out;
	if (mysql_query(m, sql) != 0) {
		/* Never the statement itself: it holds the password. */
		*cause = xasprintf("CHANGE MASTER TO %s:%d on %s:%d: %s", src->host, src->port,
		    n->host, n->port, mysql_error(m));
		goto out;
	}
	if (switch_exec(m, n, "START SLAVE", cause) != 0)
		goto out;
	rc = 0;
out:
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(sql, sizeof(sql));
	return rc;
}

/* Appends "; what" to *acc (newly allocated), taking what. */
static void
switch_note(char **acc, char *what)
{
	char *more;

	if (*acc == NULL) {
		*acc = what;
		return;
	}
	more = xasprintf("%s; %s", *acc, what);
	free(*acc);
	free(what);
	*acc = more;
}

/*
 * Undoes what s did, newest first, so that the old master is the writable
 * master with the VIP again. Returns 0 when the old master is back (problems
 * on the target only are noted in *notes), -1 when it is not.
 */
static int
switch_roll_back(struct switch_run *s, char **notes)
{
	const struct config *cfg = s->p->cfg;
	struct ssh_target st;
	char *cause = NULL;
	int rc = 0;

	if (s->promoted) {
		/* The target goes back to being a read-only replica of the old master. */
		if (s->new_m == NULL ||
		    switch_exec(s->new_m, s->nm, "SET GLOBAL read_only = 1", &cause) != 0 ||
		    switch_follow(s->new_m, cfg, s->nm, s->old, "slave_pos", &cause) != 0) {
			switch_note(notes, xasprintf("target not repaired: %s",
			                       cause != NULL ? cause : "no connection"));
			free(cause);
			cause = NULL;
		} else {
			switch_say(s, "roll-back: %s:%d read-only and replicating from %s:%d again",
			    s->nm->host, s->nm->port, s->old->host, s->old->port);
		}
	}
	if (s->vip_on) {
		ssh_target_from_config(&st, cfg, s->nm->host, cfg->ssh_timeout);
		if (vip_del(&st, s->t.vip, s->t.vip_prefix, s->t.iface, &cause) < 0) {
			/* Two holders would be worse than none: the old master stays without it. */
			switch_note(notes, xasprintf("VIP %s could not be taken off %s: %s",
			                       s->t.vip, s->nm->host, cause));
			free(cause);
			return -1;
		}
		event_emit(s->p->reg, s->t.cluster, NULL, "vip.removed",
		    "VIP %s removed from %s (switch rolled back)", s->t.vip, s->nm->host);
		switch_say(s, "roll-back: VIP %s off %s", s->t.vip, s->nm->host);
	}
	if (s->vip_off) {
		if (failover_vip_take(&s->t, &s->fo_new, &s->fo_old) != 0) {
			switch_note(notes,
			    xasprintf("VIP %s not bound on %s again", s->t.vip, s->old->host));
			rc = -1;
		} else {
			switch_say(s, "roll-back: VIP %s on %s again", s->t.vip, s->old->host);
		}
	}
	if (s->read_only) {
		if (s->old_m == NULL ||
		    switch_exec(s->old_m, s->old, "SET GLOBAL read_only = 0", &cause) != 0) {
			switch_note(notes, xasprintf("old master still read-only: %s",
			                       cause != NULL ? cause : "no connection"));
			free(cause);
			rc = -1;
		} else {
			switch_say(
			    s, "roll-back: %s:%d writable again", s->old->host, s->old->port);
		}
	}
	return rc;
}

/* The registry's new roles: old master a replica, the target the master. 0 or -1 with *cause. */
static int
switch_record(struct switch_run *s, const char *replicas, char **cause)
{
	struct registry_cluster *now = NULL;
	struct registry_event ev = {0};
	char *msg = NULL, wb[32];
	size_t i;
	int r;

	r = registry_cluster_get(s->p->reg, s->t.cluster, &now, cause);
	if (r != 0) {
		if (r == 1)
			*cause = xasprintf("cluster '%s' is gone from the registry", s->t.cluster);
		return -1;
	}
	for (i = 0; i < now->n_nodes; i++) {
		struct registry_node *n = &now->nodes[i];

		if (strcmp(n->host, s->nm->host) == 0 && n->port == s->nm->port) {
			n->role = REGISTRY_ROLE_MASTER;
			n->read_only = 0;
			n->lag = -1;
		} else if (n->role == REGISTRY_ROLE_MASTER) {
			n->role = REGISTRY_ROLE_REPLICA;
			n->read_only = 1;
		}
	}
	snprintf(wb, sizeof(wb), "%ld", s->p->write_block_ms);
	msg = xasprintf("planned switch: master %s:%d -> %s:%d (writes blocked %ld ms), "
	                "replicas %s",
	    s->old->host, s->old->port, s->nm->host, s->nm->port, s->p->write_block_ms, replicas);
	ev.cluster = now->name;
	ev.type = (char *)"switch.completed";
	ev.message = msg;
	registry_event_field_set(&ev, "old_master", EVENT_ADDR(s->old->host, s->old->port));
	registry_event_field_set(&ev, "new_master", EVENT_ADDR(s->nm->host, s->nm->port));
	registry_event_field_set(&ev, "write_block_ms", wb);
	r = registry_cluster_update(s->p->reg, now, &ev, cause);
	if (r == 0)
		log_info("event cluster=%s switch.completed: %s", now->name, msg);
	registry_event_fields_free(&ev);
	free(msg);
	registry_cluster_free(now);
	return r == 0 ? 0 : -1;
}

/* Waits until the server behind m has applied pos (bounded); 0, or -1 with *cause. */
static int
switch_gtid_wait(
    MYSQL *m, const struct registry_node *n, const char *pos, int timeout, char **cause)
{
	char sql[1200], esc[1100], *v = NULL;
	int r;

	if (strlen(pos) * 2 + 1 > sizeof(esc)) {
		*cause = xstrdup("GTID position too long");
		return -1;
	}
	mysql_real_escape_string(m, esc, pos, (unsigned long)strlen(pos));
	snprintf(sql, sizeof(sql), "SELECT MASTER_GTID_WAIT('%s', %d)", esc, timeout);
	if (switch_scalar(m, n, sql, &v, cause) != 0)
		return -1;
	r = strcmp(v, "0") == 0 ? 0 : -1;
	if (r != 0)
		*cause = xasprintf(
		    "%s:%d did not reach GTID %s within %d s", n->host, n->port, pos, timeout);
	free(v);
	return r;
}

/* 1 when both replication threads of the server behind m run (Slave_*_Running = Yes), else 0. */
static int
switch_threads_running(MYSQL *m)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned int i, nf;
	int yes = 0;

	if (mysql_query(m, "SHOW SLAVE STATUS") != 0 || (res = mysql_store_result(m)) == NULL)
		return 0;
	row = mysql_fetch_row(res);
	f = mysql_fetch_fields(res);
	nf = mysql_num_fields(res);
	for (i = 0; row != NULL && i < nf; i++) {
		if ((strcmp(f[i].name, "Slave_IO_Running") == 0 ||
		        strcmp(f[i].name, "Slave_SQL_Running") == 0) &&
		    row[i] != NULL && strcmp(row[i], "Yes") == 0)
			yes++;
	}
	mysql_free_result(res);
	return yes == 2;
}

/*
 * Waits (at most timeout s, polling every 100 ms) until a re-pointed
 * server's IO thread has connected: until then start's check counts it as
 * stopped. 0, or -1 with *cause.
 */
static int
switch_wait_running(MYSQL *m, const struct registry_node *n, int timeout, char **cause)
{
	struct timespec t0, pause = {0, 100 * 1000 * 1000};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!switch_threads_running(m)) {
		if (switch_ms_since(&t0) >= timeout * 1000L) {
			*cause = xasprintf("%s:%d: replication threads not running after %d s",
			    n->host, n->port, timeout);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}

/*
 * After the new master opened writes: every other node (the old master
 * with current_pos, the replicas with slave_pos) follows it. Returns the
 * problems (newly allocated) or NULL; *done: the re-pointed nodes.
 */
static char *
switch_repoint(struct switch_run *s, const char *pos, char **done)
{
	const struct registry_cluster *c = s->p->c;
	char *problems = NULL, *cause = NULL, *list = NULL;
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		const struct registry_node *n = &c->nodes[i];
		MYSQL *m;

		if (i == s->p->new_i || (n->role != REGISTRY_ROLE_REPLICA && i != s->p->old_i))
			continue;
		m = i == s->p->old_i ? s->old_m
		                     : probe_open(n->host, n->port, &s->follow_cred, &cause);
		if (m == NULL) {
			switch_note(
			    &problems, xasprintf("%s:%d not re-pointed: %s", n->host, n->port,
			                   cause != NULL ? cause : "no connection"));
			free(cause);
			cause = NULL;
			continue;
		}
		if (switch_follow(m, s->p->cfg, n, s->nm,
		        i == s->p->old_i ? "current_pos" : "slave_pos", &cause) != 0) {
			switch_note(&problems, cause);
			cause = NULL;
		} else {
			switch_say(s, "%s:%d replicates from %s:%d (GTID)", n->host, n->port,
			    s->nm->host, s->nm->port);
			switch_note(&list, xasprintf("%s:%d", n->host, n->port));
			if (switch_wait_running(m, n, SWITCH_FOLLOW_TIMEOUT, &cause) != 0 ||
			    (pos != NULL &&
			        switch_gtid_wait(m, n, pos, SWITCH_FOLLOW_TIMEOUT, &cause) != 0)) {
				switch_note(&problems, cause);
				cause = NULL;
			}
		}
		if (m != s->old_m)
			mysql_close(m);
	}
	*done = list != NULL ? list : xstrdup("none");
	return problems;
}

static void
switch_failed(struct switch_run *s, const char *why, int rolled_back)
{
	event_emit_fields(s->p->reg, s->t.cluster, NULL, "switch.failed",
	    EVENT_FIELDS("old_master", EVENT_ADDR(s->old->host, s->old->port), "new_master",
	        EVENT_ADDR(s->nm->host, s->nm->port), "rolled_back", rolled_back ? "yes" : "no"),
	    "planned switch %s:%d -> %s:%d failed: %s; %s", s->old->host, s->old->port, s->nm->host,
	    s->nm->port, why,
	    rolled_back ? "rolled back: the old master is writable with the VIP"
	                : "ROLL-BACK FAILED: repair by hand");
}

enum switch_result
switch_run(struct switch_plan *p, char **cause)
{
	const struct config *cfg = p->cfg;
	struct switch_run s = {0};
	char *err = NULL, *pos = NULL, *notes = NULL, *replicas = NULL, *problems = NULL;
	enum switch_result res = SWITCH_STUCK;
	long killed = 0;

	s.p = p;
	p->write_block_ms = -1;
	s.old = &p->c->nodes[p->old_i];
	s.nm = &p->c->nodes[p->new_i];
	s.t = (struct failover_target){
	    cfg, p->reg, p->c->name, p->c->vip, p->c->vip_prefix, p->c->iface};
	s.fo_old = (struct failover_node){s.old->host, NULL, s.old->port};
	s.fo_new = (struct failover_node){s.nm->host, NULL, s.nm->port};
	s.cred = (struct probe_credentials){
	    cfg->ha_user, cfg->ha_password, cfg->connect_timeout, cfg->read_timeout};
	/* MASTER_GTID_WAIT holds the target's connection for up to the timeout. */
	s.wait_cred = s.cred;
	s.wait_cred.read_timeout = cfg->read_timeout + p->timeout;
	s.follow_cred = s.cred;
	s.follow_cred.read_timeout = cfg->read_timeout + SWITCH_FOLLOW_TIMEOUT;

	event_emit_fields(p->reg, p->c->name, NULL, "switch.started",
	    EVENT_FIELDS("old_master", EVENT_ADDR(s.old->host, s.old->port), "new_master",
	        EVENT_ADDR(s.nm->host, s.nm->port)),
	    "planned switch of master %s:%d to %s:%d started", s.old->host, s.old->port, s.nm->host,
	    s.nm->port);

	/* Connections first: the write block is not spent connecting. */
	if ((s.old_m = probe_open(s.old->host, s.old->port, &s.cred, &err)) == NULL ||
	    (s.new_m = probe_open(s.nm->host, s.nm->port, &s.wait_cred, &err)) == NULL)
		goto fail;

	/* 1. The old master stops taking writes; the sessions it has are ended. */
	switch_say(&s, "old master %s:%d: read_only = 1, killing its client sessions", s.old->host,
	    s.old->port);
	clock_gettime(CLOCK_MONOTONIC, &s.blocked);
	s.read_only = 1;
	if (switch_exec(s.old_m, s.old, "SET GLOBAL read_only = 1", &err) != 0)
		goto fail;
	/* Our own session is a client too: it goes with the others and is opened again. */
	mysql_close(s.old_m);
	s.old_m = NULL;
	if (probe_kill_clients(s.old->host, s.old->port, &s.cred, &killed, &err) != 0 ||
	    (s.old_m = probe_open(s.old->host, s.old->port, &s.cred, &err)) == NULL ||
	    switch_scalar(s.old_m, s.old, "SELECT @@gtid_binlog_pos", &pos, &err) != 0)
		goto fail;

	/* 2. The target applies everything the old master logged. */
	switch_say(&s, "%ld session%s killed; waiting (at most %d s) for %s:%d to reach GTID %s",
	    killed, killed == 1 ? "" : "s", p->timeout, s.nm->host, s.nm->port, pos);
	if (switch_gtid_wait(s.new_m, s.nm, pos, p->timeout, &err) != 0)
		goto fail;

	/* 3. The VIP: off the old master before it is on the new one (never two holders). */
	s.vip_off = 1;
	if (failover_vip_release(&s.t, &s.fo_old, 1, 1) != 0) {
		err = xasprintf("VIP %s could not be taken off %s", p->c->vip, s.old->host);
		goto fail;
	}
	s.vip_on = 1;
	if (failover_vip_take(&s.t, &s.fo_old, &s.fo_new) != 0) {
		err = xasprintf("VIP %s could not be bound on %s", p->c->vip, s.nm->host);
		goto fail;
	}
	switch_say(&s, "VIP %s moved to %s", p->c->vip, s.nm->host);

	/* 4. The target becomes the master and opens writes. */
	s.promoted = 1;
	if (switch_exec(s.new_m, s.nm, "STOP SLAVE", &err) != 0 ||
	    switch_exec(s.new_m, s.nm, "RESET SLAVE ALL", &err) != 0 ||
	    switch_exec(s.new_m, s.nm, "SET GLOBAL read_only = 0", &err) != 0)
		goto fail;
	p->write_block_ms = switch_ms_since(&s.blocked);
	switch_say(&s, "new master %s:%d writable (writes were blocked %ld ms)", s.nm->host,
	    s.nm->port, p->write_block_ms);

	/*
	 * Sessions opened on the old master while it still held the VIP would
	 * stay there, read-only, for as long as their clients keep them: ended
	 * now, they reconnect through the VIP to the new master.
	 */
	if (probe_kill_clients(s.old->host, s.old->port, &s.cred, &killed, &err) != 0) {
		switch_note(&problems, err);
		err = NULL;
	}
	if (s.old_m != NULL)
		mysql_close(s.old_m);
	s.old_m = probe_open(s.old->host, s.old->port, &s.follow_cred, &err);
	if (s.old_m == NULL) {
		switch_note(&problems, err);
		err = NULL;
	}
	/*
	 * As a replica with log_slave_updates, the old master would make its
	 * SQL thread wait for a semi-sync acknowledgement that nobody sends
	 * (seen in the lab: it stopped applying, 41 s behind). Its clients are
	 * gone and it is read-only, so no commit of a client of its own is
	 * acknowledged by this.
	 */
	if (guard_master_off(&s.cred, s.old->host, s.old->port, &err) != 0) {
		switch_note(&problems, err);
		err = NULL;
	}

	/*
	 * 5. The isolation guard on the new master before anyone follows it:
	 * re-pointing restarts their IO threads, which is when a replica starts
	 * acknowledging. Then everyone else follows it, and the registry takes
	 * the new roles.
	 */
	failover_guard_apply(&s.t, p->c, &s.fo_new);
	free(pos);
	pos = NULL;
	if (switch_scalar(s.new_m, s.nm, "SELECT @@gtid_binlog_pos", &pos, &err) != 0) {
		switch_note(&problems, err);
		err = NULL;
	}
	switch_note(&problems, switch_repoint(&s, pos, &replicas));
	if (switch_record(&s, replicas, &err) != 0) {
		switch_note(&problems, xasprintf("registry not updated: %s", err));
		free(err);
		err = NULL;
	}
	/*
	 * The self-fence agent follows the master, as after a failover: armed on
	 * the new master as the registry now names it, stopped on the old one (a
	 * replica now, which only the master's agent may fence). The start that
	 * follows the switch does the same; this keeps it so when that start
	 * fails. It does nothing while the registry does not name the new
	 * master (not updated above).
	 */
	{
		char old_hp[300], new_hp[300];

		snprintf(old_hp, sizeof(old_hp), "%s:%d", s.old->host, s.old->port);
		snprintf(new_hp, sizeof(new_hp), "%s:%d", s.nm->host, s.nm->port);
		selffence_after_failover(cfg, p->reg, p->c->name, old_hp, new_hp);
	}
	if (problems != NULL) {
		event_emit(p->reg, p->c->name, NULL, "switch.incomplete",
		    "switched to %s:%d, but: %s", s.nm->host, s.nm->port, problems);
		*cause = problems;
		problems = NULL;
		res = SWITCH_DONE_REPAIR;
	} else {
		res = SWITCH_DONE;
	}
	goto out;

fail:
	switch_say(&s, "failed: %s; rolling back", err != NULL ? err : "?");
	if (switch_roll_back(&s, &notes) == 0) {
		switch_failed(&s, err != NULL ? err : "?", 1);
		*cause = xasprintf("%s; rolled back: %s:%d is the writable master with the VIP%s%s",
		    err != NULL ? err : "?", s.old->host, s.old->port, notes != NULL ? "; " : "",
		    notes != NULL ? notes : "");
		res = SWITCH_ROLLED_BACK;
	} else {
		switch_failed(&s, err != NULL ? err : "?", 0);
		*cause = xasprintf("%s; ROLL-BACK FAILED: %s", err != NULL ? err : "?",
		    notes != NULL ? notes : "?");
		res = SWITCH_STUCK;
	}
out:
	if (s.old_m != NULL)
		mysql_close(s.old_m);
	if (s.new_m != NULL)
		mysql_close(s.new_m);
	free(err);
	free(pos);
	free(notes);
	free(replicas);
	free(problems);
	return res;
}
