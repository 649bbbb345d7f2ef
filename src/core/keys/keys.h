/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSH trust for a cluster: mhaadm's key pair, pinned host keys, tagged authorized_keys entries. */
#ifndef MHAADM_KEYS_H
#define MHAADM_KEYS_H

#include <stddef.h>
#include <stdio.h>

struct config;
struct registry;
struct registry_cluster;

/* Every authorized_keys entry mhaadm installs ends with this comment plus the cluster name. */
#define KEYS_TAG_PREFIX "mhaadm-keys:"

/* The options every entry carries after from="…". */
#define KEYS_AUTH_OPTIONS "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-pty"

/*
 * The authorized_keys line for cluster: from="A,B,…",KEYS_AUTH_OPTIONS
 * TYPE BASE64 mhaadm-keys:CLUSTER (no newline). pubkey is "TYPE BASE64".
 * Returns a newly allocated string.
 */
char *keys_authorized_line(
    const char *pubkey, const char *const *from, size_t n_from, const char *cluster);

/*
 * True when the line (len bytes, newline excluded) is an entry mhaadm
 * installed for cluster: it starts with from=" and its last field is
 * exactly mhaadm-keys:CLUSTER. Comments and other clusters' entries are not.
 */
int keys_authorized_is_ours(const char *line, size_t len, const char *cluster);

/*
 * The new authorized_keys text: every line of old that is not ours for
 * cluster, byte for byte, then add_line and a newline when add_line is not
 * NULL. *removed (may be NULL) gets the number of lines dropped. Returns a
 * newly allocated string.
 */
char *keys_authorized_update(
    const char *old, const char *cluster, const char *add_line, size_t *removed);

/* One ssh link of the mesh MHA needs; from is NULL for the manager. */
struct keys_link {
	const char *from;
	const char *to;
	int ok;
	char *error; /* why not, or NULL */
};

/*
 * Prints the check matrix: a row for the manager and one per host, a
 * column per host, "ok" / "FAIL" / "-" (a host to itself), then one line
 * per failed link. links has (n + 1) * n entries, row-major, row 0 the
 * manager.
 */
void keys_matrix_print(FILE *f, const char *const *hosts, size_t n, const struct keys_link *links);

/* The same as JSON: {"cluster", "ok", "hosts", "links": [{from, to, ok, error}]}. */
char *keys_matrix_json(
    const char *cluster, const char *const *hosts, size_t n, const struct keys_link *links);

/*
 * Reads the first-contact password: from file (must be a regular file not
 * accessible by group or others; the first line), else from the
 * environment variable MHAADM_SSH_PASSWORD. *out is NULL when neither is
 * given. Returns 0, or -1 with *cause. Free *out with xfree_secret.
 */
int keys_password_read(const char *file, char **out, char **cause);

/* Prompts for the password on the terminal without echo; NULL when there is none. */
char *keys_password_prompt(const char *user);

struct keys_opts {
	const char *identity; /* operator's key for the first contact, or NULL */
	char *password;       /* first-contact password or NULL (not owned) */
	int may_prompt;       /* ask on the terminal when a host refuses everything else */
	FILE *out;            /* progress and results */
};

/*
 * Sets up trust for the cluster's nodes: mhaadm's ed25519 key pair
 * (created 0600 when missing), each host key shown and pinned on first
 * contact (a changed one refuses the whole run before anything is
 * written), the key and known_hosts copied to every node (0600, owned by
 * ssh_user) for MHA's node-to-node ssh, a tagged, limited authorized_keys
 * entry on every node, then a login with mhaadm's key alone. Returns 0,
 * or -1 with *cause.
 */
int keys_setup(const struct config *cfg, const struct registry_cluster *c, struct keys_opts *opts,
    char **cause);

/*
 * Checks manager→node (libssh, strict) and node→node (the node's ssh with
 * MHA's options) for every pair. Fills *links ((n+1)*n, free with
 * keys_links_free) and *hosts (n). Returns 0 when all work, 1 when some
 * do not, -1 with *cause.
 */
int keys_check(const struct config *cfg, const struct registry_cluster *c, struct keys_link **links,
    char ***hosts, size_t *n, char **cause);
void keys_links_free(struct keys_link *links, char **hosts, size_t n);

/*
 * Removes the authorized_keys entries mhaadm installed for the cluster
 * from every node (nothing else is touched). Returns 0, or -1 with *cause
 * naming the hosts it could not clean.
 */
int keys_remove(
    const struct config *cfg, const struct registry_cluster *c, FILE *out, char **cause);

/* 1 when the cluster's newest keys event is keys.installed, 0 when not, -1 with *cause. */
int keys_installed(struct registry *reg, const char *cluster, char **cause);

#endif
