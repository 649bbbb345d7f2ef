/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one event function: every outward effect about a cluster goes through event_emit. */
#ifndef MHAADM_EVENT_H
#define MHAADM_EVENT_H

struct config;
struct registry;

/* --- the table of event types (event-types.c) --- */

enum event_severity {
	EVENT_INFO,
	EVENT_WARNING,
	EVENT_CRITICAL,
};

/* Says why a cluster is not protected: list's "why:", start's reason for failing. */
#define EVENT_PROBLEM 0x1u
/* Ends every problem before it: monitoring (re)started, or stopped by a DBA. */
#define EVENT_CLEARS 0x2u
/* Reported by the daemon itself: the status pass does not report it again. */
#define EVENT_DAEMON 0x4u

struct event_type {
	const char *name;             /* "failover.completed" */
	enum event_severity severity; /* for notifications */
	unsigned int flags;           /* EVENT_PROBLEM, EVENT_CLEARS, EVENT_DAEMON */
	const char *resolved_by;      /* the type that says this finding is over, or NULL */
};

/* The row of type name, or NULL for a type the table does not know. */
const struct event_type *event_type_find(const char *name);
/* name's severity; a type the table does not know is critical when it ends in .failed/_failed. */
enum event_severity event_type_severity(const char *name);
/* "critical", "warning" or "info". */
const char *event_severity_name(enum event_severity s);
/* 1 when type name has flag (EVENT_PROBLEM, ...); 0 for an unknown type. */
int event_type_is(const char *name, unsigned int flag);
/* The type that says a finding of type name is over, or NULL. */
const char *event_type_resolved_by(const char *name);
/* 1 when the table is sorted and has no duplicates (a unit test checks it). */
int event_types_sorted(void);

/* --- emitting events (event.c) --- */

/*
 * Fields of an event, as one NULL-terminated list of key, value, key, value:
 * EVENT_FIELDS("old_master", old, "new_master", new). A NULL value leaves that
 * field out.
 */
#define EVENT_FIELDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* "HOST:PORT" in a buffer that lives until the end of the enclosing block. */
#define EVENT_ADDR_MAX 300
#define EVENT_ADDR(host, port) event_addr((char[EVENT_ADDR_MAX]){0}, (host), (port))
const char *event_addr(char *buf, const char *host, int port);

/*
 * From now on, events the registry cannot take (reg NULL, the registry
 * down, or older events still spooled) are spooled under cfg's workdir
 * (spool.h) instead of lost, and reach the history and the notifications,
 * in order, when it returns. cfg must outlive the setting; NULL turns it off.
 */
void event_spool_to(const struct config *cfg);

/*
 * From now on every event of this process carries the field manager=name
 * (manager HA: which manager acted); NULL or "" turns it off.
 */
void event_set_manager(const char *name);
/* The name event_set_manager set, or NULL (for events written without event_emit). */
const char *event_get_manager(void);

/*
 * Emits an event: a log line "event cluster=NAME [node=HOST:PORT] TYPE:
 * MESSAGE" on stderr and, when reg is not NULL, a history row (see
 * event_spool_to for when the registry cannot take it). The message
 * is for people and must never hold a password; what a program needs goes
 * in fields (event_emit_fields). Returns 0 (recorded, or spooled), or -1
 * when the registry could not take the row and it was not spooled (the log
 * line says so; the caller decides whether that matters — a failover never
 * waits for it).
 */
int event_emit(struct registry *reg, const char *cluster, const char *node, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* event_emit with named fields (EVENT_FIELDS), stored with the history row. */
int event_emit_fields(struct registry *reg, const char *cluster, const char *node, const char *type,
    const char *const *fields, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

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
