/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Manager HA for acting processes (lease.h): the lease decision, the lease file, the guard. */
#include "lease.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "failover.h"
#include "fsutil.h"
#include "log.h"
#include "registry.h"
#include "xmalloc.h"

int
lease_enabled(const struct config *cfg)
{
	return cfg->registry == CONFIG_REGISTRY_MYSQL;
}

long long
lease_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
lease_margin_ms(long long lease_ms)
{
	return lease_ms / 5 > 1000 ? lease_ms / 5 : 1000;
}

int
lease_may_act(long long sent_ms, long long now_ms, long long lease_ms)
{
	if (sent_ms <= 0 || lease_ms <= 0 || now_ms < sent_ms)
		return 0;
	return now_ms - sent_ms < lease_ms - lease_margin_ms(lease_ms);
}

static char *
lease_file_path(const struct config *cfg, const char *cluster)
{
	return xasprintf("%s/leases/%s", cfg->workdir, cluster);
}

int
lease_file_write(
    const struct config *cfg, const char *cluster, const struct lease_held *h, char **cause)
{
	char *dir = xasprintf("%s/leases", cfg->workdir), *path, text[128];
	int n, r;

	if (fs_mkdirs(dir, 0700, cause) != 0) {
		free(dir);
		return -1;
	}
	free(dir);
	n = snprintf(text, sizeof(text), "%lld %lld %lld\n", h->epoch, h->sent_ms, h->lease_ms);
	path = lease_file_path(cfg, cluster);
	r = fs_write_atomic(path, text, (size_t)n, cause);
	free(path);
	return r;
}

void
lease_file_remove(const struct config *cfg, const char *cluster)
{
	char *path = lease_file_path(cfg, cluster);

	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("cluster=%s cannot remove %s: %s", cluster, path, strerror(errno));
	free(path);
}

int
lease_file_read(const struct config *cfg, const char *cluster, struct lease_held *out)
{
	char *path = lease_file_path(cfg, cluster);
	FILE *f;
	int n;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return 1;
	n = fscanf(f, "%lld %lld %lld", &out->epoch, &out->sent_ms, &out->lease_ms);
	fclose(f);
	if (n != 3 || out->epoch <= 0) {
		memset(out, 0, sizeof(*out));
		return 1;
	}
	return 0;
}

int
lease_held_here(const struct config *cfg, const char *cluster)
{
	struct lease_held h;

	if (!lease_enabled(cfg))
		return 1;
	return lease_file_read(cfg, cluster, &h) == 0 &&
	       lease_may_act(h.sent_ms, lease_now_ms(), h.lease_ms);
}

int
lease_guard(const struct failover_target *t, const char *action)
{
	const struct config *cfg = t->cfg;
	struct lease_held h;
	char epoch[32], *cause = NULL;
	const char *why = NULL;
	int r;

	if (!lease_enabled(cfg))
		return 0;
	if (lease_file_read(cfg, t->cluster, &h) != 0)
		why = "this manager holds no lease for the cluster";
	else if (!lease_may_act(h.sent_ms, lease_now_ms(), h.lease_ms))
		why = "this manager's lease is not known to be valid (its last renewal is too old)";
	else if (t->reg != NULL) {
		r = registry_lease_check(t->reg, t->cluster, cfg->manager_name, h.epoch,
		    lease_margin_ms(h.lease_ms), &cause);
		if (r == 1)
			why = "the registry names another owner or epoch, or the lease expires too "
			      "soon";
		else if (r < 0) {
			/* Within a lease still valid by our clock, a registry away does not stop
			 * us. */
			log_warn("cluster=%s lease not checked with the registry (the lease file "
			         "shows it valid): %s",
			    t->cluster, cause);
			free(cause);
		}
	}
	if (why == NULL)
		return 0;
	snprintf(epoch, sizeof(epoch), "%lld", h.epoch);
	event_emit_fields(t->reg, t->cluster, NULL, "lease.refused",
	    EVENT_FIELDS("manager", cfg->manager_name, "epoch", h.epoch > 0 ? epoch : NULL,
	        "action", action, "reason", why),
	    "manager %s does not %s: %s", cfg->manager_name, action, why);
	return 1;
}
