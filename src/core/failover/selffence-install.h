/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Installing, stopping and asking after the self-fence agent on a node, from the manager. */
#ifndef MHAADM_SELFFENCE_INSTALL_H
#define MHAADM_SELFFENCE_INSTALL_H

#include <stddef.h>

struct config;
struct registry;
struct registry_cluster;
struct registry_node;

/*
 * The agent's config on a node: mha_remote_workdir/self-fence.CLUSTER.HOST_PORT.cnf
 * (FILE.pid and FILE.log beside it). Newly allocated.
 */
char *selffence_remote_path(
    const struct config *cfg, const char *cluster, const char *host, int port);

/*
 * Writes the agent's config for master m of c on m's host (through the SSH
 * session's stdin, mode 0600) and (re)starts the agent there; the agent
 * first checks that it can reach the local server. Returns 0 with *done
 * (newly allocated: the agent's own line), or -1 with *cause.
 */
int selffence_install(const struct config *cfg, const struct registry_cluster *c,
    const struct registry_node *m, char **done, char **cause);

/*
 * Runs "mhaadm self-fence --config FILE OPTION" (--stop or --status) on
 * host over SSH. Returns 1 when it printed "running", 0 otherwise, -1
 * with *cause when the host or the command failed.
 */
int selffence_remote_ctl(const struct config *cfg, const char *cluster, const char *host, int port,
    const char *option, int timeout, char **cause);

/*
 * start's step for the clusters in list with the self-fence on: the agent
 * installed on the master (event selffence.started, or selffence.failed
 * and a warning: monitoring still starts), stopped on the other nodes.
 */
void selffence_start_clusters(
    const struct config *cfg, struct registry *reg, struct registry_cluster *const *list, size_t n);

/*
 * After a completed failover of cluster (old_master, new_master: "HOST" or
 * "HOST:PORT"): with the self-fence on, the agent installed on the new
 * master, as the registry names it (never when it still names another:
 * a spooled record), and stopped on the old one (one try, 1 s: it is
 * usually unreachable). Events selffence.started / selffence.failed.
 */
void selffence_after_failover(const struct config *cfg, struct registry *reg, const char *cluster,
    const char *old_master, const char *new_master);

struct status_cluster;

/*
 * list's check (status.h): for each monitored cluster with the self-fence
 * on, asks its master's host over SSH (probe_timeout) whether the agent
 * runs, and fills sc[i].selffence_wanted / selffence_running (-1 when the
 * host cannot be asked). One SSH session per such cluster.
 */
void selffence_status(const struct config *cfg, struct registry_cluster *const *list,
    struct status_cluster *sc, size_t n);

#endif
