/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of engines and what every engine shares: selection by name,
 * the neutral words for health and outcomes, and what a status means to
 * status_judge. Adding an engine = one folder, one row here.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "status.h"
#include "xmalloc.h"

/* Each engine's ops, defined in src/engine/NAME/ (the only place names cross). */
extern const struct engine_ops engine_mha_ops;
extern const struct engine_ops engine_native_ops;

const struct engine_ops *const engine_table[] = {
    &engine_mha_ops,
    &engine_native_ops,
    NULL,
};

const struct engine_ops *
engine_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; engine_table[i] != NULL; i++) {
		if (strcmp(engine_table[i]->name, name) == 0)
			return engine_table[i];
	}
	return NULL;
}

const struct engine_ops *
engine_for(const struct config *cfg, const char *name)
{
	const struct engine_ops *e = NULL;

	if (name != NULL && *name != '\0')
		e = engine_find(name);
	if (e == NULL && cfg != NULL)
		e = engine_find(cfg->engine);
	if (e == NULL)
		e = engine_find(ENGINE_DEFAULT);
	return e;
}

const char *
engine_names(void)
{
	static char buf[256];
	size_t i, len = 0;

	if (buf[0] != '\0')
		return buf;
	for (i = 0; engine_table[i] != NULL && len < sizeof(buf); i++)
		len += (size_t)snprintf(
		    buf + len, sizeof(buf) - len, "%s%s", i > 0 ? ", " : "", engine_table[i]->name);
	return buf;
}

void
engine_monitor(const struct engine_status *st, struct status_monitor *mon)
{
	memset(mon, 0, sizeof(*mon));
	mon->running = st->running;
	mon->health = st->running ? st->health_name : NULL;
	mon->health_ok = st->running && st->health == ENGINE_HEALTH_OK;
	mon->failing_over = st->running && (st->health == ENGINE_HEALTH_FAILING_OVER ||
	                                       st->health == ENGINE_HEALTH_MASTER_FAILING);
	mon->suspecting = st->running && st->health == ENGINE_HEALTH_MASTER_FAILING;
	mon->error_marker = st->error_marker;
	mon->left_out = st->running ? st->left_out : NULL;
}

void
engine_status_clear(struct engine_status *st)
{
	free(st->health_name);
	free(st->master);
	free(st->error_marker);
	free(st->left_out);
	memset(st, 0, sizeof(*st));
	st->health_code = -1;
}

const char *
engine_outcome_name(enum engine_outcome o)
{
	switch (o) {
	case ENGINE_OUTCOME_FAILOVER:
		return "failover completed";
	case ENGINE_OUTCOME_REFUSED:
		return "failover refused";
	case ENGINE_OUTCOME_FAILOVER_FAILED:
		return "failover failed";
	case ENGINE_OUTCOME_CHECKS_FAILED:
		return "checks failed";
	case ENGINE_OUTCOME_CRASHED:
		return "exited unexpectedly";
	case ENGINE_OUTCOME_STOPPED:
		return "stopped";
	case ENGINE_OUTCOME_PAUSED:
		return "failover paused by the storm breaker";
	}
	return "?";
}

const char *
engine_health_name(enum engine_health h)
{
	switch (h) {
	case ENGINE_HEALTH_UNKNOWN:
		return "unknown";
	case ENGINE_HEALTH_STARTING:
		return "starting";
	case ENGINE_HEALTH_OK:
		return "ok";
	case ENGINE_HEALTH_MASTER_FAILING:
		return "master failing";
	case ENGINE_HEALTH_FAILING_OVER:
		return "failing over";
	case ENGINE_HEALTH_STOPPED:
		return "stopped";
	}
	return "?";
}
