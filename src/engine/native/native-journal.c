/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The failover journal: before each irreversible step the promotion writes
 * where it is to <workdir>/native/NAME.journal (atomically), so that an
 * engine killed in the middle finds, when it starts again, which replica
 * was chosen and finishes that promotion instead of starting another one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"
#include "native.h"
#include "xmalloc.h"

static const char *const native_journal_phases[] = {
    [NATIVE_PHASE_NONE] = "none",
    [NATIVE_PHASE_FENCE] = "fence",
    [NATIVE_PHASE_PROMOTE] = "promote",
    [NATIVE_PHASE_SALVAGE] = "salvage",
    [NATIVE_PHASE_VIP] = "vip",
    [NATIVE_PHASE_OPEN] = "open",
    [NATIVE_PHASE_REPOINT] = "repoint",
    [NATIVE_PHASE_RECORD] = "record",
};

const char *
native_journal_phase_name(enum native_phase p)
{
	return (int)p >= 0 && p <= NATIVE_PHASE_RECORD ? native_journal_phases[p] : "?";
}

static int
native_journal_phase_from(const char *s, enum native_phase *p)
{
	int i;

	for (i = NATIVE_PHASE_FENCE; i <= NATIVE_PHASE_RECORD; i++) {
		if (strcmp(s, native_journal_phases[i]) == 0) {
			*p = (enum native_phase)i;
			return 0;
		}
	}
	return -1;
}

char *
native_journal_path(const struct config *cfg, const char *cluster)
{
	return xasprintf("%s/native/%s.journal", cfg->workdir, cluster);
}

char *
native_journal_text(
    const struct native_cluster *c, enum native_phase phase, size_t new_master, int old_host_up)
{
	char *s, *t;
	size_t i;

	s = xasprintf("phase=%s\ncluster=%s\nvip=%s/%d\niface=%s\nold_host_up=%d\n"
	              "master_server_id=%ld\nmaster_gtid=%s\nmaster_binlog=%s\n",
	    native_journal_phase_name(phase), c->name, c->vip, c->vip_prefix, c->iface, old_host_up,
	    c->master_server_id, c->master_gtid != NULL ? c->master_gtid : "-",
	    c->master_binlog != NULL ? c->master_binlog : "-");
	for (i = 0; i < c->n_nodes; i++) {
		const struct native_node *n = &c->nodes[i];
		const char *role = i == c->master    ? "old_master"
		                   : i == new_master ? "new_master"
		                                     : "replica";

		t = xasprintf("%snode=%s %s %d %d %d\n", s, role, n->host, n->port, n->no_master,
		    n->candidate);
		free(s);
		s = t;
	}
	return s;
}

int
native_journal_parse(const char *text, struct native_cluster *c, enum native_phase *phase,
    size_t *new_master, int *old_host_up, char **cause)
{
	char *copy = xstrdup(text), *line, *save = NULL, *v, role[16], host[256];
	int have_phase = 0, have_old = 0, port, no_master, cand;
	size_t cap = 0;

	memset(c, 0, sizeof(*c));
	*new_master = (size_t)-1;
	*old_host_up = 0;
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		v = strchr(line, '=');
		if (v == NULL)
			goto bad;
		*v++ = '\0';
		if (strcmp(line, "phase") == 0) {
			if (native_journal_phase_from(v, phase) != 0)
				goto bad;
			have_phase = 1;
		} else if (strcmp(line, "cluster") == 0 && c->name == NULL) {
			c->name = xstrdup(v);
		} else if (strcmp(line, "vip") == 0 && c->vip == NULL) {
			char *slash = strchr(v, '/');

			if (slash == NULL)
				goto bad;
			c->vip = xstrndup(v, (size_t)(slash - v));
			c->vip_prefix = atoi(slash + 1);
		} else if (strcmp(line, "iface") == 0 && c->iface == NULL) {
			c->iface = xstrdup(v);
		} else if (strcmp(line, "old_host_up") == 0) {
			*old_host_up = atoi(v);
		} else if (strcmp(line, "master_server_id") == 0) {
			c->master_server_id = atol(v);
		} else if (strcmp(line, "master_gtid") == 0 && c->master_gtid == NULL) {
			if (strcmp(v, "-") != 0)
				c->master_gtid = xstrdup(v);
		} else if (strcmp(line, "master_binlog") == 0 && c->master_binlog == NULL) {
			if (strcmp(v, "-") != 0)
				c->master_binlog = xstrdup(v);
		} else if (strcmp(line, "node") == 0) {
			struct native_node *n;

			if (sscanf(v, "%15s %255s %d %d %d", role, host, &port, &no_master,
			        &cand) != 5)
				goto bad;
			if (c->n_nodes == cap) {
				cap = cap == 0 ? 4 : cap * 2;
				c->nodes = xreallocarray(c->nodes, cap, sizeof(*c->nodes));
			}
			n = &c->nodes[c->n_nodes];
			memset(n, 0, sizeof(*n));
			n->host = xstrdup(host);
			n->port = port;
			n->no_master = no_master;
			n->candidate = cand;
			n->s.lag = -1;
			if (strcmp(role, "old_master") == 0) {
				c->master = c->n_nodes;
				have_old = 1;
			} else if (strcmp(role, "new_master") == 0) {
				*new_master = c->n_nodes;
			}
			c->n_nodes++;
		}
	}
	if (!have_phase || !have_old || c->name == NULL || c->vip == NULL || c->iface == NULL ||
	    (*phase >= NATIVE_PHASE_PROMOTE && *new_master == (size_t)-1))
		goto bad;
	free(copy);
	return 0;
bad:
	free(copy);
	*cause = xstrdup("the failover journal is incomplete or malformed");
	return -1;
}

int
native_journal_write(const struct native_failover *fo, enum native_phase phase, char **cause)
{
	char *path = native_journal_path(fo->cfg, fo->snap.name);
	char *text = native_journal_text(&fo->snap, phase, fo->new_master, fo->old_host_up);
	int r;

	r = fs_write_atomic(path, text, strlen(text), cause);
	free(text);
	free(path);
	return r;
}

void
native_journal_end(const struct config *cfg, const char *cluster, int keep)
{
	char *path = native_journal_path(cfg, cluster), *kept;

	if (keep) {
		kept = xasprintf("%s.failed", path);
		if (rename(path, kept) != 0 && errno != ENOENT)
			unlink(path);
		free(kept);
	} else {
		unlink(path);
	}
	free(path);
}
