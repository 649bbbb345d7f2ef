/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The native engine's registry I/O in a thread of its own: which clusters
 * to watch is read every second into a snapshot the loop takes without
 * waiting, and the loop's events and state changes are queued here and
 * written in order. A registry that is slow, locked or hung stalls this
 * thread only; the loop that holds the canaries and probes never waits
 * for it (before, a read in the loop took up to 0.8 s on this machine's
 * SQLite registry under a status pass at 1,000 clusters, and a write or a
 * read up to read_timeout against a hung MySQL one, during which no
 * master was probed). The promotion threads keep their own handles.
 */
#ifndef MHAADM_NATIVE_READER_H
#define MHAADM_NATIVE_READER_H

#include <stddef.h>

#include "registry.h"

struct config;
struct native_reader;

/* Starts the thread (cfg borrowed for its life); NULL with *cause. */
struct native_reader *native_reader_start(const struct config *cfg, char **cause);

/*
 * Stops the thread after one more try at what is still queued (each write
 * bounded by the registry's timeouts; events that cannot be written are
 * spooled, state changes that cannot are logged as lost).
 */
void native_reader_stop(struct native_reader *r);

/*
 * The newest list read that the caller has not taken: 1 with *list and *n
 * (the caller frees them: registry_cluster_list_free) and *read_ms (the
 * monotonic ms at which that read began: a change the caller saw complete
 * after it is not in it), 0 when nothing new.
 */
int native_reader_take(
    struct native_reader *r, struct registry_cluster ***list, size_t *n, long long *read_ms);

/*
 * Queues a state change of cluster (event_transition with desired kept),
 * written after everything queued before it; a change the registry cannot
 * take now is tried again, in order, at the next pass. Checked against
 * this manager's lease when written (dropped, logged, when not held).
 * 0 queued, -1 the queue is full (nothing queued: try again later).
 */
int native_reader_transition(struct native_reader *r, const char *cluster,
    enum registry_state state, const char *type, const char *message);

/*
 * Queues an event (event_emit_fields; fields as EVENT_FIELDS or NULL,
 * copied). When the queue is full it is emitted at once without the
 * registry (spooled).
 */
void native_reader_emit(struct native_reader *r, const char *cluster, const char *node,
    const char *type, const char *const *fields, const char *message);

/* A queued state change, once written (ok) or given up (not held, cluster gone). */
struct native_reader_done {
	char *cluster;
	enum registry_state state;
	int ok;
	long long at_ms; /* monotonic ms when it was written */
};

/* The state changes finished since the last call into *out (free with native_reader_done_free). */
size_t native_reader_done(struct native_reader *r, struct native_reader_done **out);
void native_reader_done_free(struct native_reader_done *list, size_t n);

#endif
