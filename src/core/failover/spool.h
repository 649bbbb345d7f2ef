/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registry writes that could not be made when they happened (the management
 * node was down during a failover): master changes and events, kept in files
 * under <workdir>/spool and applied in the order they happened, once, when
 * the registry returns.
 */
#ifndef MHAADM_SPOOL_H
#define MHAADM_SPOOL_H

struct config;
struct registry;
struct registry_event;

/* Keeps "cluster's master is now host:port" with its event message. 0, or -1 with *cause. */
int spool_write_master(const struct config *cfg, const char *cluster, const char *host, int port,
    const char *message, char **cause);

/*
 * Keeps ev (its time, or now when ev->at is NULL, its fields and the rest)
 * to be added to the history later. 0, or -1 with *cause.
 */
int spool_write_event(const struct config *cfg, const struct registry_event *ev, char **cause);

/* 1 when the spool holds records not yet applied. */
int spool_pending(const struct config *cfg);

/*
 * Applies and removes the spooled records, oldest first, stopping at the
 * first one the registry refuses (it and every later one stay, so the order
 * holds). Only one process applies at a time; while another does, this
 * applies nothing. Returns how many were applied.
 */
int spool_apply(struct registry *reg, const struct config *cfg);

#endif
