/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The isolation guard: semi-sync replication that keeps a cut-off master from acknowledging writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "guard.h"
#include "registry.h"
#include "status.h"
#include "xmalloc.h"

const char *
guard_mode_name(enum guard_mode m)
{
	return m == GUARD_SEMISYNC ? "semisync" : "off";
}

enum guard_mode
guard_mode_for(const struct config *cfg, const struct registry_cluster *c, const char *master_host,
    int master_port, const char **why)
{
	size_t i, replicas = 0;

	switch (config_cluster_guard(cfg, c->name)) {
	case CONFIG_GUARD_SEMISYNC:
		*why = "isolation_guard = semisync";
		return GUARD_SEMISYNC;
	case CONFIG_GUARD_OFF:
		*why = "isolation_guard = off";
		return GUARD_OFF;
	default:
		break;
	}
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_REPLICA &&
		    !(strcasecmp(c->nodes[i].host, master_host) == 0 &&
		        c->nodes[i].port == master_port))
			replicas++;
	}
	if (replicas >= 2) {
		*why = "isolation_guard = auto: 2 or more replicas";
		return GUARD_SEMISYNC;
	}
	*why = "isolation_guard = auto: fewer than 2 replicas (one replica down would stall "
	       "writes)";
	return GUARD_OFF;
}

enum guard_mode
guard_mode_of(const struct config *cfg, const struct registry_cluster *c, const char **why)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			return guard_mode_for(cfg, c, c->nodes[i].host, c->nodes[i].port, why);
	}
	*why = "no master";
	return GUARD_OFF;
}

int
guard_master_is_set(const struct probe_semisync *ss)
{
	return ss->known && ss->master_enabled && ss->after_sync &&
	       ss->timeout_ms >= GUARD_TIMEOUT_MS;
}

int
guard_master_on(const struct probe_credentials *cred, const char *host, int port, char **cause)
{
	/* The timeout and wait point first: enabled with the defaults it would fall back at 10 s.
	 */
	static const char *const on[] = {
	    "SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC",
	    "SET GLOBAL rpl_semi_sync_master_timeout = 4294967295",
	    "SET GLOBAL rpl_semi_sync_slave_enabled = 1",
	    "SET GLOBAL rpl_semi_sync_master_enabled = 1",
	    NULL,
	};

	return probe_exec(host, port, cred, on, cause);
}

int
guard_master_off(const struct probe_credentials *cred, const char *host, int port, char **cause)
{
	static const char *const off[] = {"SET GLOBAL rpl_semi_sync_master_enabled = 0", NULL};

	return probe_exec(host, port, cred, off, cause);
}

int
guard_replica_on(
    const struct probe_credentials *cred, const char *host, int port, int restart_io, char **cause)
{
	static const char *const on[] = {"SET GLOBAL rpl_semi_sync_slave_enabled = 1", NULL};
	static const char *const restart[] = {
	    "SET GLOBAL rpl_semi_sync_slave_enabled = 1",
	    "STOP SLAVE IO_THREAD",
	    "START SLAVE IO_THREAD",
	    NULL,
	};

	return probe_exec(host, port, cred, restart_io ? restart : on, cause);
}

/* Appends "what host:port" to *done. */
static void
guard_note(char **done, const char *what, const char *host, int port)
{
	char *tmp = xasprintf("%s%s%s %s:%d", *done != NULL ? *done : "", *done != NULL ? "; " : "",
	    what, host, port);

	free(*done);
	*done = tmp;
}

int
guard_apply(const struct probe_credentials *cred, const struct registry_cluster *c,
    const struct probe_result *probes, enum guard_mode mode, char **done, char **cause)
{
	const struct registry_node *nd;
	const struct probe_result *pr;
	size_t i, master = c->n_nodes;
	int changed = 0;

	*done = NULL;
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER)
			master = i;
	}
	if (master == c->n_nodes || !probes[master].ok || !probes[master].semisync.known)
		return 0; /* nothing to guard, or a server without semi-sync: the finding says so */
	if (mode == GUARD_OFF) {
		if (!probes[master].semisync.master_enabled)
			return 0;
		if (guard_master_off(cred, c->nodes[master].host, c->nodes[master].port, cause) !=
		    0)
			return -1;
		guard_note(done, "semi-sync master side off on", c->nodes[master].host,
		    c->nodes[master].port);
		return 1;
	}
	/* Replicas first: a master that waits for acknowledgements nobody sends would stall. */
	for (i = 0; i < c->n_nodes; i++) {
		nd = &c->nodes[i];
		pr = &probes[i];
		if (nd->role != REGISTRY_ROLE_REPLICA || !pr->ok || !pr->semisync.known)
			continue;
		if (pr->semisync.slave_enabled && (pr->semisync.slave_on || !pr->io_running))
			continue;
		/* Enabled but not acknowledging: the IO thread connected before; restart it. */
		if (guard_replica_on(cred, nd->host, nd->port, pr->io_running, cause) != 0)
			goto fail;
		guard_note(done,
		    pr->io_running ? "semi-sync replica side on (IO thread restarted)"
		                   : "semi-sync replica side on",
		    nd->host, nd->port);
		changed++;
	}
	if (!guard_master_is_set(&probes[master].semisync)) {
		if (guard_master_on(cred, c->nodes[master].host, c->nodes[master].port, cause) != 0)
			goto fail;
		guard_note(done, "semi-sync master side on (AFTER_SYNC, no async fallback)",
		    c->nodes[master].host, c->nodes[master].port);
		changed++;
	}
	return changed;
fail:
	free(*done);
	*done = NULL;
	return -1;
}

int
guard_apply_status(const struct probe_credentials *cred, const struct status_cluster *sc,
    enum guard_mode mode, char **done, char **cause)
{
	struct probe_result *probes;
	size_t i;
	int r;

	/* Shallow copies: guard_apply only reads them, sc keeps ownership. */
	probes = xcalloc(sc->c->n_nodes == 0 ? 1 : sc->c->n_nodes, sizeof(*probes));
	for (i = 0; i < sc->c->n_nodes; i++)
		probes[i] = sc->nodes[i].probe;
	r = guard_apply(cred, sc->c, probes, mode, done, cause);
	free(probes);
	return r;
}
