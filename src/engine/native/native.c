/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The native engine's loop: one process, one poll() over every connection
 * of every native cluster, on libmariadb's non-blocking API. Per master: a
 * persistent connection that is the canary (a readable idle socket means
 * the server went away: kill -9 shows at once) and a probe on it every
 * 200 ms. Per replica: SHOW SLAVE STATUS over a connection made for the
 * sample and closed after it, every 0.5 s to 10 s by the size of the fleet
 * (native_replica_interval); while the master is suspect its replicas keep
 * their connections and answer every 50 ms. The master is dead only when the manager cannot
 * reach it AND no reachable replica still receives from it; a master that
 * replicas still see is an alert, never a failover. The promotion runs in
 * a thread (native-promote.c) so the loop keeps watching the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "lease.h"
#include "log.h"
#include "master_verdict.h"
#include "native-reader.h"
#include "native-sql.h"
#include "native-ssh.h"
#include "native.h"
#include "registry.h"
#include "xmalloc.h"

#define NATIVE_MASTER_INTERVAL 200 /* ms between master probes */
#define NATIVE_MASTER_TIMEOUT 300  /* ms a master connect or probe may take */
#define NATIVE_MASTER_RETRY 50     /* ms between attempts once one failed */
#define NATIVE_MASTER_FAILS 3      /* failed attempts in a row: unreachable from the manager */
/*
 * Replicas while their master answers. What a replica's kept connection
 * costs is libmariadb's (~35 KB each: the non-blocking context's touched
 * stack, the 16 KB read-ahead cache, the handle), and at 1,000 clusters
 * that was 2,000 connections and ~70 MB of the engine's 119 MB
 * (docs/benchmarks.md, "Native engine memory"). Only the master's
 * connection is needed all the time (the canary: kill -9 shows at once);
 * a replica's view decides only once the master is suspect, and then its
 * connection is made at once and kept. So a watched replica is sampled
 * over a connection made for that sample and closed after it (QUIT), at
 * most NATIVE_REPLICA_OPEN at once, each replica every
 * NATIVE_REPLICA_INTERVAL ms or less often, so that the engine makes at
 * most about NATIVE_REPLICA_RATE connections a second (every 0.5 s up to
 * 250 replicas, 4 s at 2,000, at most every 10 s).
 */
#define NATIVE_REPLICA_INTERVAL 500       /* ms between samples of one replica, at least */
#define NATIVE_REPLICA_INTERVAL_MAX 10000 /* ... at most */
#define NATIVE_REPLICA_RATE 500           /* sample connections a second, about */
#define NATIVE_REPLICA_OPEN 64            /* replica connections open at once while watching */
/*
 * Connects under way at once, masters' included, outside a suspect
 * cluster (whose connections never wait). At start, or after a blip of
 * the manager's own network, every master reconnects together: 1,000 at
 * once made the lab's servers miss the 300 ms connect deadline three times
 * in a row for ~10 % of the masters (bench/fleet.py --monitored 1000,
 * docs/benchmarks.md). A connect that waits its turn is not a failure.
 */
#define NATIVE_CONNECTS 64
/*
 * A pass over every connection at most every this many ms. Each pass is
 * O(connections) (poll over every socket, a walk over every node), and at
 * 1,000 clusters a pass for every answer that arrived alone (5,000 probes
 * and 500 sample connects a second) took 0.55-0.95 of a core (perf, fleet
 * bench); answers that wait for the next pass cost at most this much
 * latency, against 0.2 s between probes and ~0.7 s to a first write.
 */
#define NATIVE_PASS_MS 10
#define NATIVE_REPLICA_SUSPECT 50 /* ms between samples while the master is suspect */
#define NATIVE_REPLICA_TIMEOUT 500
/*
 * A replica whose IO thread says Yes but whose heartbeats and positions
 * have not moved for this long no longer receives (heartbeat 0.5 s, set
 * by start's checks).
 */
#define NATIVE_STALE_MS 1500
/* A suspect master the replicas still see for this long is reported. */
#define NATIVE_ALERT_MS 2000
#define NATIVE_RELOAD_MS 250 /* ms between looks at what the registry thread read and wrote */
/*
 * Manager HA: ms between checks of the lease files of the clusters
 * watched (a file read each); every acting step checks again itself.
 */
#define NATIVE_LEASE_MS 250
/*
 * How often freed heap pages go back to the kernel (malloc_trim). Connects
 * come in bursts (the start, a reconnect wave after a network blip: 3,000
 * at once at 1,000 clusters) whose buffers are freed again, and glibc keeps
 * the pages of free chunks inside the heap; trimming costs well under a
 * millisecond of CPU here (docs/benchmarks.md, fleet section).
 */
#define NATIVE_TRIM_MS 10000

struct native_loop {
	const struct config *cfg;
	struct native_reader *reader; /* every registry read and write (native-reader.c) */
	struct native_cluster **clusters;
	size_t n;
	char *status_dir;
	struct native_ssh *ssh;     /* kept SSH sessions, one per host (native-ssh.c) */
	long long replica_interval; /* ms between samples of a watched replica */
	size_t replica_open;        /* replica connections of watched clusters at the last pass */
	size_t connecting;          /* connects under way outside suspect clusters, same pass */
	pid_t pid;
};

/* What a pass of the loop may still open (counted at the pass before). */
struct native_budget {
	size_t replicas; /* sample connections to watched replicas */
	size_t connects; /* connects outside suspect clusters */
};

static void
native_node_free(struct native_node *n)
{
	native_conn_close(&n->conn);
	free(n->host);
	n->host = NULL;
}

static void
native_cluster_free(struct native_cluster *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_nodes; i++)
		native_node_free(&c->nodes[i]);
	free(c->nodes);
	free(c->name);
	free(c->vip);
	free(c->iface);
	free(c->status_text);
	free(c->master_gtid);
	free(c->master_binlog);
	free(c);
}

/*
 * host as a numeric address, the way a replica's Master_Host may name it;
 * "" when it does not resolve. Once per node when a cluster is loaded.
 */
static void
native_resolve(const char *host, char *addr, size_t len)
{
	struct addrinfo hints = {0}, *ai = NULL;

	addr[0] = '\0';
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL)
		return;
	if (getnameinfo(
	        ai->ai_addr, ai->ai_addrlen, addr, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
		addr[0] = '\0';
	freeaddrinfo(ai);
}

/* A copy of the registry's cluster: master first in our own terms; failed nodes left out. */
static struct native_cluster *
native_cluster_from(const struct registry_cluster *rc)
{
	struct native_cluster *c = xcalloc(1, sizeof(*c));
	size_t i;
	int have_master = 0;

	c->name = xstrdup(rc->name);
	c->vip = xstrdup(rc->vip);
	c->vip_prefix = rc->vip_prefix;
	c->iface = xstrdup(rc->iface);
	c->reg_state = rc->state;
	c->nodes = xcalloc(rc->n_nodes == 0 ? 1 : rc->n_nodes, sizeof(*c->nodes));
	for (i = 0; i < rc->n_nodes; i++) {
		const struct registry_node *rn = &rc->nodes[i];
		struct native_node *n;

		if (rn->role != REGISTRY_ROLE_MASTER && rn->role != REGISTRY_ROLE_REPLICA)
			continue;
		n = &c->nodes[c->n_nodes];
		n->host = xstrdup(rn->host);
		n->port = rn->port;
		native_resolve(n->host, n->addr, sizeof(n->addr));
		n->no_master = rn->no_master;
		n->candidate = rn->candidate_master;
		n->s.lag = -1;
		if (rn->role == REGISTRY_ROLE_MASTER) {
			c->master = c->n_nodes;
			have_master = 1;
		}
		c->n_nodes++;
	}
	if (!have_master) {
		native_cluster_free(c);
		return NULL;
	}
	return c;
}

/* The topology as a string, to notice a change in the registry. */
static char *
native_signature_registry(const struct registry_cluster *rc)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < rc->n_nodes; i++) {
		const struct registry_node *n = &rc->nodes[i];

		if (n->role != REGISTRY_ROLE_MASTER && n->role != REGISTRY_ROLE_REPLICA)
			continue;
		t = xasprintf("%s%s%s:%d:%d:%d;", s, n->role == REGISTRY_ROLE_MASTER ? "M" : "R",
		    n->host, n->port, n->no_master, n->candidate_master);
		free(s);
		s = t;
	}
	t = xasprintf("%s%s/%d@%s", s, rc->vip, rc->vip_prefix, rc->iface);
	free(s);
	return t;
}

static char *
native_signature(const struct native_cluster *c)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		const struct native_node *n = &c->nodes[i];

		t = xasprintf("%s%s%s:%d:%d:%d;", s, i == c->master ? "M" : "R", n->host, n->port,
		    n->no_master, n->candidate);
		free(s);
		s = t;
	}
	t = xasprintf("%s%s/%d@%s", s, c->vip, c->vip_prefix, c->iface);
	free(s);
	return t;
}

/* Writes <workdir>/native/NAME.status atomically when its content changed. */
static void
native_write_status(struct native_loop *l, struct native_cluster *c)
{
	const char *state[] = {"watching", "suspect", "failing_over", "stopped"};
	const struct native_node *m = &c->nodes[c->master];
	char *text, *path, *tmp;
	size_t i, receiving = 0;
	long long now = native_now_ms();
	unsigned long long key;
	FILE *f;

	for (i = 0; i < c->n_nodes; i++) {
		const struct native_node *n = &c->nodes[i];

		/* Between two samples of a watched replica its last word stands. */
		receiving += i != c->master && n->reachable && n->s.io_yes &&
		             now - n->s.moved_ms < l->replica_interval + NATIVE_STALE_MS;
	}
	/*
	 * What the text says, as one number: the loop passes up to 100 times
	 * a second over every cluster, and formatting 1,000 texts a pass to
	 * find them unchanged was a tenth of the engine's CPU (perf, fleet
	 * bench). The master's place and the node count change together with
	 * its name (a failover makes a new node array).
	 */
	key = (unsigned long long)c->state |
	      (unsigned long long)(m->reachable && m->fails == 0) << 2 |
	      (unsigned long long)(receiving & 0xffff) << 3 |
	      (unsigned long long)(c->n_nodes & 0xffff) << 19 |
	      (unsigned long long)(c->master & 0xffff) << 35;
	if (c->status_text != NULL && key == c->status_key)
		return;
	text = xasprintf("pid=%ld\nstate=%s\nmaster=%s:%d\nmaster_reachable=%d\nreplicas=%zu\n"
	                 "replicas_receiving=%zu\n",
	    (long)l->pid, state[c->state], m->host, m->port, m->reachable && m->fails == 0,
	    c->n_nodes - 1, receiving);
	if (c->status_text != NULL && strcmp(c->status_text, text) == 0) {
		c->status_key = key;
		free(text);
		return;
	}
	path = xasprintf("%s/%s.status", l->status_dir, c->name);
	tmp = xasprintf("%s.tmp", path);
	f = fopen(tmp, "w");
	if (f != NULL) {
		fputs(text, f);
		if (fclose(f) == 0 && rename(tmp, path) == 0) {
			free(c->status_text);
			c->status_text = text;
			c->status_key = key;
			text = NULL;
		}
	}
	free(text);
	free(path);
	free(tmp);
}

static void
native_status_remove(struct native_loop *l, const char *name)
{
	char *path = xasprintf("%s/%s.status", l->status_dir, name);

	unlink(path);
	free(path);
}

/* The one place a cluster's engine state changes. */
static void
native_set_state(struct native_cluster *c, enum native_cstate s, long long now)
{
	if (s == NATIVE_SUSPECT && c->state != NATIVE_SUSPECT) {
		size_t i;

		c->suspect_ms = now;
		c->alerted = 0;
		/* Ask every replica now: their view decides. */
		for (i = 0; i < c->n_nodes; i++) {
			if (i != c->master && c->nodes[i].next_ms > now)
				c->nodes[i].next_ms = now;
		}
	}
	c->state = s;
}

int
native_is_master(const struct native_cluster *c, const char *host, int port)
{
	const struct native_node *m = &c->nodes[c->master];

	return host != NULL && port == m->port &&
	       (strcasecmp(host, m->host) == 0 ||
	           (m->addr[0] != '\0' && strcmp(host, m->addr) == 0));
}

/* FNV-1a of a string: enough to notice that a position moved. */
static unsigned long long
native_hash(const char *v)
{
	unsigned long long h = 14695981039346656037ULL;

	for (; v != NULL && *v != '\0'; v++)
		h = (h ^ (unsigned char)*v) * 1099511628211ULL;
	return h;
}

/* Reads a SHOW SLAVE STATUS result into the node's sample. */
static void
native_sample_parse(struct native_node *n, MYSQL_RES *res, long long now)
{
	struct native_sample s = {0};
	const char *host;
	MYSQL_ROW row = res != NULL ? mysql_fetch_row(res) : NULL;
	const char *v;

	s.at_ms = now;
	s.lag = -1;
	s.moved_ms = n->s.moved_ms;
	if (row != NULL) {
		v = native_conn_field(res, row, "Slave_IO_Running");
		s.io_yes = v != NULL && strcmp(v, "Yes") == 0;
		v = native_conn_field(res, row, "Slave_SQL_Running");
		s.sql_yes = v != NULL && strcmp(v, "Yes") == 0;
		v = native_conn_field(res, row, "Using_Gtid");
		s.using_gtid = v != NULL && strcmp(v, "No") != 0;
		v = native_conn_field(res, row, "Last_IO_Errno");
		s.io_errno = v != NULL ? atoi(v) : 0;
		v = native_conn_field(res, row, "Seconds_Behind_Master");
		s.lag = v != NULL ? atoll(v) : -1;
		v = native_conn_field(res, row, "SQL_Delay");
		s.sql_delay = v != NULL ? atoll(v) : 0;
		v = native_conn_field(res, row, "Read_Master_Log_Pos");
		s.read_pos = v != NULL ? atoll(v) : 0;
		v = native_conn_field(res, row, "Slave_received_heartbeats");
		s.heartbeats = v != NULL ? atoll(v) : -1;
		v = native_conn_field(res, row, "Slave_heartbeat_period");
		if (v == NULL || atof(v) <= 0)
			s.heartbeats = -1; /* no heartbeats: an idle master would look stale */
		s.gtid_io_hash = native_hash(native_conn_field(res, row, "Gtid_IO_Pos"));
		host = native_conn_field(res, row, "Master_Host");
		snprintf(s.master_host, sizeof(s.master_host), "%s", host != NULL ? host : "");
		v = native_conn_field(res, row, "Master_Port");
		s.master_port = v != NULL ? atoi(v) : 0;
	}
	if (n->s.at_ms == 0 || s.heartbeats != n->s.heartbeats || s.read_pos != n->s.read_pos ||
	    s.gtid_io_hash != n->s.gtid_io_hash)
		s.moved_ms = now;
	/* The lag before a death is what the lag policy judges (it reads NULL after). */
	if (s.lag < 0 && s.io_yes == 0)
		s.lag = n->s.lag;
	n->s = s;
}

/* Keeps what the master's probe said of its GTID state (for the errant check at failover). */
static void
native_master_parse(struct native_cluster *c, MYSQL_RES *res)
{
	MYSQL_ROW row = res != NULL ? mysql_fetch_row(res) : NULL;

	if (row == NULL || mysql_num_fields(res) < 2 || row[0] == NULL)
		return;
	if (c->master_gtid == NULL || strcmp(c->master_gtid, row[0]) != 0) {
		free(c->master_gtid);
		c->master_gtid = xstrdup(row[0]);
	}
	c->master_server_id = row[1] != NULL ? atol(row[1]) : 0;
	if (mysql_num_fields(res) >= 3 && row[2] != NULL &&
	    (c->master_binlog == NULL || strcmp(c->master_binlog, row[2]) != 0)) {
		free(c->master_binlog);
		c->master_binlog = xstrdup(row[2]);
	}
}

/*
 * Starts what is due on one node. A connect over what *b still allows
 * waits 10 ms and is not a failure; a suspect cluster's never waits.
 */
static void
native_node_due(struct native_loop *l, struct native_cluster *c, size_t i, long long now,
    struct native_budget *b)
{
	struct native_node *n = &c->nodes[i];
	int master = i == c->master;

	if (now < n->next_ms)
		return;
	if (n->conn.state == NATIVE_CONN_CLOSED && n->conn.wait != -1 &&
	    c->state != NATIVE_SUSPECT) {
		if (b->connects == 0 || (!master && b->replicas == 0)) {
			n->next_ms = now + 10;
			return;
		}
		b->connects--;
		if (!master)
			b->replicas--;
	}
	if (n->conn.state == NATIVE_CONN_CLOSED && n->conn.wait != -1) {
		native_conn_connect(&n->conn, n->host, n->port, l->cfg->ha_user,
		    l->cfg->ha_password, master ? NATIVE_MASTER_TIMEOUT : NATIVE_REPLICA_TIMEOUT);
		n->next_ms = now + 1000000; /* set again when it finishes */
	} else if (n->conn.state == NATIVE_CONN_IDLE && n->conn.wait != -1) {
		native_conn_query(&n->conn,
		    native_sql(NATIVE_FLAVOUR_MARIADB,
		        master ? NATIVE_SQL_PING : NATIVE_SQL_REPLICA_STATUS),
		    master ? NATIVE_MASTER_TIMEOUT : NATIVE_REPLICA_TIMEOUT);
		n->next_ms = now + 1000000;
	}
}

/*
 * When a watched replica is sampled next: the interval, spread by up to a
 * tenth either way so that the samples of a fleet started together do not
 * stay in step.
 */
static long long
native_replica_next(const struct native_loop *l, long long now)
{
	long long spread = l->replica_interval / 5;

	return now + l->replica_interval - spread / 2 + (spread > 0 ? random() % spread : 0);
}

/* Handles what a node's connection reported. */
static void
native_node_event(const struct native_loop *l, struct native_cluster *c, size_t i,
    enum native_conn_event ev, int was, long long now)
{
	struct native_node *n = &c->nodes[i];
	int master = i == c->master;

	switch (ev) {
	case NATIVE_CONN_PENDING:
		return;
	case NATIVE_CONN_DONE:
		n->reachable = 1;
		n->fails = 0;
		if (was == NATIVE_CONN_CONNECTING) {
			n->next_ms = now; /* ask at once */
			return;
		}
		if (!master)
			native_sample_parse(n, n->conn.res, now);
		else
			native_master_parse(c, n->conn.res);
		if (n->conn.res != NULL) {
			mysql_free_result(n->conn.res);
			n->conn.res = NULL;
		}
		if (master) {
			n->next_ms = now + NATIVE_MASTER_INTERVAL;
		} else if (c->state == NATIVE_SUSPECT) {
			n->next_ms = now + NATIVE_REPLICA_SUSPECT; /* kept: it decides now */
		} else {
			native_conn_release(&n->conn);
			n->next_ms = native_replica_next(l, now);
		}
		return;
	case NATIVE_CONN_EOF:
	case NATIVE_CONN_FAILED:
		n->reachable = 0;
		n->fails++;
		n->fail_ms = now;
		if (master) {
			if (n->fails == 1 || n->fails == NATIVE_MASTER_FAILS)
				log_info("cluster=%s node=%s:%d master %s (%d)", c->name, n->host,
				    n->port, n->conn.error, n->fails);
			/* The canary's EOF is the first of the failures; try again at once. */
			n->next_ms =
			    now + (ev == NATIVE_CONN_EOF               ? 0
			              : n->fails < NATIVE_MASTER_FAILS ? NATIVE_MASTER_RETRY
			                                               : NATIVE_MASTER_INTERVAL);
		} else {
			n->next_ms =
			    c->state == NATIVE_SUSPECT ? now + 100 : native_replica_next(l, now);
		}
		return;
	}
}

/* Copies the cluster for the promotion thread (no connections, samples kept). */
static struct native_failover *
native_failover_new(const struct config *cfg, const struct native_cluster *c)
{
	struct native_failover *fo = xcalloc(1, sizeof(*fo));
	size_t i;

	fo->cfg = cfg;
	fo->snap.name = xstrdup(c->name);
	fo->snap.vip = xstrdup(c->vip);
	fo->snap.vip_prefix = c->vip_prefix;
	fo->snap.iface = xstrdup(c->iface);
	fo->snap.master = c->master;
	fo->snap.master_gtid = c->master_gtid != NULL ? xstrdup(c->master_gtid) : NULL;
	fo->snap.master_server_id = c->master_server_id;
	fo->snap.master_binlog = c->master_binlog != NULL ? xstrdup(c->master_binlog) : NULL;
	fo->snap.n_nodes = c->n_nodes;
	fo->snap.nodes = xcalloc(c->n_nodes, sizeof(*fo->snap.nodes));
	fo->left_behind = xcalloc(c->n_nodes == 0 ? 1 : c->n_nodes, 1);
	for (i = 0; i < c->n_nodes; i++) {
		fo->snap.nodes[i] = c->nodes[i];
		memset(&fo->snap.nodes[i].conn, 0, sizeof(fo->snap.nodes[i].conn));
		fo->snap.nodes[i].host = xstrdup(c->nodes[i].host);
	}
	return fo;
}

static void
native_failover_free(struct native_failover *fo)
{
	size_t i;

	for (i = 0; i < fo->snap.n_nodes; i++)
		free(fo->snap.nodes[i].host);
	free(fo->snap.nodes);
	free(fo->snap.name);
	free(fo->snap.vip);
	free(fo->snap.iface);
	free(fo->snap.master_gtid);
	free(fo->snap.master_binlog);
	free(fo->salvage_note);
	free(fo->left_behind);
	free(fo->reason);
	free(fo);
}

/*
 * Tells the registry the cluster's new state, through the registry thread
 * (native-reader.c, in order with the events): c->reg_state follows once
 * it is written (native_written). Never waits for the registry.
 */
static void
native_transition(struct native_loop *l, struct native_cluster *c, enum registry_state s,
    const char *type, const char *msg)
{
	/* Manager HA: a cluster whose lease we cannot prove gets no state from us. */
	if (!lease_held_here(l->cfg, c->name)) {
		log_warn("cluster=%s not recorded (%s): manager %s cannot prove its lease", c->name,
		    type, l->cfg->manager_name);
		return;
	}
	if (native_reader_transition(l->reader, c->name, s, type, msg) != 0) {
		log_warn("cluster=%s %s not queued: the registry has not taken the last %d writes; "
		         "tried again later",
		    c->name, type, 1024);
		return;
	}
	c->pending++;
}

/* An event through the registry thread (spooled when the registry is away). */
static void native_emit(struct native_loop *l, const char *cluster, const char *node,
    const char *type, const char *const *fields, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
native_emit(struct native_loop *l, const char *cluster, const char *node, const char *type,
    const char *const *fields, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	native_reader_emit(l->reader, cluster, node, type, fields, msg);
	free(msg);
}

size_t
native_observe(const struct native_cluster *c, long long now, struct master_observation *obs,
    char (*names)[300], size_t *waiting)
{
	size_t i, k = 0;

	*waiting = 0;
	for (i = 0; i < c->n_nodes; i++) {
		const struct native_node *n = &c->nodes[i];
		struct master_observation *o = &obs[k];

		if (i == c->master)
			continue;
		if (n->reachable && n->s.at_ms > c->suspect_ms) {
			snprintf(names[k], 300, "%s:%d", n->host, n->port);
			memset(o, 0, sizeof(*o));
			o->node = names[k];
			o->reachable = 1;
			o->from_master = native_is_master(c, n->s.master_host, n->s.master_port);
			o->io_running = n->s.io_yes;
			/*
			 * Sampled every 50 ms while suspect; heartbeats every 0.5 s
			 * (start sets them): silence for NATIVE_STALE_MS is no data.
			 * Without heartbeats silence proves nothing (-1: receiving).
			 */
			o->moved = n->s.heartbeats < 0 ? -1 : now - n->s.moved_ms < NATIVE_STALE_MS;
			k++;
		} else if (!n->reachable && n->fail_ms > c->suspect_ms) {
			/* Unreachable too: it says nothing, and it cannot be promoted. */
			snprintf(names[k], 300, "%s:%d", n->host, n->port);
			memset(o, 0, sizeof(*o));
			o->node = names[k];
			k++;
		} else {
			(*waiting)++;
		}
	}
	return k;
}

/*
 * Decides on a suspect master with the shared rule (master_verdict.c, the
 * MHA engine's secondary check uses the same): dead only when the manager
 * cannot reach it and no reachable replica still receives from it.
 */
static void
native_judge(struct native_loop *l, struct native_cluster *c, long long now)
{
	struct native_node *m = &c->nodes[c->master];
	struct master_observation *obs;
	char(*names)[300];
	char *cause = NULL, *reason = NULL, master[300];
	size_t i, n_obs, waiting;
	enum master_verdict v;

	snprintf(master, sizeof(master), "%s:%d", m->host, m->port);
	if (m->fails == 0 && m->reachable) {
		if (c->alerted)
			native_emit(l, c->name, master, "master.reachable_from_manager", NULL,
			    "master %s answers the manager again", master);
		native_set_state(c, NATIVE_WATCHING, now);
		return;
	}
	obs = xcalloc(c->n_nodes, sizeof(*obs));
	names = xcalloc(c->n_nodes, sizeof(*names));
	n_obs = native_observe(c, now, obs, names, &waiting);
	v = master_verdict_decide(obs, n_obs, &reason);
	free(obs);
	free(names);
	/* A live master is enough from one replica; dead needs every reachable one's word. */
	if (v != MASTER_ALIVE && waiting > 0) {
		free(reason);
		return;
	}
	if (v != MASTER_DEAD) {
		if (!c->alerted && now - c->suspect_ms >= NATIVE_ALERT_MS) {
			c->alerted = 1;
			if (v == MASTER_ALIVE)
				native_emit(l, c->name, master, "master.unreachable_from_manager",
				    EVENT_FIELDS("reason", reason != NULL ? reason : "?"),
				    "master %s does not answer the manager (%s), but %s: no "
				    "failover (check the network between the manager and the "
				    "master)",
				    master, m->conn.error, reason != NULL ? reason : "?");
			else
				native_emit(l, c->name, master, "cluster.unreachable_from_manager",
				    NULL,
				    "neither the master %s nor any replica answers the manager: no "
				    "failover (the manager is likely cut off)",
				    master);
		}
		free(reason);
		return;
	}
	/* Dead: the manager cannot reach it and no reachable replica receives from it. */
	log_info("cluster=%s node=%s master dead: unreachable from the manager (%s) and %s, "
	         "%lld ms after the first failure",
	    c->name, master, m->conn.error, reason != NULL ? reason : "?", now - c->suspect_ms);
	free(reason);
	/* Manager HA: no failover without a lease (the lease pass drops the cluster). */
	if (!lease_held_here(l->cfg, c->name)) {
		log_warn("cluster=%s no failover: manager %s cannot prove its lease", c->name,
		    l->cfg->manager_name);
		return;
	}
	/* Its storm.paused goes to the spool (the daemon records it): no registry here. */
	if (native_core_storm(l->cfg, NULL, c) != 0) {
		native_set_state(c, NATIVE_STOPPED, now);
		native_transition(l, c, REGISTRY_STATE_UNPROTECTED, "failover.paused",
		    "native failover not started by the storm breaker; the cluster is NOT "
		    "protected "
		    "until it is repaired and started again");
		return;
	}
	for (i = 0; i < c->n_nodes; i++)
		native_conn_close(&c->nodes[i].conn);
	c->fo = native_failover_new(l->cfg, c);
	/* Refused: the host answered, only mysqld is gone; the VIP can be taken off it. */
	c->fo->old_host_up = m->conn.refused;
	c->fo->ssh = l->ssh;
	if (native_promote_start(c->fo, &cause) != 0) {
		native_emit(l, c->name, master, "failover.failed", NULL, "%s", cause);
		free(cause);
		native_failover_free(c->fo);
		c->fo = NULL;
		native_set_state(c, NATIVE_STOPPED, now);
		return;
	}
	native_set_state(c, NATIVE_FAILING_OVER, now);
}

/* A finished promotion: protected again at once on the new topology, or stopped safely. */
static void
native_failover_done(struct native_loop *l, struct native_cluster *c, long long now)
{
	struct native_failover *fo = c->fo;
	struct native_node *nodes;
	size_t i, k = 0;
	char *msg;

	pthread_join(fo->thread, NULL);
	c->fo = NULL;
	if (fo->lease_lost) {
		/* Said by failover.abandoned; the next owner reads the servers. */
		native_set_state(c, NATIVE_STOPPED, now);
		native_failover_free(fo);
		return;
	}
	if (!fo->ok) {
		native_set_state(c, NATIVE_STOPPED, now);
		msg =
		    xasprintf("native failover did not complete: %s; the cluster is NOT protected; "
		              "after repairing it run 'mhaadm start %s'",
		        fo->reason != NULL ? fo->reason : "?", c->name);
		native_transition(l, c, REGISTRY_STATE_UNPROTECTED, "cluster.unprotected", msg);
		free(msg);
		native_failover_free(fo);
		return;
	}
	nodes = xcalloc(c->n_nodes, sizeof(*nodes));
	for (i = 0; i < c->n_nodes; i++) {
		/* The old master and the replicas it left behind (failed) are not watched. */
		if (i == c->master || fo->left_behind[i]) {
			native_node_free(&c->nodes[i]);
			continue;
		}
		nodes[k] = c->nodes[i];
		memset(&nodes[k].conn, 0, sizeof(nodes[k].conn));
		memset(&nodes[k].s, 0, sizeof(nodes[k].s));
		nodes[k].s.lag = -1;
		nodes[k].fails = 0;
		nodes[k].reachable = 0;
		nodes[k].next_ms = now;
		if (i == fo->new_master)
			c->master = k;
		k++;
	}
	free(c->nodes);
	c->nodes = nodes;
	c->n_nodes = k;
	free(c->master_gtid); /* the old master's */
	c->master_gtid = NULL;
	free(c->master_binlog);
	c->master_binlog = NULL;
	c->master_server_id = 0;
	c->announced = 0;
	c->reg_state = REGISTRY_STATE_FAILING_OVER;
	c->changed_ms = now; /* the promotion thread wrote the new master before it ended */
	c->await_registry = !fo->recorded;
	native_set_state(c, NATIVE_WATCHING, now);
	log_info("cluster=%s native failover done in %lld ms; watching master %s:%d", c->name,
	    now - fo->started_ms, c->nodes[c->master].host, c->nodes[c->master].port);
	native_failover_free(fo);
}

/* Tells the registry the cluster is protected once every node has answered once. */
static void
native_announce(struct native_loop *l, struct native_cluster *c)
{
	const struct native_node *m = &c->nodes[c->master];
	char *msg;
	size_t i;

	/*
	 * Not before the registry names the master we watch (after our own
	 * failover with its record spooled): announced earlier, the daemon's
	 * late record would set the row back to failing_over over it.
	 */
	if (c->announced || c->pending > 0 || c->await_registry || c->state != NATIVE_WATCHING ||
	    !m->reachable || m->fails != 0)
		return;
	for (i = 0; i < c->n_nodes; i++) {
		if (i != c->master && c->nodes[i].s.at_ms == 0 && c->nodes[i].fails == 0)
			return;
	}
	if (c->reg_state == REGISTRY_STATE_MONITORING) {
		c->announced = 1;
		return;
	}
	msg = xasprintf("%s by the native engine: master %s:%d, %zu replica%s (pid %ld)",
	    c->reg_state == REGISTRY_STATE_FAILING_OVER ? "monitored again on the new topology"
	                                                : "monitored",
	    m->host, m->port, c->n_nodes - 1, c->n_nodes == 2 ? "" : "s", (long)getpid());
	native_transition(l, c, REGISTRY_STATE_MONITORING,
	    c->reg_state == REGISTRY_STATE_FAILING_OVER ? "cluster.reprotected"
	                                                : "monitoring.started",
	    msg);
	free(msg);
	c->announced = c->reg_state == REGISTRY_STATE_MONITORING;
}

static struct native_cluster *
native_find(struct native_loop *l, const char *name, size_t *at)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->clusters[i]->name, name) == 0) {
			if (at != NULL)
				*at = i;
			return l->clusters[i];
		}
	}
	return NULL;
}

static void
native_drop(struct native_loop *l, size_t i)
{
	native_status_remove(l, l->clusters[i]->name);
	native_cluster_free(l->clusters[i]);
	l->clusters[i] = l->clusters[--l->n];
}

/* The text of a small file, newly allocated, or NULL when it cannot be read. */
static char *
native_read_file(const char *path)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = len + 4096 + 1;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0 && len < 1024 * 1024);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/*
 * Whether the journal at path predates the last start of rc: the registry
 * says ready and its row changed after the journal was last written (a
 * failover that began before the first announce is not stale: its journal
 * is younger than the row).
 */
static int
native_journal_stale(const char *path, const struct registry_cluster *rc)
{
	struct stat sb;
	struct tm tm = {0};
	const char *end;

	if (rc->state != REGISTRY_STATE_READY || rc->updated_at == NULL || stat(path, &sb) != 0)
		return 0;
	end = strptime(rc->updated_at, "%Y-%m-%d %H:%M:%S", &tm);
	if (end == NULL)
		return 0;
	return timegm(&tm) > sb.st_mtime;
}

/*
 * The journal a killed engine left for rc: a failover whose candidate was
 * fixed is taken up with that candidate, in a thread as usual (state
 * FAILING_OVER); never started again from scratch, so never a second
 * promotion. A journal from before the choice is removed: nothing was
 * promoted, detection decides again. One that cannot be read stops the
 * cluster unprotected and says so. Returns the cluster, or NULL when there
 * is nothing to take up.
 */
static struct native_cluster *
native_resume(struct native_loop *l, const struct registry_cluster *rc, long long now)
{
	char *path = native_journal_path(l->cfg, rc->name), *text, *cause = NULL, *msg;
	struct native_cluster *c;
	enum native_phase phase = NATIVE_PHASE_NONE;
	size_t nm, i;
	int up, stale;

	text = native_read_file(path);
	if (text == NULL) {
		free(path);
		return NULL;
	}
	stale = native_journal_stale(path, rc);
	free(path);
	if (stale) {
		/* start ran after the interruption: the topology the DBA checked is the truth. */
		native_emit(l, rc->name, NULL, "failover.journal_ignored", NULL,
		    "an interrupted native failover's journal is older than the last 'mhaadm "
		    "start': "
		    "not taken up (kept as %s.journal.failed)",
		    rc->name);
		native_journal_end(l->cfg, rc->name, 1);
		free(text);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	if (native_journal_parse(text, c, &phase, &nm, &up, &cause) != 0 ||
	    strcmp(c->name, rc->name) != 0) {
		native_cluster_free(c);
		c = native_cluster_from(rc);
		free(text);
		if (c == NULL) {
			free(cause);
			return NULL;
		}
		c->state = NATIVE_STOPPED;
		msg = xasprintf("an interrupted native failover left a journal that cannot be "
		                "read (%s): nothing more is done; the cluster is NOT protected; "
		                "check which server is the master, then run 'mhaadm start %s'",
		    cause != NULL ? cause : "another cluster's", rc->name);
		native_transition(l, c, REGISTRY_STATE_UNPROTECTED, "cluster.unprotected", msg);
		free(msg);
		free(cause);
		native_journal_end(l->cfg, rc->name, 1);
		return c;
	}
	free(text);
	if (phase < NATIVE_PHASE_PROMOTE) {
		log_info("cluster=%s an interrupted failover had chosen no new master yet (phase "
		         "%s): nothing was promoted, watching again",
		    rc->name, native_journal_phase_name(phase));
		native_cluster_free(c);
		native_journal_end(l->cfg, rc->name, 0);
		return NULL;
	}
	c->reg_state = rc->state;
	for (i = 0; i < c->n_nodes; i++)
		native_resolve(c->nodes[i].host, c->nodes[i].addr, sizeof(c->nodes[i].addr));
	log_info("cluster=%s taking up the interrupted failover to %s:%d at phase %s", c->name,
	    c->nodes[nm].host, c->nodes[nm].port, native_journal_phase_name(phase));
	c->fo = native_failover_new(l->cfg, c);
	c->fo->resume = phase;
	c->fo->new_master = nm;
	c->fo->old_host_up = up;
	c->fo->ssh = l->ssh;
	if (native_promote_start(c->fo, &cause) != 0) {
		native_emit(l, c->name, NULL, "failover.failed", NULL, "%s", cause);
		free(cause);
		native_failover_free(c->fo);
		c->fo = NULL;
		native_set_state(c, NATIVE_STOPPED, now);
		return c;
	}
	native_set_state(c, NATIVE_FAILING_OVER, now);
	return c;
}

long long
native_replica_interval(size_t replicas)
{
	long long ms = (long long)(replicas * 1000 / NATIVE_REPLICA_RATE);

	if (ms < NATIVE_REPLICA_INTERVAL)
		return NATIVE_REPLICA_INTERVAL;
	return ms > NATIVE_REPLICA_INTERVAL_MAX ? NATIVE_REPLICA_INTERVAL_MAX : ms;
}

/* Paces the samples of watched replicas for the clusters watched now. */
static void
native_replica_pace(struct native_loop *l)
{
	size_t i, replicas = 0;
	long long ms;

	for (i = 0; i < l->n; i++)
		replicas += l->clusters[i]->n_nodes - 1;
	ms = native_replica_interval(replicas);
	if (ms != l->replica_interval)
		log_info("engine-native: %zu replicas watched: each sampled every %lld ms",
		    replicas, ms);
	l->replica_interval = ms;
}

/* Re-reads which clusters this engine watches: engine native, desired monitored. */
static void
native_reload(struct native_loop *l, long long now)
{
	struct registry_cluster **list = NULL;
	struct native_cluster *c;
	struct native_reader_done *done = NULL;
	char *a, *b;
	size_t n = 0, i, at, n_done;
	long long read_ms = 0;
	int want, fresh;

	/* The registry thread reads and writes (native-reader.c); nothing here waits for it. */
	n_done = native_reader_done(l->reader, &done);
	for (i = 0; i < n_done; i++) {
		c = native_find(l, done[i].cluster, NULL);
		if (c == NULL)
			continue;
		/* (One queued by a former watch of the same name is not counted.) */
		if (c->pending > 0)
			c->pending--;
		if (!done[i].ok)
			continue;
		c->reg_state = done[i].state;
		c->changed_ms = done[i].at_ms;
		if (c->state == NATIVE_WATCHING)
			c->announced = done[i].state == REGISTRY_STATE_MONITORING;
	}
	native_reader_done_free(done, n_done);
	if (!native_reader_take(l->reader, &list, &n, &read_ms))
		return; /* nothing new read: the clusters stay watched as they are */
	for (i = 0; i < l->n; i++)
		l->clusters[i]->seen = 0;
	for (i = 0; i < n; i++) {
		const struct registry_cluster *rc = list[i];

		if (rc->engine == NULL || strcmp(rc->engine, "native") != 0)
			continue;
		/* Manager HA: only the clusters whose lease this manager holds. */
		want =
		    rc->desired == REGISTRY_DESIRED_MONITORED &&
		    (rc->state == REGISTRY_STATE_READY || rc->state == REGISTRY_STATE_MONITORING ||
		        rc->state == REGISTRY_STATE_FAILING_OVER) &&
		    lease_held_here(l->cfg, rc->name);
		c = native_find(l, rc->name, &at);
		fresh = c == NULL;
		/*
		 * A list read before our own last change of the cluster (a state
		 * written, a failover done) or while one is still queued says
		 * nothing new of it: read again before anything is judged by it.
		 */
		if (c != NULL && (c->state == NATIVE_FAILING_OVER || c->pending > 0 ||
		                     read_ms <= c->changed_ms)) {
			c->seen = 1;
			continue;
		}
		if (!want)
			continue;
		if (c != NULL) {
			/* Stopped after a failed failover: only a new start (state ready) resumes.
			 */
			if (c->state == NATIVE_STOPPED && rc->state != REGISTRY_STATE_READY) {
				c->seen = 1;
				continue;
			}
			a = native_signature_registry(rc);
			b = native_signature(c);
			if (strcmp(a, b) == 0 && c->state != NATIVE_STOPPED) {
				c->seen = 1;
				c->await_registry = 0; /* it names our new master now */
				if (c->reg_state != (int)rc->state && c->state == NATIVE_WATCHING) {
					c->reg_state = rc->state;
					c->announced = rc->state == REGISTRY_STATE_MONITORING;
				}
				free(a);
				free(b);
				continue;
			}
			free(a);
			free(b);
			/*
			 * After our own failover the registry may still hold the old
			 * master (its update spooled, applied by the daemon when the
			 * registry is back) while our own later writes (cluster.reprotected)
			 * already landed: keep our view until it names our new master.
			 * Taking its old topology would watch the dead master again and
			 * fail the cluster over a second time. Only a new start (ready:
			 * the DBA's topology) replaces it.
			 */
			if ((c->await_registry || c->reg_state == REGISTRY_STATE_FAILING_OVER) &&
			    rc->state != REGISTRY_STATE_READY) {
				c->seen = 1;
				continue;
			}
			native_drop(l, at);
		}
		/* New to this process (it started again): a journal is taken up first. */
		c = fresh ? native_resume(l, rc, now) : NULL;
		if (c == NULL)
			c = native_cluster_from(rc);
		if (c == NULL)
			continue;
		c->seen = 1;
		l->clusters = xreallocarray(l->clusters, l->n + 1, sizeof(*l->clusters));
		l->clusters[l->n++] = c;
		log_info("cluster=%s native engine watching master %s:%d (%zu replicas)", c->name,
		    c->nodes[c->master].host, c->nodes[c->master].port, c->n_nodes - 1);
	}
	for (i = 0; i < l->n;) {
		if (!l->clusters[i]->seen && l->clusters[i]->state != NATIVE_FAILING_OVER) {
			log_info(
			    "cluster=%s native engine no longer watching it", l->clusters[i]->name);
			native_drop(l, i);
			continue;
		}
		i++;
	}
	registry_cluster_list_free(list, n);
	native_replica_pace(l);
	/* One kept SSH session per host the watched clusters name (opened by its own thread). */
	native_ssh_begin(l->ssh);
	for (i = 0; i < l->n; i++)
		for (at = 0; at < l->clusters[i]->n_nodes; at++)
			native_ssh_want(l->ssh, l->clusters[i]->nodes[at].host);
	native_ssh_end(l->ssh);
}

/*
 * Manager HA: drops, between two reloads and with the registry away too,
 * every watched cluster whose lease this manager cannot prove any more
 * (lease_held_here: the daemon's lease file, its send time on
 * CLOCK_BOOTTIME). A failover running keeps its cluster: its thread proves
 * the lease before each step and stops at the first it cannot.
 */
static void
native_lease_pass(struct native_loop *l)
{
	size_t i;

	if (!lease_enabled(l->cfg))
		return;
	for (i = 0; i < l->n;) {
		struct native_cluster *c = l->clusters[i];

		if (c->state != NATIVE_FAILING_OVER && !lease_held_here(l->cfg, c->name)) {
			log_info("cluster=%s native engine no longer watching it: manager %s "
			         "cannot prove its lease",
			    c->name, l->cfg->manager_name);
			native_drop(l, i);
			continue;
		}
		i++;
	}
}

static int
native_lock(const struct config *cfg, const char *dir, char **cause)
{
	char *path = xasprintf("%s/engine.lock", dir), buf[32];
	int fd, n;

	(void)cfg;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		*cause = xasprintf("another native engine runs (it holds %s)", path);
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	free(path);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n)
		log_warn("engine-native: cannot write its pid into the lock file");
	return fd;
}

int
native_run(const struct config *cfg, char **cause)
{
	struct native_loop l = {0};
	struct pollfd *pfds = NULL;
	size_t *map_c = NULL, *map_n = NULL, cap = 0, np, i, j, open, connecting;
	struct native_budget budget;
	long long now, next_reload = 0, next_lease = 0, next_trim = 0, wake, last_pass = 0;
	struct signalfd_siginfo si;
	sigset_t mask;
	int sfd, lockfd, quit = 0, timeout, was;

	l.cfg = cfg;
	l.replica_interval = NATIVE_REPLICA_INTERVAL;
	l.pid = getpid();
	srandom((unsigned int)getpid());
	l.status_dir = xasprintf("%s/native", cfg->workdir);
	mkdir(cfg->workdir, 0700);
	if (mkdir(l.status_dir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", l.status_dir, strerror(errno));
		free(l.status_dir);
		return -1;
	}
	lockfd = native_lock(cfg, l.status_dir, cause);
	if (lockfd < 0) {
		free(l.status_dir);
		return -1;
	}
	if (mysql_library_init(0, NULL, NULL) != 0) {
		*cause = xstrdup("the MySQL client library failed to initialise");
		close(lockfd);
		free(l.status_dir);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	log_set_level(LOG_LEVEL_INFO);
	/*
	 * Threads after the mask: a thread that does not block SIGTERM takes
	 * it with the default action (the process ends without its cleanup).
	 */
	l.ssh = native_ssh_new(cfg);
	l.reader = native_reader_start(cfg, cause);
	if (l.reader == NULL) {
		native_ssh_free(l.ssh);
		close(sfd);
		close(lockfd);
		free(l.status_dir);
		return -1;
	}
	/* Manager HA: every event says which manager acted (the checker reads it). */
	if (lease_enabled(cfg))
		event_set_manager(cfg->manager_name);
	fprintf(stderr, "mhaadm engine-native: started (pid %ld)\n", (long)getpid());

	while (!quit) {
		now = native_now_ms();
		if (now >= next_lease) {
			native_lease_pass(&l);
			next_lease = now + NATIVE_LEASE_MS;
		}
		if (now >= next_reload) {
			native_reload(&l, now);
			next_reload = now + NATIVE_RELOAD_MS;
		}
		if (now >= next_trim) {
			malloc_trim(0);
			next_trim = now + NATIVE_TRIM_MS;
		}
		wake = next_reload < next_lease || !lease_enabled(cfg) ? next_reload : next_lease;
		np = 0;
		/* Counted at the last pass: closed since, they only make the bound stricter. */
		budget.replicas =
		    l.replica_open < NATIVE_REPLICA_OPEN ? NATIVE_REPLICA_OPEN - l.replica_open : 0;
		budget.connects =
		    l.connecting < NATIVE_CONNECTS ? NATIVE_CONNECTS - l.connecting : 0;
		open = 0;
		connecting = 0;
		for (i = 0; i < l.n; i++) {
			struct native_cluster *c = l.clusters[i];

			if (c->state == NATIVE_FAILING_OVER) {
				if (__atomic_load_n(&c->fo->done, __ATOMIC_ACQUIRE))
					native_failover_done(&l, c, now);
				else if (wake > now + 10)
					wake = now + 10;
				if (c->state == NATIVE_FAILING_OVER)
					continue;
			}
			if (c->state == NATIVE_STOPPED) {
				native_write_status(&l, c);
				continue;
			}
			for (j = 0; j < c->n_nodes; j++) {
				struct native_node *n = &c->nodes[j];

				native_node_due(&l, c, j, now, &budget);
				if (j != c->master && c->state == NATIVE_WATCHING &&
				    n->conn.state != NATIVE_CONN_CLOSED)
					open++;
				if (c->state != NATIVE_SUSPECT &&
				    n->conn.state == NATIVE_CONN_CONNECTING)
					connecting++;
				if (n->conn.wait == -1)
					wake = now;
				else if (n->conn.state == NATIVE_CONN_CLOSED ||
				         n->conn.state == NATIVE_CONN_IDLE) {
					if (n->next_ms < wake)
						wake = n->next_ms;
				} else if (n->conn.deadline_ms < wake) {
					wake = n->conn.deadline_ms;
				}
				if (np + 2 > cap) {
					cap = cap == 0 ? 64 : cap * 2;
					pfds = xreallocarray(pfds, cap, sizeof(*pfds));
					map_c = xreallocarray(map_c, cap, sizeof(*map_c));
					map_n = xreallocarray(map_n, cap, sizeof(*map_n));
				}
				if (native_conn_pollfd(&n->conn, &pfds[np])) {
					map_c[np] = i;
					map_n[np] = j;
					np++;
				}
			}
		}
		l.replica_open = open;
		l.connecting = connecting;
		if (np + 1 > cap) {
			cap = cap == 0 ? 64 : cap * 2;
			pfds = xreallocarray(pfds, cap, sizeof(*pfds));
			map_c = xreallocarray(map_c, cap, sizeof(*map_c));
			map_n = xreallocarray(map_n, cap, sizeof(*map_n));
		}
		pfds[np].fd = sfd;
		pfds[np].events = POLLIN;
		pfds[np].revents = 0;
		if (now - last_pass < NATIVE_PASS_MS) {
			struct timespec ts = {
			    0, (long)(last_pass + NATIVE_PASS_MS - now) * 1000000L};

			nanosleep(&ts, NULL);
			now = native_now_ms();
		}
		last_pass = now;
		timeout = wake <= now ? 0 : (int)(wake - now);
		if (timeout > NATIVE_RELOAD_MS)
			timeout = NATIVE_RELOAD_MS;
		if (poll(pfds, np + 1, timeout) < 0 && errno != EINTR)
			break;
		now = native_now_ms();
		if (pfds[np].revents & POLLIN) {
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				quit = 1;
		}
		/* Every connection steps: deadlines pass without any revents. */
		for (i = 0; i < np; i++) {
			struct native_cluster *c = l.clusters[map_c[i]];
			struct native_node *n = &c->nodes[map_n[i]];

			was = n->conn.state;
			native_node_event(&l, c, map_n[i],
			    native_conn_step(&n->conn, pfds[i].revents, now), was, now);
		}
		for (i = 0; i < l.n; i++) {
			struct native_cluster *c = l.clusters[i];

			if (c->state == NATIVE_FAILING_OVER || c->state == NATIVE_STOPPED)
				continue;
			for (j = 0; j < c->n_nodes; j++) {
				struct native_node *n = &c->nodes[j];

				/* Connections without an fd to watch: finished inside start, or
				 * closed. */
				if (n->conn.wait == -1) {
					was = n->conn.state == NATIVE_CONN_IDLE
					          ? NATIVE_CONN_CONNECTING
					          : n->conn.state;
					native_node_event(
					    &l, c, j, native_conn_step(&n->conn, 0, now), was, now);
				}
			}
			if (c->nodes[c->master].fails >= NATIVE_MASTER_FAILS &&
			    c->state == NATIVE_WATCHING)
				native_set_state(c, NATIVE_SUSPECT, now);
			if (c->state == NATIVE_SUSPECT)
				native_judge(&l, c, now);
			if (c->state == NATIVE_WATCHING)
				native_announce(&l, c);
			native_write_status(&l, c);
		}
		fflush(stderr);
	}
	fprintf(stderr, "mhaadm engine-native: exiting\n");
	for (i = 0; i < l.n; i++) {
		if (l.clusters[i]->fo != NULL)
			pthread_join(l.clusters[i]->fo->thread, NULL);
		native_status_remove(&l, l.clusters[i]->name);
		native_cluster_free(l.clusters[i]);
	}
	native_ssh_free(l.ssh);
	native_reader_stop(l.reader);
	free(l.clusters);
	free(pfds);
	free(map_c);
	free(map_n);
	free(l.status_dir);
	close(sfd);
	close(lockfd);
	return 0;
}
