/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live status of clusters: every node probed, the VIP holders found, a verdict with its reason. */
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "fsutil.h"
#include "gtid.h"
#include "master_verdict.h"
#include "registry.h"
#include "ssh.h"
#include "status.h"
#include "vip.h"
#include "xmalloc.h"

#define STATUS_MAX_SSH_THREADS 32

const char *
status_verdict_name(enum status_verdict v)
{
	switch (v) {
	case STATUS_OK:
		return "ok";
	case STATUS_DEGRADED:
		return "degraded";
	case STATUS_AT_RISK:
		return "at-risk";
	case STATUS_UNPROTECTED:
		return "unprotected";
	case STATUS_DOWN:
		return "down";
	}
	return "?";
}

char *
status_cache_path(const struct config *cfg)
{
	return xasprintf("%s/vip-holders.json", cfg->workdir);
}

int
status_lag_unfit(const struct probe_result *pr, int max_lag, char **why)
{
	*why = NULL;
	if (!pr->ok || !pr->is_replica)
		return 0;
	if (pr->sql_delay > 0) {
		*why = xasprintf("delayed replica (MASTER_DELAY %d s)", pr->sql_delay);
		return 1;
	}
	if (max_lag > 0 && pr->lag > max_lag) {
		*why = xasprintf("lags %lld s, more than max_lag %d s", pr->lag, max_lag);
		return 1;
	}
	return 0;
}

int
status_errant(const struct probe_result *replica, const struct probe_result *master, char **gtids)
{
	char *cause = NULL;
	int r;

	*gtids = NULL;
	if (!replica->ok || !master->ok || replica->gtid_binlog_state == NULL ||
	    master->gtid_binlog_state == NULL)
		return 0;
	/* Probed in parallel: the replica may be read after the master and hold newer of its GTIDs.
	 */
	r = gtid_errant_live(replica->gtid_binlog_state, master->gtid_binlog_state,
	    master->server_id, gtids, &cause);
	if (r < 0) {
		/* A state we cannot read proves nothing either way. */
		free(cause);
		return 0;
	}
	return r;
}

/* One host whose addresses are listed over SSH. */
struct status_host {
	const char *host; /* borrowed */
	char *addrs;      /* "ip -o -4 addr show" output, NULL on failure */
	char *error;
	long age; /* -1: asked now; else seconds since the daemon asked */
	int skip; /* taken from the cache: no SSH */
};

struct status_ssh_queue {
	const struct config *cfg;
	struct status_host *hosts;
	size_t n;
	atomic_size_t next;
};

static void *
status_ssh_worker(void *arg)
{
	struct status_ssh_queue *q = arg;
	struct ssh_target t;
	size_t i;

	while ((i = atomic_fetch_add(&q->next, 1)) < q->n) {
		if (q->hosts[i].skip)
			continue;
		ssh_target_from_config(&t, q->cfg, q->hosts[i].host, q->cfg->probe_timeout);
		if (vip_host_addrs(&t, &q->hosts[i].addrs, &q->hosts[i].error) != 0 &&
		    q->hosts[i].error == NULL)
			q->hosts[i].error = xstrdup("SSH failed");
	}
	return NULL;
}

/* Lists the addresses of n hosts in parallel; runs in its own thread next to the MySQL probes. */
static void *
status_ssh_all(void *arg)
{
	struct status_ssh_queue *q = arg;
	pthread_t threads[STATUS_MAX_SSH_THREADS];
	size_t i, started;

	for (started = 0; started < q->n && started < STATUS_MAX_SSH_THREADS; started++) {
		if (pthread_create(&threads[started], NULL, status_ssh_worker, q) != 0)
			break;
	}
	if (started == 0)
		status_ssh_worker(q);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return NULL;
}

/* The registry's "YYYY-MM-DD HH:MM:SS" (UTC) as a time, 0 when missing or malformed. */
static time_t
status_utc(const char *s)
{
	struct tm tm;
	const char *end;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	return end != NULL && *end == '\0' ? timegm(&tm) : 0;
}

/*
 * Whether host belongs to a cluster whose registry row changed since the
 * cache was written (a failover moves the VIP): then it is asked again.
 */
static int
status_changed_since(struct registry_cluster **list, size_t n, const char *host, time_t at)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < list[i]->n_nodes; j++) {
			if (strcasecmp(list[i]->nodes[j].host, host) == 0 &&
			    status_utc(list[i]->updated_at) >= at)
				return 1;
		}
	}
	return 0;
}

/* Fills hosts from a fresh cache; what it lacks stays to be asked. */
static void
status_cache_load(const struct status_opts *opts, struct status_host *hosts, size_t n,
    struct registry_cluster **list, size_t n_list)
{
	json_object *root, *at, *map, *v, *err;
	long age;
	size_t i;

	if (opts == NULL || opts->cache_read == NULL)
		return;
	root = json_object_from_file(opts->cache_read);
	if (root == NULL)
		return;
	if (json_object_object_get_ex(root, "at", &at) &&
	    json_object_object_get_ex(root, "hosts", &map)) {
		age = (long)(time(NULL) - (time_t)json_object_get_int64(at));
		for (i = 0; age >= 0 && age <= opts->max_age && i < n; i++) {
			if (!json_object_object_get_ex(map, hosts[i].host, &v) ||
			    status_changed_since(
			        list, n_list, hosts[i].host, (time_t)json_object_get_int64(at)))
				continue;
			/* A string: the host's addresses; an object: why it did not answer. */
			if (json_object_is_type(v, json_type_string)) {
				hosts[i].addrs = xstrdup(json_object_get_string(v));
			} else if (json_object_object_get_ex(v, "error", &err)) {
				hosts[i].error = xasprintf(
				    "%s (status pass %ld s ago)", json_object_get_string(err), age);
			} else {
				continue;
			}
			hosts[i].age = age;
			hosts[i].skip = 1;
		}
	}
	json_object_put(root);
}

/* Keeps what the hosts answered, and why others did not, for list; atomically, mode 0600. */
static void
status_cache_save(const struct status_opts *opts, const struct status_host *hosts, size_t n)
{
	json_object *root, *map, *e;
	const char *text;
	char *cause = NULL;
	size_t i;

	if (opts == NULL || opts->cache_write == NULL)
		return;
	root = json_object_new_object();
	map = json_object_new_object();
	json_object_object_add(root, "at", json_object_new_int64((int64_t)time(NULL)));
	for (i = 0; i < n; i++) {
		if (hosts[i].skip)
			continue;
		if (hosts[i].addrs != NULL) {
			json_object_object_add(
			    map, hosts[i].host, json_object_new_string(hosts[i].addrs));
		} else {
			e = json_object_new_object();
			json_object_object_add(e, "error",
			    json_object_new_string(
			        hosts[i].error != NULL ? hosts[i].error : "no answer"));
			json_object_object_add(map, hosts[i].host, e);
		}
	}
	json_object_object_add(root, "hosts", map);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	if (fs_write_atomic(opts->cache_write, text, strlen(text), &cause) != 0)
		free(cause);
	json_object_put(root);
}

struct status_cluster *
status_probe(const struct config *cfg, struct registry_cluster **list, size_t n,
    const struct status_opts *opts)
{
	struct probe_credentials cred = {
	    cfg->ha_user, cfg->ha_password, cfg->probe_timeout, cfg->probe_timeout};
	struct status_ssh_queue q = {0};
	struct status_cluster *sc = xcalloc(n == 0 ? 1 : n, sizeof(*sc));
	struct probe_result *pr;
	struct status_host *h;
	pthread_t ssh_thread;
	size_t total = 0, i, j, k, at = 0;
	int ssh_threaded;

	for (i = 0; i < n; i++)
		total += list[i]->n_nodes;
	pr = xcalloc(total == 0 ? 1 : total, sizeof(*pr));
	q.cfg = cfg;
	q.hosts = xcalloc(total == 0 ? 1 : total, sizeof(*q.hosts));
	for (i = 0; i < n; i++) {
		for (j = 0; j < list[i]->n_nodes; j++, at++) {
			pr[at].host = xstrdup(list[i]->nodes[j].host);
			pr[at].port = list[i]->nodes[j].port;
			for (k = 0; k < q.n; k++) {
				if (strcasecmp(q.hosts[k].host, list[i]->nodes[j].host) == 0)
					break;
			}
			if (k == q.n) {
				q.hosts[q.n].age = -1;
				q.hosts[q.n++].host = list[i]->nodes[j].host;
			}
		}
	}
	if (opts != NULL && opts->mysql_only) {
		probe_many(pr, total, &cred);
	} else {
		status_cache_load(opts, q.hosts, q.n, list, n);
		atomic_init(&q.next, 0);
		ssh_threaded = pthread_create(&ssh_thread, NULL, status_ssh_all, &q) == 0;
		probe_many(pr, total, &cred);
		if (ssh_threaded)
			pthread_join(ssh_thread, NULL);
		else
			status_ssh_all(&q);
		status_cache_save(opts, q.hosts, q.n);
	}

	for (i = 0, at = 0; i < n; i++) {
		sc[i].c = list[i];
		sc[i].vip_age = -1;
		sc[i].nodes =
		    xcalloc(list[i]->n_nodes == 0 ? 1 : list[i]->n_nodes, sizeof(*sc[i].nodes));
		for (j = 0; j < list[i]->n_nodes; j++, at++) {
			sc[i].nodes[j].probe = pr[at]; /* ownership moves */
			sc[i].nodes[j].holds_vip = -1;
			for (k = 0; k < q.n; k++) {
				h = &q.hosts[k];
				if (strcasecmp(h->host, list[i]->nodes[j].host) != 0)
					continue;
				if (h->age > sc[i].vip_age)
					sc[i].vip_age = h->age;
				if (h->addrs != NULL)
					sc[i].nodes[j].holds_vip =
					    vip_addrs_have(h->addrs, list[i]->vip);
				else
					sc[i].nodes[j].ssh_error =
					    h->error != NULL ? xstrdup(h->error) : NULL;
				break;
			}
		}
	}
	for (k = 0; k < q.n; k++) {
		free(q.hosts[k].addrs);
		free(q.hosts[k].error);
	}
	free(q.hosts);
	free(pr);
	return sc;
}

/* Adds a finding; fix may be NULL. The formats must never carry a password. */
static void __attribute__((format(printf, 5, 6))) status_add(struct status_cluster *sc,
    enum status_verdict severity, const char *kind, const char *node, const char *fmt, ...)
{
	struct status_finding *f;
	va_list ap;

	sc->findings = xreallocarray(sc->findings, sc->n_findings + 1, sizeof(*sc->findings));
	f = &sc->findings[sc->n_findings++];
	memset(f, 0, sizeof(*f));
	f->severity = severity;
	f->kind = xstrdup(kind);
	f->node = node != NULL ? xstrdup(node) : NULL;
	va_start(ap, fmt);
	f->what = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Sets the fix of the newest finding. */
static void __attribute__((format(printf, 2, 3)))
status_fix(struct status_cluster *sc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sc->findings[sc->n_findings - 1].fix = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Whether a replica's source is the registry's master (by server_id when both are known). */
static int
status_same_source(const struct probe_result *replica, const struct registry_node *master,
    const struct probe_result *mpr)
{
	if (replica->master_server_id != 0 && mpr->ok && mpr->server_id != 0)
		return replica->master_server_id == mpr->server_id;
	return replica->master_host != NULL &&
	       strcasecmp(replica->master_host, master->host) == 0 &&
	       replica->master_port == master->port;
}

/* Whether a peer connected to the master is one of the cluster's registered nodes. */
static int
status_registered(const struct registry_cluster *c, const struct probe_peer *p)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (strcasecmp(c->nodes[i].host, p->host) == 0 &&
		    (p->port == 0 || p->port == c->nodes[i].port))
			return 1;
	}
	return 0;
}

/*
 * The replicas' view of a master the manager cannot reach, from this one
 * probe (no sample: an IO thread running against it counts as receiving,
 * see master_verdict_decide). *why is newly allocated.
 */
static enum master_verdict
status_master_seen(const struct status_cluster *sc, const struct registry_node *master, char **why)
{
	struct master_observation *obs;
	char **names;
	size_t i, n = 0;
	enum master_verdict v;

	obs = xcalloc(sc->c->n_nodes == 0 ? 1 : sc->c->n_nodes, sizeof(*obs));
	names = xcalloc(sc->c->n_nodes == 0 ? 1 : sc->c->n_nodes, sizeof(*names));
	for (i = 0; i < sc->c->n_nodes; i++) {
		const struct probe_result *pr = &sc->nodes[i].probe;

		if (sc->c->nodes[i].role != REGISTRY_ROLE_REPLICA)
			continue;
		names[n] = xasprintf("%s:%d", sc->c->nodes[i].host, sc->c->nodes[i].port);
		obs[n].node = names[n];
		obs[n].reachable = pr->ok;
		obs[n].from_master = pr->is_replica && pr->master_host != NULL &&
		                     strcasecmp(pr->master_host, master->host) == 0 &&
		                     pr->master_port == master->port;
		obs[n].io_running = pr->io_running;
		obs[n].moved = -1;
		n++;
	}
	v = master_verdict_decide(obs, n, why);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(obs);
	return v;
}

static void
status_judge_replica(struct status_cluster *sc, size_t i, const struct registry_node *master,
    const struct status_node *msn, int max_lag, const char *left_out)
{
	const struct registry_node *nd = &sc->c->nodes[i];
	struct status_node *sn = &sc->nodes[i];
	const struct probe_result *pr = &sn->probe;
	char hp[300], *why = NULL;

	snprintf(hp, sizeof(hp), "%s:%d", nd->host, nd->port);
	sc->replicas++;
	sn->left_out = status_has_line(left_out, hp);
	if (!pr->ok) {
		sn->unfit = xasprintf("unreachable: %s", pr->error != NULL ? pr->error : "?");
		status_add(sc, STATUS_DEGRADED, "replica.unreachable", hp,
		    "replica %s unreachable: %s", hp, pr->error != NULL ? pr->error : "?");
		status_fix(sc, "check mysqld and the network on %s", nd->host);
		return;
	}
	if (!pr->is_replica) {
		sn->unfit = xstrdup("not replicating");
		status_add(sc, STATUS_DEGRADED, "drift.replica_not_replicating", hp,
		    "replica %s is not replicating from anywhere", hp);
		status_fix(sc, "point it at the master %s:%d (CHANGE MASTER TO ...; START SLAVE)",
		    master != NULL ? master->host : "?", master != NULL ? master->port : 0);
		return;
	}
	if (master != NULL && !status_same_source(pr, master, &msn->probe)) {
		sn->unfit = xasprintf("replicates from %s:%d, not from the master",
		    pr->master_host != NULL ? pr->master_host : "?", pr->master_port);
		status_add(sc, STATUS_DEGRADED, "drift.replica_source", hp,
		    "replica %s replicates from %s:%d, not from the registry's master %s:%d", hp,
		    pr->master_host != NULL ? pr->master_host : "?", pr->master_port, master->host,
		    master->port);
		status_fix(sc,
		    "re-point it at %s:%d, or fix the registry if that is the real master",
		    master->host, master->port);
		return;
	}
	if (msn != NULL && status_errant(pr, &msn->probe, &why)) {
		sn->unfit = xasprintf("errant transactions: %s", why);
		status_add(sc, STATUS_DEGRADED, "replica.errant", hp,
		    "replica %s holds transactions its master %s:%d never had: %s", hp,
		    master->host, master->port, why);
		status_fix(sc,
		    "it is never promoted meanwhile; on %s, see them with mariadb-binlog; "
		    "if the master needs them, replay them there; if not, undo them with "
		    "sql_log_bin=0 and RESET MASTER on the replica (its own binlog only)",
		    nd->host);
		free(why);
		if (pr->io_running && pr->sql_running)
			sc->running++;
		return;
	}
	if (pr->io_running && pr->sql_running)
		sc->running++;
	if (!pr->io_running || !pr->sql_running) {
		sn->unfit = xasprintf("%s thread%s stopped",
		    !pr->io_running && !pr->sql_running ? "IO and SQL"
		    : !pr->io_running                   ? "IO"
		                                        : "SQL",
		    !pr->io_running && !pr->sql_running ? "s" : "");
		status_add(sc, STATUS_DEGRADED,
		    !pr->sql_running ? "replica.sql_stopped" : "replica.io_stopped", hp,
		    "replica %s: %s%s%s", hp, sn->unfit, pr->last_error != NULL ? ": " : "",
		    pr->last_error != NULL ? pr->last_error : "");
		status_fix(sc, "fix the error, then START SLAVE on %s", nd->host);
		return;
	}
	if (pr->lag > sc->max_lag)
		sc->max_lag = pr->lag;
	sn->caught_up = pr->lag >= 0 && (max_lag > 0 ? pr->lag <= max_lag : pr->lag == 0);
	if (sn->left_out) {
		/* The engine does not watch it: promoting it is not what the engine would do. */
		sn->unfit =
		    xstrdup("left out by the engine while it was unreachable; taken back in "
		            "once it has caught up");
		return;
	}
	if (status_lag_unfit(pr, max_lag, &why)) {
		sn->unfit = why;
		if (pr->sql_delay == 0) {
			status_add(
			    sc, STATUS_DEGRADED, "lag.exceeded", hp, "replica %s %s", hp, why);
			status_fix(sc,
			    "find what holds its SQL thread back; it is not promoted meanwhile");
		}
		return;
	}
	if (nd->no_master) {
		sn->unfit = xstrdup("registered as never to be promoted (no_master)");
		return;
	}
	if (!pr->log_bin) {
		sn->unfit = xstrdup("log_bin is off");
		return;
	}
	sn->promotable = 1;
	sc->fit++;
}

static void
status_judge_vip(struct status_cluster *sc, const struct registry_node *master)
{
	char holders[512] = "";
	size_t i, n = 0, unknown = 0, len;
	int on_master = 0;

	for (i = 0; i < sc->c->n_nodes; i++) {
		if (sc->nodes[i].holds_vip < 0) {
			unknown++;
			continue;
		}
		if (sc->nodes[i].holds_vip == 0)
			continue;
		n++;
		if (&sc->c->nodes[i] == master)
			on_master = 1;
		len = strlen(holders);
		snprintf(holders + len, sizeof(holders) - len, "%s%s", len ? ", " : "",
		    sc->c->nodes[i].host);
	}
	if (n > 1) {
		status_add(sc, STATUS_AT_RISK, "drift.vip_split", NULL,
		    "VIP %s is held by %zu hosts at once: %s", sc->c->vip, n, holders);
		status_fix(sc,
		    "remove it everywhere but on the master %s ('ip addr del %s/%d dev %s')",
		    master != NULL ? master->host : "?", sc->c->vip, sc->c->vip_prefix,
		    sc->c->iface);
	} else if (n == 1 && !on_master) {
		status_add(sc, STATUS_AT_RISK, "drift.vip_elsewhere", NULL,
		    "VIP %s is held by %s, not by the master %s", sc->c->vip, holders,
		    master != NULL ? master->host : "?");
		status_fix(sc,
		    "remove it there ('ip addr del %s/%d dev %s'); mhaadm binds it on the "
		    "master when monitoring (re)starts",
		    sc->c->vip, sc->c->vip_prefix, sc->c->iface);
	} else if (n == 0 && unknown == 0) {
		status_add(sc, STATUS_AT_RISK, "drift.vip_missing", NULL,
		    "VIP %s is held by no host: clients cannot reach the master through it",
		    sc->c->vip);
		status_fix(sc,
		    "'mhaadm start %s' binds it on the master, or 'ip addr add %s/%d dev "
		    "%s' there",
		    sc->c->name, sc->c->vip, sc->c->vip_prefix, sc->c->iface);
	} else if (n == 0) {
		status_add(sc, STATUS_DEGRADED, "vip.unknown", NULL,
		    "cannot tell who holds VIP %s: %zu host%s did not answer over SSH", sc->c->vip,
		    unknown, unknown == 1 ? "" : "s");
	}
}

static void
status_judge_monitor(struct status_cluster *sc, const struct status_monitor *mon)
{
	const struct registry_cluster *c = sc->c;

	if (c->desired != REGISTRY_DESIRED_MONITORED) {
		status_add(sc, STATUS_UNPROTECTED, "monitoring.off", NULL,
		    "not monitored (state %s): no automatic failover",
		    registry_state_name(c->state));
		status_fix(sc, "mhaadm start %s", c->name);
	} else if (c->state == REGISTRY_STATE_UNPROTECTED) {
		if (mon->problem != NULL)
			status_add(sc, STATUS_UNPROTECTED, "cluster.unprotected", NULL,
			    "left unprotected: %s", mon->problem);
		else
			status_add(sc, STATUS_UNPROTECTED, "cluster.unprotected", NULL,
			    "left unprotected after a failover problem (see 'mhaadm history %s')",
			    c->name);
		status_fix(sc, "repair it, then 'mhaadm start %s'", c->name);
	} else if (!mon->running && mon->problem != NULL) {
		status_add(sc, STATUS_UNPROTECTED, "monitoring.down", NULL,
		    "no engine is running: %s", mon->problem);
	} else if (!mon->running) {
		status_add(sc, STATUS_UNPROTECTED, "monitoring.down", NULL,
		    "no engine is running for it (is 'mhaadm daemon' running on this host?)");
	} else if (mon->failing_over && mon->suspecting && sc->partitioned) {
		/* The engine's pings fail, the replicas' view vetoes the failover. */
		status_add(sc, STATUS_DEGRADED, "monitoring.starting", NULL,
		    "its engine cannot reach the master (%s); its replicas still receive from it: "
		    "no failover",
		    mon->health != NULL ? mon->health : "failing");
	} else if (mon->failing_over) {
		status_add(sc, STATUS_AT_RISK, "failover.running", NULL, "a failover is running");
	} else if (!mon->health_ok) {
		status_add(sc, STATUS_DEGRADED, "monitoring.starting", NULL, "the engine is %s",
		    mon->health != NULL ? mon->health : "starting");
	}
	if (mon->error_marker != NULL) {
		status_add(sc, STATUS_AT_RISK, "failover.error_marker", NULL,
		    "the engine's failed-failover marker %s exists: it refuses to fail over again",
		    mon->error_marker);
		status_fix(
		    sc, "inspect the cluster, remove the marker, then 'mhaadm start %s'", c->name);
	}
}

/*
 * The isolation guard as the master and replicas report it. A master that
 * no replica acknowledges stalls every commit: that is the guard doing its
 * work while the master is cut off, and an outage when the replicas are
 * merely down; either way the DBA must know at once.
 */
static void
status_judge_guard(
    struct status_cluster *sc, const struct registry_node *master, const struct status_node *msn)
{
	const struct probe_semisync *ss;
	char hp[300];
	size_t i, following = 0;

	sc->guard = "unknown";
	sc->guard_acks = -1;
	if (master == NULL || !msn->probe.ok || !msn->probe.semisync.known)
		return;
	ss = &msn->probe.semisync;
	snprintf(hp, sizeof(hp), "%s:%d", master->host, master->port);
	sc->guard_acks = ss->clients;
	if (!ss->master_enabled) {
		sc->guard = "off";
		if (sc->guard_wanted) {
			status_add(sc, STATUS_DEGRADED, "guard.off", hp,
			    "isolation guard wanted (semisync) but semi-sync is off on the master "
			    "%s: "
			    "if it is cut off, it acknowledges writes a failover loses",
			    hp);
			status_fix(sc,
			    "'mhaadm start %s' sets it up; the daemon's status pass "
			    "repairs it",
			    sc->c->name);
		}
		return;
	}
	/*
	 * The master's count of acknowledging replicas drops only when its dump
	 * thread next writes to a dead replica (a heartbeat, up to
	 * slave_net_timeout/2 = 30 s later, measured ~60 s after kill -9 of
	 * every replica); commits that wait while no replica the manager sees
	 * follows the master are a stall now.
	 */
	for (i = 0; i < sc->c->n_nodes; i++) {
		const struct probe_result *pr = &sc->nodes[i].probe;

		if (sc->c->nodes[i].role == REGISTRY_ROLE_REPLICA && pr->ok && pr->io_running &&
		    status_same_source(pr, master, &msn->probe))
			following++;
	}
	if (ss->clients == 0 || (ss->wait_sessions > 0 && following == 0)) {
		sc->guard = "stalled";
		sc->guard_stalled = 1;
		if (ss->wait_sessions > 0)
			status_add(sc, STATUS_DOWN, "guard.stalled", hp,
			    "no replica acknowledges semi-sync commits on the master %s: %ld "
			    "session%s wait%s, writes stall (isolation guard)",
			    hp, ss->wait_sessions, ss->wait_sessions == 1 ? "" : "s",
			    ss->wait_sessions == 1 ? "s" : "");
		else
			status_add(sc, STATUS_AT_RISK, "guard.stalled", hp,
			    "no replica acknowledges semi-sync commits on the master %s: the next "
			    "write stalls (isolation guard)",
			    hp);
		status_fix(sc,
		    "bring a replica back (START SLAVE); or wait; or set "
		    "semisync_fallback_seconds for '%s' to let mhaadm fall back to async "
		    "(re-opens the split-brain window)",
		    sc->c->name);
		return;
	}
	if (!ss->master_on) {
		sc->guard = "async";
		status_add(sc, STATUS_AT_RISK, "guard.async", hp,
		    "semi-sync on the master %s fell back to async (timeout %llu ms): the "
		    "isolation "
		    "guard is off",
		    hp, ss->timeout_ms);
		status_fix(sc, "'mhaadm start %s' sets the guard's timeout", sc->c->name);
		return;
	}
	sc->guard = "semisync";
	for (i = 0; sc->guard_wanted && i < sc->c->n_nodes; i++) {
		const struct probe_result *pr = &sc->nodes[i].probe;

		if (sc->c->nodes[i].role != REGISTRY_ROLE_REPLICA || !pr->ok ||
		    !pr->semisync.known || pr->semisync.slave_enabled)
			continue;
		snprintf(hp, sizeof(hp), "%s:%d", sc->c->nodes[i].host, sc->c->nodes[i].port);
		status_add(sc, STATUS_DEGRADED, "guard.replica_off", hp,
		    "replica %s does not acknowledge semi-sync commits "
		    "(rpl_semi_sync_slave_enabled "
		    "is off)",
		    hp);
		status_fix(
		    sc, "the daemon's status pass turns it on; or 'mhaadm start %s'", sc->c->name);
	}
}

void
status_judge(struct status_cluster *sc, const struct status_monitor *mon, int max_lag)
{
	const struct registry_cluster *c = sc->c;
	const struct registry_node *master = NULL;
	const struct status_node *msn = NULL;
	const struct probe_result *mpr;
	char hp[300], *why = NULL;
	size_t i, worst = 0;

	sc->max_lag = -1;
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER) {
			master = &c->nodes[i];
			msn = &sc->nodes[i];
		}
	}
	if (master == NULL) {
		status_add(sc, STATUS_DOWN, "drift.no_master", NULL,
		    "the registry names no master for the cluster");
	} else {
		mpr = &msn->probe;
		snprintf(hp, sizeof(hp), "%s:%d", master->host, master->port);
		if (!mpr->ok && status_master_seen(sc, master, &why) == MASTER_ALIVE) {
			status_add(sc, STATUS_DEGRADED, "master.unreachable_from_manager", hp,
			    "master %s unreachable from this manager host (%s), but %s: writes "
			    "still "
			    "work, no failover",
			    hp, mpr->error != NULL ? mpr->error : "?", why);
			status_fix(sc,
			    "check the network between this host and %s (routes, firewall)",
			    master->host);
			free(why);
			sc->partitioned = 1;
		} else if (!mpr->ok) {
			free(why);
			status_add(sc, STATUS_DOWN, "master.unreachable", hp,
			    "master %s unreachable: %s", hp, mpr->error != NULL ? mpr->error : "?");
			status_fix(sc, "if monitored, its engine fails it over; otherwise check %s",
			    master->host);
		} else if (mpr->read_only) {
			status_add(sc, STATUS_DOWN, "drift.master_read_only", hp,
			    "the registry's master %s is read_only: writes fail", hp);
			status_fix(sc,
			    "SET GLOBAL read_only=0 on %s if it is the real master, or fix "
			    "the registry",
			    master->host);
		} else if (mpr->is_replica) {
			status_add(sc, STATUS_AT_RISK, "drift.master_replicates", hp,
			    "the master %s itself replicates from %s:%d", hp,
			    mpr->master_host != NULL ? mpr->master_host : "?", mpr->master_port);
			status_fix(sc, "STOP SLAVE; RESET SLAVE ALL on %s if it is the real master",
			    master->host);
		}
		for (i = 0; mpr->ok && i < mpr->n_peers; i++) {
			if (status_registered(c, &mpr->peers[i]))
				continue;
			status_add(sc, STATUS_DEGRADED, "drift.unregistered_replica", NULL,
			    "%s replicates from the master but is not a node of the cluster",
			    mpr->peers[i].host);
			status_fix(sc,
			    "register it (mhaadm del, then add with every --node), or stop "
			    "its replication");
		}
	}
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_REPLICA)
			status_judge_replica(sc, i, master, msn, max_lag, mon->left_out);
	}
	if (master != NULL && sc->replicas > 0 && sc->fit == 0) {
		status_add(sc, STATUS_AT_RISK, "promotion.no_candidate", NULL,
		    "no replica may be promoted: a failover now would fail");
		status_fix(sc, "see the replicas' PROMOTION column in 'mhaadm list %s'", c->name);
	} else if (master != NULL && sc->replicas == 0) {
		status_add(sc, STATUS_AT_RISK, "promotion.no_candidate", NULL,
		    "no replica left: nothing to fail over to");
		status_fix(sc, "add a replica");
	}
	status_judge_vip(sc, master);
	status_judge_monitor(sc, mon);
	status_judge_guard(sc, master, msn);
	if (master != NULL && sc->selffence_wanted && sc->selffence_running == 0) {
		snprintf(hp, sizeof(hp), "%s:%d", master->host, master->port);
		status_add(sc, STATUS_DEGRADED, "selffence.not_running", hp,
		    "self_fence is on but no self-fence agent runs on the master %s: cut off, it "
		    "would go on acknowledging writes",
		    hp);
		status_fix(sc, "mhaadm start %s (installs the agent)", c->name);
	}

	sc->verdict = STATUS_OK;
	for (i = 0; i < sc->n_findings; i++) {
		if (sc->findings[i].severity > sc->verdict) {
			sc->verdict = sc->findings[i].severity;
			worst = i;
		}
	}
	if (sc->n_findings == 0)
		sc->reason = xstrdup("healthy");
	else if (sc->n_findings == 1)
		sc->reason = xstrdup(sc->findings[worst].what);
	else
		sc->reason =
		    xasprintf("%s (and %zu more)", sc->findings[worst].what, sc->n_findings - 1);
}

int
status_has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *s = text;

	while (s != NULL && *s != '\0') {
		if (strncmp(s, line, len) == 0 && (s[len] == '\n' || s[len] == '\0'))
			return 1;
		s = strchr(s, '\n');
		if (s != NULL)
			s++;
	}
	return 0;
}

/*
 * Readiness is what the engine would do with the master dying now: an
 * engine that monitors it, no marker that makes it refuse, a master it
 * watches, and a replica it may promote. Dead or left-out replicas are no
 * obstacle (the MHA engine renders ignore_fail=1 on every replica, see
 * docs/mha.md; the native engine promotes among the live ones); they only
 * do not count as candidates.
 */
int
status_failover_ready(const struct status_cluster *sc, const struct status_monitor *mon, char **why)
{
	const struct registry_cluster *c = sc->c;
	size_t i;
	int has_master = 0;

	*why = NULL;
	for (i = 0; i < c->n_nodes; i++)
		has_master |= c->nodes[i].role == REGISTRY_ROLE_MASTER;
	if (c->desired != REGISTRY_DESIRED_MONITORED) {
		*why = xstrdup("not monitored: no automatic failover");
		return 0;
	}
	if (c->state == REGISTRY_STATE_FAILING_OVER || mon->failing_over)
		return -1;
	if (c->state == REGISTRY_STATE_UNPROTECTED) {
		*why = xstrdup("left unprotected: the engine does not monitor it");
		return 0;
	}
	if (!mon->running) {
		*why = xasprintf("the engine is not running%s%s", mon->problem != NULL ? ": " : "",
		    mon->problem != NULL ? mon->problem : "");
		return 0;
	}
	if (!mon->health_ok)
		return -1;
	if (mon->error_marker != NULL) {
		*why =
		    xasprintf("the failed-failover marker %s makes the engine refuse to fail over",
		        mon->error_marker);
		return 0;
	}
	if (!has_master) {
		*why = xstrdup("the registry names no master");
		return 0;
	}
	if (sc->fit == 0) {
		*why = xasprintf("no replica may be promoted (%zu replica%s, none fit: see the "
		                 "PROMOTION column of 'mhaadm list %s')",
		    sc->replicas, sc->replicas == 1 ? "" : "s", c->name);
		return 0;
	}
	return 1;
}

void
status_free(struct status_cluster *sc, size_t n)
{
	size_t i, j;

	if (sc == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; sc[i].c != NULL && j < sc[i].c->n_nodes; j++) {
			probe_result_clear(&sc[i].nodes[j].probe);
			free(sc[i].nodes[j].ssh_error);
			free(sc[i].nodes[j].unfit);
		}
		free(sc[i].nodes);
		for (j = 0; j < sc[i].n_findings; j++) {
			free(sc[i].findings[j].kind);
			free(sc[i].findings[j].node);
			free(sc[i].findings[j].what);
			free(sc[i].findings[j].fix);
		}
		free(sc[i].findings);
		free(sc[i].reason);
	}
	free(sc);
}
