/*
 * Registry updates that could not be written when they happened (the
 * management node was down during a failover), kept in files under
 * <workdir>/spool and applied by the daemon when the registry returns.
 */
#ifndef MHAADM_SPOOL_H
#define MHAADM_SPOOL_H

struct config;
struct registry;

/* Keeps "cluster's master is now host:port" with its event message. 0, or -1 with *cause. */
int spool_write_master(const struct config *cfg, const char *cluster, const char *host, int port,
    const char *message, char **cause);

/* Applies and removes every spooled update, oldest first. Returns how many were applied. */
int spool_apply(struct registry *reg, const struct config *cfg);

#endif
