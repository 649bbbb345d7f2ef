/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The native promotion, run in a thread of its own so that the monitoring
 * loop keeps watching every other cluster meanwhile: pick the most
 * advanced eligible replica, let it apply what it received, make it a
 * master, move the VIP, open writes, repoint the other replicas in
 * parallel, record it. Every step before writes open leaves the cluster
 * read-only when it fails: never two writable servers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "gtid.h"
#include "lease.h"
#include "native-salvage.h"
#include "native-sql.h"
#include "native-sync.h"
#include "native.h"
#include "registry.h"
#include "xmalloc.h"

/* Seconds a failover connect may take. */
#define NATIVE_PROMOTE_TIMEOUT 2
/*
 * Seconds a failover statement may take. STOP SLAVE waits for an IO thread
 * that is connecting to a cut-off master: up to its connect timeout
 * (slave_net_timeout, 2 s; a link cut in the lab lost the candidate at a
 * 2 s bound). Above the drain's own bound so that MASTER_GTID_WAIT answers.
 */
#define NATIVE_PROMOTE_STATEMENT 15
/* Seconds the candidate may take to apply its relay log before we give up (safe: nothing moved). */
#define NATIVE_PROMOTE_DRAIN 10

unsigned long long
native_gtid_score(const char *pos)
{
	unsigned long long sum = 0, d, s, n;
	const char *p = pos;
	int used;

	while (p != NULL && *p != '\0') {
		if (sscanf(p, "%llu-%llu-%llu%n", &d, &s, &n, &used) != 3)
			break;
		sum += n;
		p += used;
		while (*p == ',' || *p == ' ' || *p == '\n')
			p++;
	}
	return sum;
}

/* The sequence number of domain in pos, or -1 when pos has no such domain. */
static long long
native_gtid_seq(const char *pos, unsigned long long domain)
{
	unsigned long long d, s, n;
	const char *p = pos;
	int used;

	while (p != NULL && *p != '\0') {
		if (sscanf(p, "%llu-%llu-%llu%n", &d, &s, &n, &used) != 3)
			break;
		if (d == domain)
			return (long long)n;
		p += used;
		while (*p == ',' || *p == ' ' || *p == '\n')
			p++;
	}
	return -1;
}

int
native_gtid_covers(const char *a, const char *b)
{
	unsigned long long d, s, n;
	const char *p = b;
	int used;

	while (p != NULL && *p != '\0') {
		if (sscanf(p, "%llu-%llu-%llu%n", &d, &s, &n, &used) != 3)
			break;
		if (native_gtid_seq(a, d) < (long long)n)
			return 0;
		p += used;
		while (*p == ',' || *p == ' ' || *p == '\n')
			p++;
	}
	return 1;
}

/* One replica's live view at the start of the failover. */
struct native_promote_node {
	MYSQL *m;
	char *why_not; /* why it may not be promoted, NULL when it may */
	char gtid_io_pos[512];
	char master_log_file[256]; /* the old master's binlog its IO thread was reading */
	long long sql_delay;
	char *errant; /* GTIDs the master never had, NULL none */
};

struct native_repoint {
	struct native_failover *fo;
	size_t node;
	MYSQL *m;
	pthread_t thread;
	char *error;
};

/* Reads SHOW SLAVE STATUS again on a connected replica; 0 or -1 with *cause. */
static int
native_promote_read(MYSQL *m, struct native_promote_node *pn, char **cause)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row = NULL;
	const char *v;
	int r;

	r = native_sync_row(
	    m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_REPLICA_STATUS), &res, &row, cause);
	if (r != 0) {
		if (r == 1)
			*cause = xstrdup("not a replica");
		if (res != NULL)
			mysql_free_result(res);
		return -1;
	}
	v = native_conn_field(res, row, "Gtid_IO_Pos");
	snprintf(pn->gtid_io_pos, sizeof(pn->gtid_io_pos), "%s", v != NULL ? v : "");
	v = native_conn_field(res, row, "Master_Log_File");
	snprintf(pn->master_log_file, sizeof(pn->master_log_file), "%s", v != NULL ? v : "");
	v = native_conn_field(res, row, "SQL_Delay");
	pn->sql_delay = v != NULL ? atoll(v) : 0;
	v = native_conn_field(res, row, "Using_Gtid");
	r = v != NULL && strcmp(v, "No") != 0;
	mysql_free_result(res);
	if (!r) {
		*cause = xstrdup("does not replicate with GTID");
		return -1;
	}
	return 0;
}

/*
 * The errant check of one replica against the master's GTID state as the
 * loop last saw it: 0 clean (or nothing to compare with), 1 errant with
 * pn->errant, -1 with *cause (it could not be read: not promoted either).
 */
static int
native_promote_errant(
    MYSQL *m, const struct native_cluster *c, struct native_promote_node *pn, char **cause)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row = NULL;
	int r;

	if (c->master_gtid == NULL)
		return 0;
	r = native_sync_row(
	    m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_BINLOG_STATE), &res, &row, cause);
	if (r != 0) {
		if (r == 1)
			*cause = xstrdup("no @@gtid_binlog_state");
		if (res != NULL)
			mysql_free_result(res);
		return -1;
	}
	r = gtid_errant_live(row[0] != NULL ? row[0] : "", c->master_gtid,
	    c->master_server_id > 0 ? (unsigned long)c->master_server_id : 0, &pn->errant, cause);
	mysql_free_result(res);
	return r;
}

static void *
native_repoint_thread(void *arg)
{
	struct native_repoint *rp = arg;
	struct native_failover *fo = rp->fo;
	const struct native_node *nm = &fo->snap.nodes[fo->new_master];
	char *cause = NULL, user[256], pass[512], sql[2048];
	const char *repl_pass = fo->cfg->repl_password != NULL ? fo->cfg->repl_password : "";
	const char *repl_user = fo->cfg->repl_user != NULL ? fo->cfg->repl_user : "";

	if (strlen(repl_user) * 2 + 1 > sizeof(user) || strlen(repl_pass) * 2 + 1 > sizeof(pass)) {
		rp->error = xstrdup("replication credentials too long");
		return NULL;
	}
	mysql_real_escape_string(rp->m, user, repl_user, (unsigned long)strlen(repl_user));
	mysql_real_escape_string(rp->m, pass, repl_pass, (unsigned long)strlen(repl_pass));
	native_sql_format(sql, sizeof(sql), NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_CHANGE_SOURCE,
	    nm->host, nm->port, user, pass);
	if (native_sync_exec(
	        rp->m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_STOP_REPLICA), &cause) != 0 ||
	    native_sync_exec(rp->m, sql, &cause) != 0 ||
	    native_sync_exec(
	        rp->m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_START_REPLICA), &cause) != 0)
		rp->error = cause;
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(sql, sizeof(sql));
	return NULL;
}

static void
native_promote_mark(struct native_failover *fo, int phase)
{
	if (phase >= 0 && phase < 8)
		fo->phase_ms[phase] = native_now_ms() - fo->started_ms;
}

/*
 * Connects to every replica and picks the most advanced one that may be
 * promoted (lag, delay, no_master, GTID, errant check); pn[i] keeps each
 * connection. Returns its index, or (size_t)-1 with fo->reason.
 */
static size_t
native_promote_choose(
    struct native_failover *fo, struct registry *reg, struct native_promote_node *pn)
{
	struct native_cluster *c = &fo->snap;
	const struct config *cfg = fo->cfg;
	char *cause = NULL, *msg = NULL;
	unsigned long long score, best_score = 0;
	size_t i, best = (size_t)-1;
	int r;

	if (c->master_gtid == NULL)
		event_emit(reg, c->name, NULL, "failover.errant_unchecked",
		    "the master's GTID state was never read (it died before its first probe): "
		    "the candidates are NOT checked for errant transactions");
	/* The live view of every replica; the most advanced eligible one is promoted. */
	for (i = 0; i < c->n_nodes; i++) {
		struct native_node *n = &c->nodes[i];

		if (i == c->master)
			continue;
		pn[i].m = native_sync_connect(n->host, n->port, cfg->ha_user, cfg->ha_password,
		    NATIVE_PROMOTE_TIMEOUT, NATIVE_PROMOTE_STATEMENT, &cause);
		if (pn[i].m == NULL || native_promote_read(pn[i].m, &pn[i], &cause) != 0) {
			pn[i].why_not = cause;
			cause = NULL;
			continue;
		}
		r = native_promote_errant(pn[i].m, c, &pn[i], &cause);
		if (r != 0) {
			pn[i].why_not = r > 0 ? xasprintf("errant transactions: it holds %s, which "
			                                  "the master never had",
			                            pn[i].errant)
			                      : xasprintf("errant check failed: %s", cause);
			free(cause);
			cause = NULL;
			if (r > 0)
				event_emit_fields(reg, c->name, NULL, "failover.candidate_errant",
				    EVENT_FIELDS("node", EVENT_ADDR(n->host, n->port), "errant",
				        pn[i].errant),
				    "replica %s:%d is never promoted: it holds transactions the "
				    "master never had (%s); remove them on it (or reset its binlog "
				    "state) after the failover",
				    n->host, n->port, pn[i].errant);
			continue;
		}
		if (n->no_master)
			pn[i].why_not = xstrdup("no_master is set");
		else if (pn[i].sql_delay > 0)
			pn[i].why_not =
			    xasprintf("delayed replica (MASTER_DELAY %lld s)", pn[i].sql_delay);
		else if (cfg->max_lag > 0 && n->s.lag > cfg->max_lag)
			pn[i].why_not =
			    xasprintf("%lld s behind before the master died (max_lag %d)", n->s.lag,
			        cfg->max_lag);
		if (pn[i].why_not != NULL)
			continue;
		score = native_gtid_score(pn[i].gtid_io_pos);
		if (best == (size_t)-1 || score > best_score ||
		    (score == best_score && n->candidate && !c->nodes[best].candidate)) {
			best = i;
			best_score = score;
		}
	}
	if (best == (size_t)-1) {
		fo->reason = xstrdup("no replica may be promoted:");
		for (i = 0; i < c->n_nodes; i++) {
			if (i == c->master)
				continue;
			msg = xasprintf("%s %s:%d %s;", fo->reason, c->nodes[i].host,
			    c->nodes[i].port, pn[i].why_not != NULL ? pn[i].why_not : "?");
			free(fo->reason);
			fo->reason = msg;
			msg = NULL;
		}
		return (size_t)-1;
	}
	return best;
}

/*
 * Takes up a failover a killed engine left (fo->resume >= PROMOTE): the
 * journal's candidate and no other. Connects to every replica; *reset is
 * set when the candidate no longer replicates (RESET SLAVE ALL was done),
 * else its Gtid_IO_Pos is read for the drain. A candidate that does not
 * answer, or an old master that answers again before writes were opened,
 * stops it here (nothing more is changed). 0, or -1 with fo->reason.
 */
static int
native_promote_resume(struct native_failover *fo, struct native_promote_node *pn, int *reset)
{
	struct native_cluster *c = &fo->snap;
	const struct config *cfg = fo->cfg;
	const struct native_node *nm = &c->nodes[fo->new_master], *old = &c->nodes[c->master];
	MYSQL_RES *res = NULL;
	MYSQL_ROW row = NULL;
	MYSQL *m;
	char *cause = NULL;
	size_t i;
	int r;

	*reset = 0;
	for (i = 0; i < c->n_nodes; i++) {
		if (i == c->master)
			continue;
		pn[i].m = native_sync_connect(c->nodes[i].host, c->nodes[i].port, cfg->ha_user,
		    cfg->ha_password, NATIVE_PROMOTE_TIMEOUT, NATIVE_PROMOTE_STATEMENT, &cause);
		pn[i].why_not = cause; /* NULL when it answered */
		cause = NULL;
	}
	if (pn[fo->new_master].m == NULL) {
		fo->reason =
		    xasprintf("the interrupted failover's new master %s:%d does not answer; "
		              "no other replica is promoted (it may be half-promoted: "
		              "replication reset, read-only)",
		        nm->host, nm->port);
		return -1;
	}
	if (fo->resume < NATIVE_PHASE_OPEN) {
		m = native_sync_connect(old->host, old->port, cfg->ha_user, cfg->ha_password,
		    NATIVE_PROMOTE_TIMEOUT, 0, &cause);
		free(cause);
		cause = NULL;
		if (m != NULL) {
			mysql_close(m);
			fo->reason = xasprintf(
			    "the old master %s:%d answers again: the interrupted failover is not "
			    "finished; the new master %s:%d was NOT opened for writes (read-only)",
			    old->host, old->port, nm->host, nm->port);
			return -1;
		}
	}
	r = native_sync_row(pn[fo->new_master].m,
	    native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_REPLICA_STATUS), &res, &row, &cause);
	if (res != NULL)
		mysql_free_result(res);
	if (r == 1) {
		*reset = 1;
		return 0;
	}
	if (r == 0 && native_promote_read(pn[fo->new_master].m, &pn[fo->new_master], &cause) == 0)
		return 0;
	fo->reason = xasprintf("the interrupted failover's new master %s:%d: %s; the cluster is "
	                       "read-only",
	    nm->host, nm->port, cause != NULL ? cause : "?");
	free(cause);
	return -1;
}

/* Journals the phase about to start; a journal that cannot be written is said, not fatal. */
static void
native_promote_journal(struct native_failover *fo, struct registry *reg, enum native_phase p)
{
	char *cause = NULL;

	if (native_journal_write(fo, p, &cause) == 0) {
		fo->phase = p;
		return;
	}
	event_emit(reg, fo->snap.name, NULL, "failover.journal_failed",
	    "the failover journal was not written at phase %s: %s; an engine killed now would "
	    "not resume this failover",
	    native_journal_phase_name(p), cause);
	free(cause);
}

/*
 * The binlog salvage (native-salvage.c), after the candidate drained and
 * was reset and before writes open: when the old master's host answered
 * (its mysqld refused us), the events of its binlog after the new master's
 * GTID position are applied on the new master with their own GTIDs. It
 * runs in a thread beside the VIP step (both are SSH round trips; writes
 * open only after both), bounded by salvage_timeout. A salvage that fails
 * or times out is said (failover.salvage_failed, with the GTIDs that may be
 * missing) and the failover goes on, as MHA does when it cannot reach the
 * old host: a cluster left read-only for want of a host that may never
 * answer again would be the greater harm.
 */
struct native_promote_salvage {
	struct native_failover *fo;
	size_t best;
	pthread_t thread;
	int started;
	int tried; /* 0: not tried (host down or no binlog place), see cause */
	int rc;
	long long ms;
	struct native_salvage sv;
	char *cause;
};

static void *
native_promote_salvage_thread(void *arg)
{
	struct native_promote_salvage *ps = arg;
	struct native_failover *fo = ps->fo;
	const struct native_cluster *c = &fo->snap;
	const struct config *cfg = fo->cfg;
	const struct native_node *nm = &c->nodes[ps->best];
	long long t0 = native_now_ms();
	MYSQL *m;

	/* A connection of its own: the salvage sets session state (server_id, GTID). */
	m = native_sync_connect(nm->host, nm->port, cfg->ha_user, cfg->ha_password,
	    NATIVE_PROMOTE_TIMEOUT, cfg->salvage_timeout, &ps->cause);
	if (m == NULL) {
		ps->rc = -1;
	} else {
		ps->rc =
		    native_salvage_run(cfg, fo->ssh, c->nodes[c->master].host, c->master_binlog,
		        fo->master_log_file, m, cfg->salvage_timeout, &ps->sv, &ps->cause);
		mysql_close(m);
	}
	ps->ms = native_now_ms() - t0;
	mysql_thread_end();
	return NULL;
}

/* Starts the salvage when there is one to do (journaled first); ps says what it did. */
static void
native_promote_salvage_start(struct native_failover *fo, struct registry *reg, size_t best,
    struct native_promote_salvage *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->fo = fo;
	ps->best = best;
	if (!fo->old_host_up)
		return;
	ps->tried = 1;
	if (fo->snap.master_binlog == NULL) {
		ps->rc = -1;
		ps->cause = xstrdup("the old master's binlog place (@@log_bin_basename) was never "
		                    "read (it died before its first probe)");
		return;
	}
	native_promote_journal(fo, reg, NATIVE_PHASE_SALVAGE);
	if (pthread_create(&ps->thread, NULL, native_promote_salvage_thread, ps) == 0)
		ps->started = 1;
	else
		native_promote_salvage_thread(ps);
}

/* Waits for the salvage and says what it did (events, fo->salvage_note). */
static void
native_promote_salvage_end(
    struct native_failover *fo, struct registry *reg, struct native_promote_salvage *ps)
{
	const struct native_cluster *c = &fo->snap;
	const struct native_node *old = &c->nodes[c->master], *nm = &c->nodes[ps->best];
	const struct native_salvage *sv = &ps->sv;
	const char *cause = ps->cause != NULL ? ps->cause : "?";
	char count[32];

	if (ps->started)
		pthread_join(ps->thread, NULL);
	ps->started = 0;
	if (!ps->tried) {
		fo->salvage_note =
		    xstrdup("no binlog salvage: the old master's host did not answer");
		return;
	}
	snprintf(count, sizeof(count), "%d", sv->transactions);
	if (ps->rc == 0) {
		event_emit_fields(reg, c->name, NULL, "failover.salvaged",
		    EVENT_FIELDS("old_master", EVENT_ADDR(old->host, old->port), "new_master",
		        EVENT_ADDR(nm->host, nm->port), "transactions", count, "from", sv->from,
		        "first", sv->first, "last", sv->last),
		    "binlog salvage: %d transactions (%s%s%s) from the old master %s:%d's binlog "
		    "applied on the new master %s:%d after %s, in %lld ms (%s ssh session)%s",
		    sv->transactions, sv->first[0] != '\0' ? sv->first : "none",
		    sv->first[0] != '\0' ? " to " : "", sv->last, old->host, old->port, nm->host,
		    nm->port, sv->from, ps->ms, sv->kept ? "kept" : "new",
		    sv->dropped ? "; an incomplete last transaction (never committed) was left out"
		                : "");
		fo->salvage_note = xasprintf(
		    "salvaged %d transactions from the old master's binlog", sv->transactions);
	} else {
		event_emit_fields(reg, c->name, NULL, "failover.salvage_failed",
		    EVENT_FIELDS("old_master", EVENT_ADDR(old->host, old->port), "new_master",
		        EVENT_ADDR(nm->host, nm->port), "transactions", count, "from", sv->from,
		        "reason", cause),
		    "binlog salvage from the old master %s:%d failed after %d transactions (%lld "
		    "ms): %s; the failover goes on: transactions the old master logged after %s "
		    "may be missing on the new master %s:%d (the old master's last known GTID "
		    "state: %s)",
		    old->host, old->port, sv->transactions, ps->ms, cause,
		    sv->last[0] != '\0'   ? sv->last
		    : sv->from[0] != '\0' ? sv->from
		                          : "the new master's position",
		    nm->host, nm->port, c->master_gtid != NULL ? c->master_gtid : "never read");
		fo->salvage_note = xasprintf(
		    "binlog salvage FAILED after %d transactions: %s", sv->transactions, cause);
	}
	free(ps->cause);
	ps->cause = NULL;
}

/*
 * Manager HA: before each acting step the lease is proven again
 * (lease_guard). 0 when the step may run; 1 when it may not: fo says why
 * and that the lease was lost (the cluster is left as it is, read-only
 * unless writes were opened already; the journal is kept).
 */
static int
native_promote_lease(struct native_failover *fo, struct registry *reg, const char *action)
{
	if (native_core_lease(fo->cfg, reg, &fo->snap, action) == 0)
		return 0;
	fo->lease_lost = 1;
	fo->reason = xasprintf("manager %s cannot prove its lease of the cluster: it did not %s",
	    fo->cfg->manager_name != NULL ? fo->cfg->manager_name : "?", action);
	return 1;
}

/*
 * Finishes a promotion another engine began (native_takeover_decide said
 * so: p replicates from no server, the others follow the dead master or
 * p). Connects to every replica into pn; p must still replicate from no
 * server and hold every transaction any other replica received (its
 * @@gtid_binlog_pos covers their Gtid_IO_Pos), else nothing is changed.
 * 0, or -1 with fo->reason.
 */
static int
native_promote_adopt(
    struct native_failover *fo, struct registry *reg, struct native_promote_node *pn, size_t p)
{
	struct native_cluster *c = &fo->snap;
	const struct config *cfg = fo->cfg;
	const struct native_node *np = &c->nodes[p];
	MYSQL_RES *res = NULL;
	MYSQL_ROW row = NULL;
	char *cause = NULL, pos[512] = "";
	size_t i;
	int r, opened;

	for (i = 0; i < c->n_nodes; i++) {
		if (i == c->master)
			continue;
		pn[i].m = native_sync_connect(c->nodes[i].host, c->nodes[i].port, cfg->ha_user,
		    cfg->ha_password, NATIVE_PROMOTE_TIMEOUT, NATIVE_PROMOTE_STATEMENT, &cause);
		pn[i].why_not = cause; /* NULL when it answered; a dead one is left behind */
		cause = NULL;
	}
	if (pn[p].m == NULL) {
		fo->reason =
		    xasprintf("replica %s:%d replicates from no server (a failover "
		              "interrupted after it was promoted) and does not answer now: "
		              "nothing changed, the cluster is read-only",
		        np->host, np->port);
		return -1;
	}
	r = native_sync_row(pn[p].m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_REPLICA_STATUS),
	    &res, &row, &cause);
	if (res != NULL)
		mysql_free_result(res);
	res = NULL;
	if (r != 1) {
		fo->reason =
		    xasprintf("replica %s:%d replicated from no server a moment ago but %s "
		              "now: nothing changed, the cluster is read-only",
		        np->host, np->port, r == 0 ? "replicates again" : "cannot be read");
		free(cause);
		return -1;
	}
	r = native_sync_row(
	    pn[p].m, native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_BINLOG_POS), &res, &row, &cause);
	if (r == 0 && row != NULL && row[0] != NULL)
		snprintf(pos, sizeof(pos), "%s", row[0]);
	opened = r == 0 && row != NULL && row[1] != NULL && strcmp(row[1], "0") == 0;
	if (res != NULL)
		mysql_free_result(res);
	if (r != 0 || strspn(pos, "0123456789-,") != strlen(pos)) {
		fo->reason = xasprintf("the GTID position of %s:%d cannot be read (%s): nothing "
		                       "changed, the cluster is read-only",
		    np->host, np->port, cause != NULL ? cause : "unexpected value");
		free(cause);
		return -1;
	}
	/*
	 * Still read-only, it holds nothing but what it received: the errant
	 * check applies. Writable, the interrupted failover opened it and
	 * clients may have written to it: those are not errant.
	 */
	if (!opened && (r = native_promote_errant(pn[p].m, c, &pn[p], &cause)) != 0) {
		fo->reason = xasprintf("replica %s:%d replicates from no server (a failover "
		                       "interrupted after it was promoted?) but %s%s: nothing "
		                       "changed, the cluster is read-only",
		    np->host, np->port, r > 0 ? "holds transactions the master never had: " : "",
		    r > 0 ? pn[p].errant : "its errant check failed");
		free(cause);
		return -1;
	}
	for (i = 0; i < c->n_nodes; i++) {
		if (i == c->master || i == p || pn[i].m == NULL)
			continue;
		if (native_promote_read(pn[i].m, &pn[i], &cause) != 0) {
			free(cause);
			cause = NULL;
			continue;
		}
		if (!native_gtid_covers(pos, pn[i].gtid_io_pos)) {
			fo->reason = xasprintf(
			    "replica %s:%d replicates from no server (a failover interrupted after "
			    "it was promoted) but lacks what replica %s:%d received (%s, it has "
			    "%s): it is not finished with it, nothing changed, the cluster is "
			    "read-only",
			    np->host, np->port, c->nodes[i].host, c->nodes[i].port,
			    pn[i].gtid_io_pos, pos);
			return -1;
		}
	}
	event_emit_fields(reg, c->name, NULL, "failover.adopted",
	    EVENT_FIELDS("old_master",
	        EVENT_ADDR(c->nodes[c->master].host, c->nodes[c->master].port), "new_master",
	        EVENT_ADDR(np->host, np->port), "gtid", pos),
	    "replica %s:%d replicates from no server and holds everything the other replicas "
	    "received (%s): a failover interrupted after it was promoted (its engine's journal "
	    "is elsewhere, e.g. on another manager); finished with it, not started again",
	    np->host, np->port, pos);
	return 0;
}

/* Says where a failover stopped for a lost lease and what the servers are left as. */
static void
native_promote_abandoned(struct native_failover *fo, struct registry *reg)
{
	const struct native_cluster *c = &fo->snap;
	const char *left;

	if (fo->phase < NATIVE_PHASE_PROMOTE)
		left = "nothing was promoted";
	else if (fo->phase < NATIVE_PHASE_VIP)
		left = "the candidate may have stopped replicating; it is read-only";
	else if (fo->phase < NATIVE_PHASE_OPEN)
		left = "the new master is read-only and may hold the VIP";
	else if (fo->phase < NATIVE_PHASE_REPOINT)
		left = "the new master holds the VIP and may be writable";
	else
		left = "the new master holds the VIP and is writable; replicas not all repointed";
	event_emit_fields(reg, c->name, NULL, "failover.abandoned",
	    EVENT_FIELDS("manager", fo->cfg->manager_name, "phase",
	        native_journal_phase_name(fo->phase), "old_master",
	        EVENT_ADDR(c->nodes[c->master].host, c->nodes[c->master].port), "new_master",
	        fo->new_master != (size_t)-1
	            ? EVENT_ADDR(c->nodes[fo->new_master].host, c->nodes[fo->new_master].port)
	            : NULL),
	    "%s; failover stopped after journal phase %s: %s (the journal is kept as %s.journal."
	    "failed); the lease's next owner reads the servers and finishes it or refuses",
	    fo->reason, native_journal_phase_name(fo->phase), left, c->name);
}

/*
 * Marks failed in the registry every replica the failover left behind
 * (fo->left_behind; pn[i].why_not says why), after the new master was
 * recorded; returns "HOST:PORT (dead)" or "HOST:PORT (not repointed)" of
 * each, comma-separated, newly allocated ("" none), for the report.
 */
static char *
native_promote_left_behind(
    struct native_failover *fo, struct registry *reg, const struct native_promote_node *pn)
{
	const struct native_cluster *c = &fo->snap;
	const struct native_node *nm = &c->nodes[fo->new_master];
	char *list = xstrdup(""), *msg, *tmp;
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		const struct native_node *n = &c->nodes[i];
		const char *why = pn[i].why_not != NULL ? pn[i].why_not : "?";

		if (!fo->left_behind[i])
			continue;
		msg = xasprintf("replica %s:%d was %s during the failover to %s:%d (%s): marked "
		                "failed, out of monitoring; once it is repaired, 'mhaadm rejoin %s "
		                "%s:%d' brings it back as a replica",
		    n->host, n->port,
		    pn[i].m == NULL ? "dead" : "not brought over to the new master", nm->host,
		    nm->port, why, c->name, n->host, n->port);
		native_core_replica_failed(fo->cfg, reg, c, i, msg);
		free(msg);
		tmp = xasprintf("%s%s%s:%d (%s)", list, *list != '\0' ? ", " : "", n->host, n->port,
		    pn[i].m == NULL ? "dead" : "not repointed");
		free(list);
		list = tmp;
	}
	return list;
}

static void *
native_promote_thread(void *arg)
{
	struct native_failover *fo = arg;
	struct native_cluster *c = &fo->snap;
	const struct config *cfg = fo->cfg;
	struct native_promote_node *pn;
	struct native_promote_salvage ps;
	struct native_repoint *rp = NULL;
	struct registry *reg;
	MYSQL_RES *res = NULL;
	MYSQL_ROW row = NULL;
	char *cause = NULL, sql[1024], *msg = NULL, best_pos[512] = "", *done_list = NULL;
	char *left = NULL;
	size_t i, best = (size_t)-1, n_rp = 0;
	int r, reset = 0;

	reg = native_core_registry(cfg, c->name);
	pn = xcalloc(c->n_nodes, sizeof(*pn));
	if (fo->resume >= NATIVE_PHASE_PROMOTE) {
		best = fo->new_master;
		event_emit_fields(reg, c->name, NULL, "failover.resumed",
		    EVENT_FIELDS("old_master",
		        EVENT_ADDR(c->nodes[c->master].host, c->nodes[c->master].port),
		        "new_master", EVENT_ADDR(c->nodes[best].host, c->nodes[best].port), "phase",
		        native_journal_phase_name(fo->resume)),
		    "failover of %s:%d to %s:%d taken up at phase %s after the engine was "
		    "interrupted: finishing it with the same new master",
		    c->nodes[c->master].host, c->nodes[c->master].port, c->nodes[best].host,
		    c->nodes[best].port, native_journal_phase_name(fo->resume));
		fo->phase = fo->resume;
		if (native_promote_resume(fo, pn, &reset) != 0)
			goto out;
		native_promote_mark(fo, 1);
		if (reset)
			goto promoted;
	} else {
		/*
		 * Fence first (failover.started): the old holder loses the VIP
		 * before anything is promoted. A host that refused our connection
		 * is up and is asked over SSH (bounded); one that did not answer at
		 * all is skipped (the fence pass takes the VIP off it when it
		 * returns).
		 */
		if (native_promote_lease(fo, reg, "fence the old master"))
			goto out;
		native_promote_journal(fo, reg, NATIVE_PHASE_FENCE);
		native_core_vip_release(cfg, reg, c, fo->old_host_up);
		native_promote_mark(fo, 0);
		/*
		 * Manager HA: the servers may show a promotion another manager's
		 * engine began (its journal is in its workdir). One manager has the
		 * journal: nothing changes there.
		 */
		r = lease_enabled(cfg) ? native_takeover_decide(c, &best, &cause) : 0;
		if (r < 0) {
			fo->reason = cause;
			cause = NULL;
			goto out;
		}
		if (r == 1) {
			if (native_promote_lease(fo, reg, "finish the interrupted promotion") ||
			    native_promote_adopt(fo, reg, pn, best) != 0)
				goto out;
			fo->new_master = best;
			native_promote_journal(fo, reg, NATIVE_PHASE_PROMOTE);
			native_promote_mark(fo, 1);
			goto promoted;
		}
		best = native_promote_choose(fo, reg, pn);
		native_promote_mark(fo, 1);
		if (best == (size_t)-1)
			goto out;
		/* From here the candidate is fixed: a resumed failover finishes with it. */
		fo->new_master = best;
		snprintf(fo->master_log_file, sizeof(fo->master_log_file), "%s",
		    pn[best].master_log_file);
		native_promote_journal(fo, reg, NATIVE_PHASE_PROMOTE);
	}
	snprintf(best_pos, sizeof(best_pos), "%s", pn[best].gtid_io_pos);
	/* It goes into SQL text: a GTID list is digits, '-' and ',' only. */
	if (strspn(best_pos, "0123456789-,") != strlen(best_pos)) {
		fo->reason =
		    xasprintf("new master %s:%d reports an unexpected Gtid_IO_Pos; nothing "
		              "was changed, the cluster is read-only",
		        c->nodes[best].host, c->nodes[best].port);
		goto out;
	}
	for (i = 0; i < c->n_nodes; i++) {
		if (i != c->master && i != best && pn[i].m != NULL &&
		    pn[i].gtid_io_pos[0] != '\0' &&
		    !native_gtid_covers(best_pos, pn[i].gtid_io_pos))
			event_emit(reg, c->name, NULL, "failover.candidate_behind",
			    "replica %s:%d received more (%s) than the new master %s:%d (%s) but "
			    "may "
			    "not be promoted (%s); it may stop replicating after being repointed",
			    c->nodes[i].host, c->nodes[i].port, pn[i].gtid_io_pos,
			    c->nodes[best].host, c->nodes[best].port, best_pos,
			    pn[i].why_not != NULL ? pn[i].why_not : "not chosen");
	}

	if (native_promote_lease(fo, reg, "promote a new master"))
		goto out;
	/* Apply everything received before the relay log is reset (RESET SLAVE deletes it). */
	native_sql_format(sql, sizeof(sql), NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_GTID_WAIT, best_pos,
	    NATIVE_PROMOTE_DRAIN);
	if (best_pos[0] != '\0') {
		r = native_sync_row(pn[best].m, sql, &res, &row, &cause);
		if (r != 0 || row == NULL || row[0] == NULL || strcmp(row[0], "0") != 0) {
			fo->reason = xasprintf(
			    "new master %s:%d did not apply its relay log up to %s "
			    "within %d s (%s); nothing was changed, the cluster is "
			    "read-only",
			    c->nodes[best].host, c->nodes[best].port, best_pos,
			    NATIVE_PROMOTE_DRAIN,
			    cause != NULL ? cause : (row != NULL && row[0] != NULL ? row[0] : "?"));
			goto out;
		}
		mysql_free_result(res);
		res = NULL;
	}
	native_promote_mark(fo, 2);
	if (native_sync_exec(pn[best].m,
	        native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_STOP_REPLICA), &cause) != 0 ||
	    native_sync_exec(pn[best].m,
	        native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_RESET_REPLICA_ALL), &cause) != 0) {
		fo->reason =
		    xasprintf("could not stop replication on the new master %s:%d: %s; the "
		              "cluster is read-only",
		        c->nodes[best].host, c->nodes[best].port, cause);
		goto out;
	}
	native_promote_mark(fo, 3);

promoted:
	/*
	 * A replica that did not answer when the candidates were read (dead
	 * with the master, or before it) is skipped, never a reason to stop:
	 * not in the guard's topology, not repointed, marked failed.
	 */
	for (i = 0; i < c->n_nodes; i++)
		fo->left_behind[i] = i != c->master && i != best && pn[i].m == NULL;
	if (native_promote_lease(fo, reg, "bind the VIP on the new master"))
		goto out;
	/*
	 * Writes are not open yet: what only the old master has is applied
	 * first, beside the VIP step (writes open after both).
	 */
	if (fo->resume < NATIVE_PHASE_OPEN)
		native_promote_salvage_start(fo, reg, best, &ps);
	native_promote_journal(fo, reg, NATIVE_PHASE_VIP);
	native_promote_mark(fo, 4);
	r = native_core_vip_take(cfg, reg, c, best);
	if (fo->resume < NATIVE_PHASE_OPEN)
		native_promote_salvage_end(fo, reg, &ps);
	if (r != 0) {
		fo->reason =
		    xasprintf("VIP %s not bound on the new master %s; the new master is NOT "
		              "opened for writes (read-only), replicas not repointed",
		        c->vip, c->nodes[best].host);
		goto out;
	}
	native_promote_mark(fo, 5);
	if (native_promote_lease(fo, reg, "open the new master for writes"))
		goto out;
	native_promote_journal(fo, reg, NATIVE_PHASE_OPEN);
	/*
	 * The isolation guard on the new topology before the first write is
	 * acknowledged (as the MHA hook does before MHA opens writes): commits
	 * wait for a replica, and the first one repointed answers.
	 */
	native_core_guard(cfg, reg, c, best, fo->left_behind);
	if (native_sync_exec(pn[best].m,
	        native_sql(NATIVE_FLAVOUR_MARIADB, NATIVE_SQL_READ_ONLY_OFF), &cause) != 0) {
		fo->reason =
		    xasprintf("could not open the new master %s:%d for writes: %s; it holds "
		              "the VIP and is read-only",
		        c->nodes[best].host, c->nodes[best].port, cause);
		goto out;
	}
	native_promote_mark(fo, 6);
	fo->ok = 1;

	if (native_promote_lease(fo, reg, "repoint the replicas"))
		goto out;
	native_promote_journal(fo, reg, NATIVE_PHASE_REPOINT);

	/* The others follow the new master, all at once. */
	rp = xcalloc(c->n_nodes, sizeof(*rp));
	for (i = 0; i < c->n_nodes; i++) {
		if (i == c->master || i == best || pn[i].m == NULL)
			continue;
		rp[n_rp].fo = fo;
		rp[n_rp].node = i;
		rp[n_rp].m = pn[i].m;
		if (pthread_create(&rp[n_rp].thread, NULL, native_repoint_thread, &rp[n_rp]) != 0) {
			native_repoint_thread(&rp[n_rp]);
			rp[n_rp].thread = 0;
		}
		n_rp++;
	}
	done_list = xstrdup("");
	for (i = 0; i < n_rp; i++) {
		const struct native_node *n = &c->nodes[rp[i].node];

		if (rp[i].thread != 0)
			pthread_join(rp[i].thread, NULL);
		msg = xasprintf("%s%s%s:%d%s", done_list, done_list[0] != '\0' ? "," : "", n->host,
		    n->port, rp[i].error != NULL ? " (NOT repointed)" : "");
		free(done_list);
		done_list = msg;
		msg = NULL;
		if (rp[i].error != NULL) {
			event_emit(reg, c->name, NULL, "failover.repoint_failed",
			    "replica %s:%d could not be repointed to %s:%d: %s", n->host, n->port,
			    c->nodes[best].host, c->nodes[best].port, rp[i].error);
			/* Left on the dead master: marked failed below, with this reason. */
			fo->left_behind[rp[i].node] = 1;
			free(pn[rp[i].node].why_not);
			pn[rp[i].node].why_not = rp[i].error;
		}
	}
	native_promote_mark(fo, 7);
	native_promote_journal(fo, reg, NATIVE_PHASE_RECORD);
	fo->recorded = native_core_record(cfg, reg, c, best) == 0;
	left = native_promote_left_behind(fo, reg, pn);
	snprintf(sql, sizeof(sql), "%s:%d", c->nodes[best].host, c->nodes[best].port);
	msg = xasprintf("native; drained %lld ms, promoted %lld ms, VIP %lld ms, writable %lld ms, "
	                "repointed %lld ms after the start; %s%s%s",
	    fo->phase_ms[2], fo->phase_ms[3], fo->phase_ms[5], fo->phase_ms[6], fo->phase_ms[7],
	    fo->salvage_note != NULL ? fo->salvage_note : "no binlog salvage",
	    *left != '\0' ? "; left behind, marked failed: " : "", left);
	native_core_report(cfg, reg, c, sql, done_list, msg);
out:
	if (fo->lease_lost)
		native_promote_abandoned(fo, reg);
	else if (!fo->ok)
		native_core_report(cfg, reg, c, NULL, NULL, fo->reason != NULL ? fo->reason : "?");
	/*
	 * A stop after the candidate was fixed keeps the journal (.failed) for
	 * the DBA; so does a lost lease (this manager may not take it up: the
	 * next owner reads the servers instead).
	 */
	if (fo->phase != NATIVE_PHASE_NONE)
		native_journal_end(
		    cfg, c->name, fo->lease_lost || (!fo->ok && fo->phase >= NATIVE_PHASE_PROMOTE));
	if (res != NULL)
		mysql_free_result(res);
	for (i = 0; i < c->n_nodes; i++) {
		if (pn[i].m != NULL)
			mysql_close(pn[i].m);
		free(pn[i].why_not);
		free(pn[i].errant);
	}
	free(pn);
	free(rp);
	free(msg);
	free(done_list);
	free(left);
	free(cause);
	registry_close(reg);
	mysql_thread_end();
	__atomic_store_n(&fo->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int
native_promote_start(struct native_failover *fo, char **cause)
{
	fo->started_ms = native_now_ms();
	if (fo->resume < NATIVE_PHASE_PROMOTE)
		fo->new_master = (size_t)-1;
	if (pthread_create(&fo->thread, NULL, native_promote_thread, fo) != 0) {
		*cause = xstrdup("cannot start the failover thread");
		return -1;
	}
	return 0;
}
