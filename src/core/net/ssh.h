/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSH from mhaadm itself, through libssh, with strictly pinned host keys. */
#ifndef MHAADM_SSH_H
#define MHAADM_SSH_H

#include <stddef.h>

struct ssh_target {
	const char *host;
	int port;                /* 22 when 0 */
	const char *user;        /* e.g. "root" */
	const char *key_path;    /* private key file (mode 0600) */
	const char *known_hosts; /* mhaadm's own known_hosts; the host must be in it */
	int timeout;             /* seconds for connect and for each command */
	/*
	 * First contact only (mhaadm keys); all NULL/0 everywhere else. When
	 * key_path cannot be read or is refused, identity (an operator's key)
	 * and then password are tried. accept_new lets a host whose key is not
	 * pinned yet through; the connection then holds the known_hosts line
	 * (ssh_conn_new_pin), which nothing writes until ssh_conn_pin. A
	 * changed key is refused whatever accept_new says.
	 */
	const char *identity;
	const char *password;
	int accept_new;
};

struct ssh_conn;
struct config;

/* Fills t for host from the config's ssh_* keys, with timeout seconds (pointers borrow). */
void ssh_target_from_config(
    struct ssh_target *t, const struct config *cfg, const char *host, int timeout);

/*
 * Connects and authenticates with the key. The server's host key must
 * match the one pinned in known_hosts; an unknown host is an error saying
 * how to pin it, a changed key is a loud error naming the host and both
 * fingerprints. Returns NULL with *cause on failure.
 */
struct ssh_conn *ssh_conn_open(const struct ssh_target *t, char **cause);

/*
 * Runs argv on the host (each element quoted with shquote, so nothing in
 * them is interpreted by the remote shell). stdin_data may be NULL. Output
 * is captured into *out / *err when not NULL (newly allocated, capped at
 * 1 MiB each). Returns 0 and the remote exit status in *exit_status, or -1
 * with *cause (connection lost, timeout).
 */
int ssh_conn_run(struct ssh_conn *c, const char *const *argv, const char *stdin_data,
    size_t stdin_len, char **out, char **err, int *exit_status, char **cause);

void ssh_conn_close(struct ssh_conn *c);

/*
 * Sets the bound of each later ssh_conn_run on c (seconds; a kept session
 * opened with a short connect timeout may run a longer command).
 */
void ssh_conn_set_timeout(struct ssh_conn *c, int seconds);

/*
 * 1 when the session still looks usable without a round trip: libssh
 * thinks it is connected and its socket has neither EOF nor an error
 * pending (a peer that closed or reset it is seen; a host that vanished
 * without a word is only found by the next command). 0 otherwise.
 */
int ssh_conn_alive(struct ssh_conn *c);

/*
 * With accept_new: the fingerprint ("SHA256:…") and key type of a host
 * key that was not pinned yet, or NULL when it was (pointers borrow).
 */
const char *ssh_conn_new_pin(const struct ssh_conn *c, const char **type);

/* Appends the new host key line to known_hosts (created 0600). 0, or -1 with *cause. */
int ssh_conn_pin(struct ssh_conn *c, const char *known_hosts, char **cause);

/* The numeric local and peer addresses of the connection ("" when unknown). */
void ssh_conn_addrs(const struct ssh_conn *c, char *local, size_t llen, char *peer, size_t plen);

/* "SHA256:…" of a public key in OpenSSH base64 ("AAAA…"), newly allocated; NULL if bad. */
char *ssh_fingerprint_base64(const char *type, const char *base64);

/* Opens, runs one command, closes. Same contract as ssh_conn_run. */
int ssh_run(const struct ssh_target *t, const char *const *argv, char **out, char **err,
    int *exit_status, char **cause);

#endif
