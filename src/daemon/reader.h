/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's registry I/O, in a thread of its own: it reads the clusters
 * into a snapshot, applies spooled records, and performs the events and
 * state changes the supervisor loop queued. A management node that hangs
 * stalls this thread only (each call bounded by the connect/read
 * timeouts); the loop reads the newest snapshot and queues writes, never
 * waiting for the registry.
 */
#ifndef MHAADM_READER_H
#define MHAADM_READER_H

#include <stddef.h>
#include <time.h>

#include "registry.h"

struct config;
struct reader;

/* Writes the loop may queue before reader_emit/_transition refuse (then: spool, or retry). */
#define READER_QUEUE_MAX 256

/* Starts the thread. cfg is borrowed for the reader's life. Returns NULL with *cause. */
struct reader *reader_start(const struct config *cfg, char **cause);

/* Stops the thread after the writes still queued (each bounded), and frees everything. */
void reader_stop(struct reader *r);

/* Asks for a read now instead of at the next second. */
void reader_poke(struct reader *r);

/*
 * Takes the newest snapshot when there is one the caller has not taken:
 * returns 1 with *list and *n (the caller owns them: registry_cluster_list_free)
 * and *applied (every write queued with a sequence number up to it is in
 * the snapshot) and *read_ms (reader_now_ms when the read began: what
 * happened before it is in it); 0 when nothing new.
 */
int reader_take(struct reader *r, struct registry_cluster ***list, size_t *n,
    unsigned long long *applied, long long *read_ms);

/* Milliseconds on the monotonic clock: *read_ms of reader_take is when that read began. */
long long reader_now_ms(void);

/*
 * Queues an event (event_emit) / a state change (event_transition).
 * Returns its sequence number (> 0), or 0 when the queue is full.
 */
unsigned long long reader_emit(
    struct reader *r, const char *cluster, const char *node, const char *type, const char *message);
unsigned long long reader_transition(struct reader *r, const char *cluster,
    enum registry_state state, enum registry_desired desired, const char *type,
    const char *message);

/*
 * Manager HA (lease.h; only with leases in force): every pass of the
 * registry thread also sends this manager's heartbeat, renews its leases
 * in one statement, takes its share of the free ones (lease-plan.h) and
 * writes the lease files its hooks and fence passes read.
 */
struct reader_lease {
	char *cluster;
	long long epoch;
	long long sent_ms; /* lease_now_ms when the renewal or acquisition that holds it was sent */
};

/*
 * Copies the leases held now into *out (the caller frees them with
 * reader_leases_free) and whether a drain is asked (*draining). Returns 1
 * once a lease pass has completed, 0 before (nothing is known yet).
 */
int reader_leases(struct reader *r, struct reader_lease **out, size_t *n, int *draining);
void reader_leases_free(struct reader_lease *list, size_t n);

/*
 * Asks the registry thread to release every lease (the caller's engines
 * have stopped) and to take none from then on, and wakes it. reader_released:
 * 1 once done.
 */
void reader_release(struct reader *r);
int reader_released(struct reader *r);

#endif
