/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The native engine's kept SSH sessions: one libssh session per distinct
 * database host, opened and reopened (with backoff) by a thread of their
 * own so that the monitoring loop never waits for SSH, and lent to a
 * failover so that it pays no connection setup.
 */
#ifndef MHAADM_NATIVE_SSH_H
#define MHAADM_NATIVE_SSH_H

struct config;
struct ssh_conn;
struct native_ssh;

/*
 * Starts the keeper thread over cfg's ssh_* keys (cfg is borrowed for the
 * pool's life). At most cfg->ssh_keep_sessions hosts are kept (0: none;
 * every session is then opened when a failover needs it). Never NULL.
 */
struct native_ssh *native_ssh_new(const struct config *cfg);

/* Stops the keeper thread and closes every session. NULL is fine. */
void native_ssh_free(struct native_ssh *p);

/*
 * The set of hosts to keep, given once per registry read: begin, want for
 * each node's host, end. Hosts no longer wanted are closed by the keeper.
 */
void native_ssh_begin(struct native_ssh *p);
void native_ssh_want(struct native_ssh *p, const char *host);
void native_ssh_end(struct native_ssh *p);

/*
 * Lends the kept session of host (*kept = 1), or opens one with timeout
 * seconds when none is kept or it is busy (*kept = 0). The caller owns it
 * until native_ssh_give. NULL with *cause.
 */
struct ssh_conn *native_ssh_take(
    struct native_ssh *p, const char *host, int timeout, int *kept, char **cause);

/*
 * Gives a session back after use: kept again when it came from the pool
 * and still works (broken = 0), else closed (the keeper reopens it).
 */
void native_ssh_give(
    struct native_ssh *p, const char *host, struct ssh_conn *c, int kept, int broken);

/* How many sessions are open now (for the status file and the tests). */
int native_ssh_open_count(struct native_ssh *p);

#endif
