/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a configuration reload (SIGHUP) changes for a running daemon: a pure comparison. */
#include "reload.h"

#include <string.h>

#include "config.h"
#include "notify.h"
#include "xmalloc.h"

/* Two optional strings are the same (NULL equals only NULL). */
static int
reload_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
reload_same_list(char **a, size_t na, char **b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		if (!reload_same(a[i], b[i]))
			return 0;
	}
	return 1;
}

/* Every setting of a channel that changes what it sends, where and how. */
static int
reload_same_channel(const struct notify_channel *a, const struct notify_channel *b)
{
	return reload_same(a->name, b->name) && a->type == b->type && reload_same(a->url, b->url) &&
	       reload_same(a->secret, b->secret) &&
	       reload_same_list(a->events, a->n_events, b->events, b->n_events) &&
	       a->timeout == b->timeout && a->retries == b->retries && a->dedup == b->dedup &&
	       a->queue == b->queue && a->tls == b->tls && reload_same(a->user, b->user) &&
	       reload_same(a->password, b->password) && reload_same(a->from, b->from) &&
	       reload_same_list(a->to, a->n_to, b->to, b->n_to) &&
	       reload_same(a->command, b->command);
}

static int
reload_same_channels(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->n_notify_channels != b->n_notify_channels)
		return 0;
	for (i = 0; i < a->n_notify_channels; i++) {
		if (!reload_same_channel(&a->notify_channels[i], &b->notify_channels[i]))
			return 0;
	}
	return 1;
}

int
reload_plan(const struct config *old_cfg, const struct config *new_cfg, struct reload_plan *plan,
    char **cause)
{
	memset(plan, 0, sizeof(*plan));
	if (!reload_same(old_cfg->workdir, new_cfg->workdir)) {
		*cause = xasprintf(
		    "workdir changed (%s to %s): a running daemon keeps its lock, the "
		    "engines' pid files and the spool there; restart the daemon to move it",
		    old_cfg->workdir, new_cfg->workdir);
		return -1;
	}
	if (old_cfg->registry != new_cfg->registry ||
	    !reload_same(old_cfg->registry_path, new_cfg->registry_path) ||
	    !reload_same(old_cfg->mysql_host, new_cfg->mysql_host) ||
	    old_cfg->mysql_port != new_cfg->mysql_port ||
	    !reload_same(old_cfg->mysql_user, new_cfg->mysql_user) ||
	    !reload_same(old_cfg->mysql_password, new_cfg->mysql_password) ||
	    !reload_same(old_cfg->mysql_database, new_cfg->mysql_database)) {
		*cause = xstrdup("the registry settings changed: the daemon keeps its registry "
		                 "connection; restart the daemon to use another registry");
		return -1;
	}
	if (!reload_same(old_cfg->manager_name, new_cfg->manager_name) ||
	    old_cfg->lease_seconds != new_cfg->lease_seconds) {
		*cause = xstrdup("manager_name or lease_seconds changed: the daemon holds its "
		                 "leases under the old ones; restart the daemon to take them");
		return -1;
	}
	plan->restart_notifier = !reload_same_channels(old_cfg, new_cfg);
	return 0;
}
