/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one event function: log line plus history row, with the event's named fields. */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "registry.h"
#include "spool.h"
#include "xmalloc.h"

/*
 * Where events go that the registry cannot take now (event_spool_to); NULL:
 * they are logged and lost, as in the unit tests and before a config is read.
 */
static const struct config *event_spool_cfg;

void
event_spool_to(const struct config *cfg)
{
	event_spool_cfg = cfg;
}

/* The manager every event of this process names (event_set_manager), or NULL. */
static char event_manager[128];

void
event_set_manager(const char *name)
{
	snprintf(event_manager, sizeof(event_manager), "%s", name != NULL ? name : "");
}

const char *
event_get_manager(void)
{
	return event_manager[0] != '\0' ? event_manager : NULL;
}

const char *
event_addr(char *buf, const char *host, int port)
{
	snprintf(buf, EVENT_ADDR_MAX, "%s:%d", host != NULL ? host : "?", port);
	return buf;
}

/* The current UTC time as "YYYY-MM-DD HH:MM:SS" in stamp (size len). */
static void
event_stamp(char *stamp, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Sets ev's fields from a list of EVENT_FIELDS (NULL: none). */
static void
event_fields_set(struct registry_event *ev, const char *const *fields)
{
	size_t i;

	for (i = 0; fields != NULL && fields[i] != NULL; i += 2) {
		if (fields[i + 1] != NULL)
			registry_event_field_set(ev, fields[i], fields[i + 1]);
	}
	if (event_manager[0] != '\0' && registry_event_field(ev, "manager") == NULL)
		registry_event_field_set(ev, "manager", event_manager);
}

/* The journal priority of an event's log line: its severity in the table of types. */
static int
event_priority(const char *type)
{
	switch (event_type_severity(type)) {
	case EVENT_CRITICAL:
		return LOG_PRIO_ERR;
	case EVENT_WARNING:
		return LOG_PRIO_WARNING;
	case EVENT_INFO:
		break;
	}
	return LOG_PRIO_INFO;
}

__attribute__((format(printf, 6, 0))) static int
event_vemit(struct registry *reg, const char *cluster, const char *node, const char *type,
    const char *const *fields, const char *fmt, va_list ap)
{
	struct registry_event ev = {0};
	char *message = NULL, *cause = NULL, stamp[32];
	int rc = 0;

	if (vasprintf(&message, fmt, ap) < 0)
		abort();
	event_stamp(stamp, sizeof(stamp));
	/* The daemon and hooks log every event; interactive commands only with -v. */
	if (log_enabled(LOG_LEVEL_INFO)) {
		fprintf(stderr, "%s%s mhaadm: event cluster=%s%s%s %s: %s\n",
		    log_prefix(event_priority(type)), stamp, cluster != NULL ? cluster : "-",
		    node != NULL ? " node=" : "", node != NULL ? node : "", type, message);
		fflush(stderr);
	}
	ev.cluster = (char *)cluster;
	ev.node = (char *)node;
	ev.type = (char *)type;
	ev.message = message;
	event_fields_set(&ev, fields);
	/*
	 * Events spooled before this one go into the history first: this one
	 * waits behind them when they cannot all go now, so the history keeps
	 * the order things happened in.
	 */
	if (reg != NULL && event_spool_cfg != NULL && spool_pending(event_spool_cfg)) {
		spool_apply(reg, event_spool_cfg);
		if (spool_pending(event_spool_cfg))
			reg = NULL;
	}
	if (reg != NULL && registry_event_add(reg, &ev, &cause) != 0) {
		fprintf(stderr, "%s%s mhaadm: cluster=%s event %s not recorded: %s\n",
		    log_prefix(LOG_PRIO_ERR), stamp, cluster != NULL ? cluster : "-", type, cause);
		free(cause);
		cause = NULL;
		reg = NULL;
		rc = -1;
	}
	if (reg == NULL && event_spool_cfg != NULL) {
		/* Kept with its own time, for the history and the notifications later. */
		ev.at = stamp;
		if (spool_write_event(event_spool_cfg, &ev, &cause) == 0) {
			fprintf(stderr,
			    "%s%s mhaadm: cluster=%s event %s spooled for the registry\n",
			    log_prefix(LOG_PRIO_WARNING), stamp, cluster != NULL ? cluster : "-",
			    type);
			rc = 0;
		} else {
			fprintf(stderr, "%s%s mhaadm: cluster=%s event %s LOST: %s\n",
			    log_prefix(LOG_PRIO_ERR), stamp, cluster != NULL ? cluster : "-", type,
			    cause);
			free(cause);
			rc = -1;
		}
	}
	registry_event_fields_free(&ev);
	free(message);
	return rc;
}

int
event_emit(struct registry *reg, const char *cluster, const char *node, const char *type,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = event_vemit(reg, cluster, node, type, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int
event_emit_fields(struct registry *reg, const char *cluster, const char *node, const char *type,
    const char *const *fields, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = event_vemit(reg, cluster, node, type, fields, fmt, ap);
	va_end(ap);
	return rc;
}

int
event_transition(struct registry *reg, const char *cluster, enum registry_state state,
    enum registry_desired desired, const char *type, const char *fmt, ...)
{
	struct registry_event ev = {0};
	char *message = NULL, *cause = NULL;
	va_list ap;
	int rc, n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (log_enabled(LOG_LEVEL_INFO)) {
		char stamp[32];

		event_stamp(stamp, sizeof(stamp));
		fprintf(stderr, "%s%s mhaadm: event cluster=%s %s: %s (state %s, desired %s)\n",
		    log_prefix(event_priority(type)), stamp, cluster, type, message,
		    registry_state_name(state),
		    desired == REGISTRY_DESIRED_KEEP ? "unchanged"
		                                     : registry_desired_name(desired));
		fflush(stderr);
	}
	ev.cluster = (char *)cluster;
	ev.type = (char *)type;
	ev.message = message;
	event_fields_set(&ev, NULL);
	rc = registry_cluster_set_state(reg, cluster, state, desired, &ev, &cause);
	if (rc < 0) {
		fprintf(stderr, "%smhaadm: cluster=%s state change to %s not recorded: %s\n",
		    log_prefix(LOG_PRIO_ERR), cluster, registry_state_name(state), cause);
		free(cause);
	}
	registry_event_fields_free(&ev);
	free(message);
	return rc;
}
