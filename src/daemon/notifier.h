/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The notifier: follows the registry's events and delivers them to the configured channels. */
#ifndef MHAADM_NOTIFIER_H
#define MHAADM_NOTIFIER_H

struct config;
struct notify_message;
struct registry_event;
struct registry_cluster;

/*
 * Runs until SIGTERM/SIGINT (mhaadm notifier, started by the daemon):
 * reads new events once a second, queues each channel's share in its own
 * bounded queue served by its own thread, records failures as
 * notify.failed / notify.dropped events, and keeps a cursor per channel in
 * WORKDIR/notify.cursor so that a restart neither loses nor repeats.
 * Returns 0, or -1 with *cause when it cannot start.
 */
int notifier_run(const struct config *cfg, char **cause);

/*
 * Fills m from an event and its cluster (NULL when deleted): time in
 * ISO-8601, VIP, current master, old/new master, severity, summary.
 */
void notifier_message_from_event(struct notify_message *m, const struct registry_event *ev,
    const struct registry_cluster *c, const char *manager);

#endif
