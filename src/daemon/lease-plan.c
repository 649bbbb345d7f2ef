/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which free leases to take (lease-plan.h): pure functions of the registry rows read. */
#include "lease-plan.h"

#include <string.h>

int
lease_plan_live(const struct registry_manager *m)
{
	return m->pid >= 0 && !m->draining && m->heartbeat_age_ms >= 0 &&
	       m->heartbeat_age_ms < (long long)m->lease_seconds * 1000;
}

size_t
lease_plan_share(size_t n_clusters, size_t n_live)
{
	if (n_live == 0)
		return n_clusters;
	return (n_clusters + n_live - 1) / n_live;
}

static const struct registry_lease *
lease_plan_find(const struct registry_lease *leases, size_t n, const char *cluster)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(leases[i].cluster, cluster) == 0)
			return &leases[i];
	}
	return NULL;
}

size_t
lease_plan_take(const char *me, int draining, const char *const *names, size_t n,
    const struct registry_lease *leases, size_t n_leases, const struct registry_manager *managers,
    size_t n_managers, size_t *take)
{
	const struct registry_lease *l;
	size_t i, live = 1, mine = 0, share, k = 0;

	if (draining)
		return 0;
	for (i = 0; i < n_managers; i++) {
		if (strcmp(managers[i].name, me) != 0 && lease_plan_live(&managers[i]))
			live++;
	}
	share = lease_plan_share(n, live);
	for (i = 0; i < n; i++) {
		l = lease_plan_find(leases, n_leases, names[i]);
		if (l != NULL && l->owner != NULL && strcmp(l->owner, me) == 0 &&
		    l->remaining_ms > 0)
			mine++;
	}
	for (i = 0; i < n && mine + k < share; i++) {
		l = lease_plan_find(leases, n_leases, names[i]);
		if (l != NULL && ((l->owner != NULL && l->remaining_ms > 0) || l->op_ms > 0))
			continue;
		take[k++] = i;
	}
	return k;
}

/* A row whose daemon may still run: no clean stop, a heartbeat younger than its lease. */
static int
lease_plan_running(const struct registry_manager *m)
{
	return m->pid >= 0 && m->heartbeat_age_ms >= 0 &&
	       m->heartbeat_age_ms < (long long)m->lease_seconds * 1000;
}

int
lease_plan_preflight(const char *me, int ha, const struct registry_manager *managers, size_t n,
    const struct registry_manager **who)
{
	size_t i;

	if (who != NULL)
		*who = NULL;
	for (i = 0; i < n; i++) {
		if (!lease_plan_running(&managers[i]))
			continue;
		if (!ha || strcmp(managers[i].name, me) == 0) {
			if (who != NULL)
				*who = &managers[i];
			return ha ? 1 : -1;
		}
	}
	return 0;
}

int
lease_plan_refreshed(long long age0_ms, long long elapsed_ms, long long age_ms)
{
	return age_ms >= 0 && age_ms + 300 < age0_ms + elapsed_ms;
}
