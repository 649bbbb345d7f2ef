/* The one event function: log line plus history row. */
#include "event.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "registry.h"
#include "xmalloc.h"

int
event_emit(struct registry *reg, const char *cluster, const char *node, const char *type,
    const char *fmt, ...)
{
	struct registry_event ev = { 0 };
	char *message = NULL, *cause = NULL, stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int rc = 0, n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	/* The daemon and hooks log every event; interactive commands only with -v. */
	if (log_enabled(LOG_LEVEL_INFO)) {
		fprintf(stderr, "%s mhaadm: event cluster=%s%s%s %s: %s\n", stamp,
		    cluster != NULL ? cluster : "-", node != NULL ? " node=" : "",
		    node != NULL ? node : "", type, message);
		fflush(stderr);
	}
	if (reg != NULL) {
		ev.cluster = (char *)cluster;
		ev.node = (char *)node;
		ev.type = (char *)type;
		ev.message = message;
		if (registry_event_add(reg, &ev, &cause) != 0) {
			fprintf(stderr, "%s mhaadm: cluster=%s event %s not recorded: %s\n", stamp,
			    cluster != NULL ? cluster : "-", type, cause);
			free(cause);
			rc = -1;
		}
	}
	free(message);
	return rc;
}

int
event_transition(struct registry *reg, const char *cluster, enum registry_state state,
    enum registry_desired desired, const char *type, const char *fmt, ...)
{
	struct registry_event ev = { 0 };
	char *message = NULL, *cause = NULL;
	va_list ap;
	int rc, n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (log_enabled(LOG_LEVEL_INFO)) {
		time_t now = time(NULL);
		char stamp[32];
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s mhaadm: event cluster=%s %s: %s (state %s, desired %s)\n", stamp,
		    cluster, type, message, registry_state_name(state),
		    desired == REGISTRY_DESIRED_KEEP ? "unchanged" : registry_desired_name(desired));
		fflush(stderr);
	}
	ev.cluster = (char *)cluster;
	ev.type = (char *)type;
	ev.message = message;
	rc = registry_cluster_set_state(reg, cluster, state, desired, &ev, &cause);
	if (rc < 0) {
		fprintf(stderr, "mhaadm: cluster=%s state change to %s not recorded: %s\n", cluster,
		    registry_state_name(state), cause);
		free(cause);
	}
	free(message);
	return rc;
}
