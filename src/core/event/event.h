/* The one event function: every outward effect about a cluster goes through event_emit. */
#ifndef MHAADM_EVENT_H
#define MHAADM_EVENT_H

struct registry;

/*
 * Emits an event: a log line "event cluster=NAME [node=HOST:PORT] TYPE:
 * MESSAGE" on stderr and, when reg is not NULL, a history row. The message
 * must never hold a password. Returns 0, or -1 when the registry could not
 * take the row (the log line says so; the caller decides whether that
 * matters — a failover never waits for it).
 */
int event_emit(struct registry *reg, const char *cluster, const char *node, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#include "registry.h"

/*
 * The one place a cluster changes state: sets state and desired and records
 * the event (type, message) in one transaction, and logs it like
 * event_emit. Returns 0, 1 when the cluster is gone, -1 with the reason
 * logged.
 */
int event_transition(struct registry *reg, const char *cluster, enum registry_state state,
    enum registry_desired desired, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
