/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The native engine's registry reads in a thread of their own: which
 * clusters to watch is read every second into a snapshot the loop takes
 * without waiting. A registry that is slow, locked or hung stalls this
 * thread only; the loop that holds the canaries and probes never waits for
 * it (before, a read in the loop took up to 0.8 s on this machine's SQLite
 * registry under a status pass, and up to read_timeout on a hung MySQL
 * one, during which no master was probed).
 */
#ifndef MHAADM_NATIVE_READER_H
#define MHAADM_NATIVE_READER_H

#include <stddef.h>

struct config;
struct registry;
struct registry_cluster;
struct native_reader;

/* Starts the thread (cfg borrowed for its life); NULL with *cause. */
struct native_reader *native_reader_start(const struct config *cfg, char **cause);

/* Stops the thread (it finishes the read under way, bounded by the registry's timeouts). */
void native_reader_stop(struct native_reader *r);

/*
 * The newest list read that the caller has not taken: 1 with *list and *n
 * (the caller frees them: registry_cluster_list_free), 0 when nothing new.
 */
int native_reader_take(struct native_reader *r, struct registry_cluster ***list, size_t *n);

/*
 * A registry handle for the loop's own writes (events, state changes),
 * opened by the thread on the next read after a caller without one
 * (have 0) asked; the caller owns what it gets. NULL while none is open.
 * *stale: a read failed since the last call, so the handle the caller
 * holds is likely dead: it should close it and ask again.
 */
struct registry *native_reader_handle(struct native_reader *r, int have, int *stale);

#endif
