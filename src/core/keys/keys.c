/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSH trust for a cluster: mhaadm's key pair, pinned host keys, tagged authorized_keys entries. */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libssh/libssh.h>

#include "config.h"
#include "fsutil.h"
#include "registry.h"
#include "ssh.h"
#include "xmalloc.h"

/* Longest file mhaadm copies to a node or reads back (authorized_keys, known_hosts). */
#define KEYS_FILE_MAX (1024 * 1024)

/*
 * The fixed shell text run on a node. Paths and data never appear in it:
 * a path is a positional parameter ($1, quoted by shquote through
 * ssh_conn_run), file contents come on stdin. $HOME is the ssh_user's.
 */
static const char keys_sh_install[] = "umask 077; d=$(dirname -- \"$1\") && mkdir -p -- \"$d\" && "
                                      "cat >\"$1.mhaadm-tmp\" && chmod 600 -- \"$1.mhaadm-tmp\" && "
                                      "mv -f -- \"$1.mhaadm-tmp\" \"$1\"";
static const char keys_sh_ak_read[] =
    "f=\"$HOME/.ssh/authorized_keys\"; if [ -f \"$f\" ]; then cat -- \"$f\"; fi";
static const char keys_sh_ak_write[] =
    "umask 077; d=\"$HOME/.ssh\"; mkdir -p -- \"$d\" && "
    "cat >\"$d/authorized_keys.mhaadm-tmp\" && "
    "mv -f -- \"$d/authorized_keys.mhaadm-tmp\" \"$d/authorized_keys\"";

/* ---- authorized_keys lines ------------------------------------------- */

char *
keys_authorized_line(
    const char *pubkey, const char *const *from, size_t n_from, const char *cluster)
{
	char *list = xstrdup(""), *tmp, *line;
	size_t i;

	for (i = 0; i < n_from; i++) {
		tmp = xasprintf("%s%s%s", list, i == 0 ? "" : ",", from[i]);
		free(list);
		list = tmp;
	}
	line = xasprintf(
	    "from=\"%s\"," KEYS_AUTH_OPTIONS " %s " KEYS_TAG_PREFIX "%s", list, pubkey, cluster);
	free(list);
	return line;
}

int
keys_authorized_is_ours(const char *line, size_t len, const char *cluster)
{
	size_t tlen, plen = strlen(KEYS_TAG_PREFIX), clen = strlen(cluster), start;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len < 6 || strncmp(line, "from=\"", 6) != 0)
		return 0;
	tlen = plen + clen;
	if (len <= tlen)
		return 0;
	start = len - tlen;
	if (line[start - 1] != ' ' && line[start - 1] != '\t')
		return 0;
	return strncmp(line + start, KEYS_TAG_PREFIX, plen) == 0 &&
	       strncmp(line + start + plen, cluster, clen) == 0;
}

char *
keys_authorized_update(const char *old, const char *cluster, const char *add_line, size_t *removed)
{
	size_t cap = strlen(old) + (add_line != NULL ? strlen(add_line) : 0) + 3, off = 0;
	size_t len, dropped = 0;
	const char *p = old, *nl;
	char *out = xmalloc(cap);

	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (keys_authorized_is_ours(p, len, cluster))
			dropped++;
		else {
			memcpy(out + off, p, len);
			off += len;
			if (nl != NULL)
				out[off++] = '\n';
		}
		p += len + (nl != NULL ? 1 : 0);
	}
	if (add_line != NULL) {
		/* A last foreign line without a newline gets one, or the two would merge. */
		if (off > 0 && out[off - 1] != '\n')
			out[off++] = '\n';
		len = strlen(add_line);
		memcpy(out + off, add_line, len);
		off += len;
		out[off++] = '\n';
	}
	out[off] = '\0';
	if (removed != NULL)
		*removed = dropped;
	return out;
}

/* ---- the check matrix ------------------------------------------------ */

/* A column is as wide as its host name, and at least as wide as "FAIL". */
static size_t
keys_matrix_width(const char *host)
{
	return strlen(host) > 4 ? strlen(host) : 4;
}

void
keys_matrix_print(FILE *f, const char *const *hosts, size_t n, const struct keys_link *links)
{
	size_t w = strlen("from \\ to"), i, j, cw;
	const struct keys_link *l;

	for (i = 0; i < n; i++) {
		if (strlen(hosts[i]) > w)
			w = strlen(hosts[i]);
	}
	fprintf(f, "%-*s", (int)w, "from \\ to");
	for (j = 0; j < n; j++)
		fprintf(f, "  %-*s", j + 1 < n ? (int)keys_matrix_width(hosts[j]) : 0, hosts[j]);
	fputc('\n', f);
	for (i = 0; i <= n; i++) {
		fprintf(f, "%-*s", (int)w, i == 0 ? "manager" : hosts[i - 1]);
		for (j = 0; j < n; j++) {
			l = &links[i * n + j];
			/* The last column is not padded: no trailing blanks. */
			cw = j + 1 < n ? keys_matrix_width(hosts[j]) : 0;
			fprintf(f, "  %-*s", (int)cw,
			    i > 0 && i - 1 == j ? "-"
			    : l->ok             ? "ok"
			                        : "FAIL");
		}
		fputc('\n', f);
	}
	for (i = 0; i < (n + 1) * n; i++) {
		l = &links[i];
		if (!l->ok && l->to != NULL && !(i >= n && (i / n) - 1 == i % n))
			fprintf(f, "%s -> %s: %s\n", l->from != NULL ? l->from : "manager", l->to,
			    l->error != NULL ? l->error : "failed");
	}
}

char *
keys_matrix_json(
    const char *cluster, const char *const *hosts, size_t n, const struct keys_link *links)
{
	json_object *o = json_object_new_object(), *jh = json_object_new_array();
	json_object *jl = json_object_new_array(), *e;
	size_t i;
	int all = 1;
	char *out;

	for (i = 0; i < n; i++)
		json_object_array_add(jh, json_object_new_string(hosts[i]));
	for (i = 0; i < (n + 1) * n; i++) {
		if (i >= n && (i / n) - 1 == i % n)
			continue; /* a host to itself */
		e = json_object_new_object();
		json_object_object_add(e, "from",
		    json_object_new_string(links[i].from != NULL ? links[i].from : "manager"));
		json_object_object_add(e, "to", json_object_new_string(links[i].to));
		json_object_object_add(e, "ok", json_object_new_boolean(links[i].ok));
		json_object_object_add(e, "error",
		    links[i].error != NULL ? json_object_new_string(links[i].error) : NULL);
		json_object_array_add(jl, e);
		all &= links[i].ok != 0;
	}
	json_object_object_add(o, "cluster", json_object_new_string(cluster));
	json_object_object_add(o, "ok", json_object_new_boolean(all));
	json_object_object_add(o, "hosts", jh);
	json_object_object_add(o, "links", jl);
	out = xstrdup(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

/* ---- passwords ------------------------------------------------------- */

int
keys_password_read(const char *file, char **out, char **cause)
{
	struct stat sb;
	char buf[1025];
	const char *env;
	ssize_t n;
	size_t len = 0;
	int fd;

	*out = NULL;
	if (file == NULL) {
		env = getenv("MHAADM_SSH_PASSWORD");
		if (env != NULL && *env != '\0')
			*out = xstrdup(env);
		return 0;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		*cause = xasprintf("password file %s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		*cause = xasprintf("password file %s is not a regular file", file);
		close(fd);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		*cause = xasprintf("password file %s is accessible by group or others (mode %04o); "
		                   "fix: chmod 600 %s",
		    file, (unsigned int)(sb.st_mode & 07777), file);
		close(fd);
		return -1;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		*cause = xasprintf("password file %s holds no password on its first line", file);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	*out = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

char *
keys_password_prompt(const char *user)
{
	struct termios old, quiet;
	char buf[1025];
	FILE *tty;
	char *out = NULL;

	if ((tty = fopen("/dev/tty", "r+e")) == NULL)
		return NULL;
	if (tcgetattr(fileno(tty), &old) != 0) {
		fclose(tty);
		return NULL;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	/* Echo off before the prompt: TCSAFLUSH drops what was typed before it. */
	if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0) {
		fprintf(tty, "SSH password of %s on the cluster's hosts (first contact): ", user);
		fflush(tty);
		if (fgets(buf, sizeof(buf), tty) != NULL) {
			buf[strcspn(buf, "\r\n")] = '\0';
			if (buf[0] != '\0')
				out = xstrdup(buf);
		}
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	}
	fputc('\n', tty);
	explicit_bzero(buf, sizeof(buf));
	fclose(tty);
	return out;
}

/* ---- hosts and connections ------------------------------------------- */

struct keys_host {
	const char *name; /* borrowed from the cluster */
	struct ssh_conn *conn;
	char local[64];
	char peer[64];
	char *error;
};

/* The distinct hosts of the cluster's nodes, failed ones left out. */
static struct keys_host *
keys_hosts(const struct registry_cluster *c, size_t *n)
{
	struct keys_host *h = xcalloc(c->n_nodes > 0 ? c->n_nodes : 1, sizeof(*h));
	size_t i, j;

	*n = 0;
	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_FAILED)
			continue;
		for (j = 0; j < *n; j++) {
			if (strcmp(h[j].name, c->nodes[i].host) == 0)
				break;
		}
		if (j == *n)
			h[(*n)++].name = c->nodes[i].host;
	}
	return h;
}

static void
keys_hosts_free(struct keys_host *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ssh_conn_close(h[i].conn);
		free(h[i].error);
	}
	free(h);
}

/* Reads a whole small file; newly allocated, NULL with *cause. secret: wiped on error paths. */
static char *
keys_file_read(const char *path, size_t *len, char **cause)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > KEYS_FILE_MAX) {
		*cause = xasprintf("%s is not a regular file of at most 1 MiB", path);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		n = read(fd, buf + off, (size_t)sb.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
}

/* Directory part of an absolute path, newly allocated. */
static char *
keys_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL || slash == path ? xstrdup("/")
	                                      : xstrndup(path, (size_t)(slash - path));
}

/*
 * Makes sure mhaadm's key pair exists (ed25519, private key 0600 in a 0700
 * directory) and hands back "TYPE BASE64" of its public key. *created is 1
 * when it was generated now. Returns 0, or -1 with *cause.
 */
static int
keys_keypair(const char *path, char **pub, int *created, char **cause)
{
	ssh_key key = NULL, pubkey = NULL;
	char *dir = NULL, *b64 = NULL, *tmp = NULL, *pubpath = NULL, *pubtext = NULL;
	struct stat sb;
	mode_t old;
	FILE *f;
	int rc = -1;

	*created = 0;
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT) {
			*cause = xasprintf("ssh_key %s: %s", path, strerror(errno));
			return -1;
		}
		dir = keys_dirname(path);
		if (fs_mkdirs(dir, 0700, cause) != 0)
			goto out;
		if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
			*cause = xstrdup("cannot generate an ed25519 key pair");
			goto out;
		}
		/* libssh writes with fopen: the umask makes the file 0600 from the start. */
		tmp = xasprintf("%s.mhaadm-tmp", path);
		old = umask(077);
		unlink(tmp);
		if (ssh_pki_export_privkey_file(key, NULL, NULL, NULL, tmp) != SSH_OK ||
		    chmod(tmp, 0600) != 0 || rename(tmp, path) != 0) {
			umask(old);
			unlink(tmp);
			*cause = xasprintf("cannot write the private key %s", path);
			goto out;
		}
		umask(old);
		*created = 1;
		ssh_key_free(key);
		key = NULL;
	} else if ((sb.st_mode & 077) != 0) {
		*cause =
		    xasprintf("private key %s is accessible by others (mode %04o); chmod 600 "
		              "it, or remove it and its known copies and run 'mhaadm keys' again",
		        path, (unsigned int)(sb.st_mode & 07777));
		goto out;
	}

	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK ||
	    ssh_pki_export_privkey_to_pubkey(key, &pubkey) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(pubkey, &b64) != SSH_OK) {
		*cause = xasprintf(
		    "cannot read the private key %s (a passphrase is not supported)", path);
		goto out;
	}
	*pub = xasprintf("%s %s", ssh_key_type_to_char(ssh_key_type(pubkey)), b64);

	/* The .pub file is for people; a failure to write it is not fatal. */
	pubpath = xasprintf("%s.pub", path);
	if (*created || access(pubpath, F_OK) != 0) {
		pubtext = xasprintf("%s mhaadm\n", *pub);
		if ((f = fopen(pubpath, "we")) != NULL) {
			fputs(pubtext, f);
			fclose(f);
		}
	}
	rc = 0;
out:
	ssh_key_free(key);
	ssh_key_free(pubkey);
	ssh_string_free_char(b64);
	free(dir);
	free(tmp);
	free(pubpath);
	free(pubtext);
	return rc;
}

/* Runs the fixed script with args on the connection, data on stdin. 0, or -1 with *cause. */
static int
keys_remote(struct ssh_conn *conn, const char *host, const char *script, const char *arg,
    const char *data, size_t len, char **out, char **cause)
{
	const char *argv[] = {"sh", "-c", script, "mhaadm-keys", arg, NULL};
	char *err = NULL;
	int status = 0;

	if (ssh_conn_run(conn, argv, data, len, out, &err, &status, cause) != 0)
		return -1;
	if (status != 0) {
		err[strcspn(err, "\n")] = '\0';
		*cause = xasprintf("%s: remote command failed (exit %d): %s", host, status,
		    *err != '\0' ? err : "no message");
		free(err);
		if (out != NULL) {
			free(*out);
			*out = NULL;
		}
		return -1;
	}
	free(err);
	return 0;
}

/* Adds s to the list unless it is empty or there already. */
static void
keys_list_add(const char **list, size_t *n, const char *s)
{
	size_t i;

	if (*s == '\0')
		return;
	for (i = 0; i < *n; i++) {
		if (strcmp(list[i], s) == 0)
			return;
	}
	list[(*n)++] = s;
}

/* Replaces our entry in a host's authorized_keys (add_line NULL: removes it). */
static int
keys_authorized_apply(struct ssh_conn *conn, const char *host, const char *cluster,
    const char *add_line, size_t *removed, char **cause)
{
	char *old = NULL, *new = NULL;
	int rc = -1;

	if (keys_remote(conn, host, keys_sh_ak_read, NULL, NULL, 0, &old, cause) != 0)
		return -1;
	new = keys_authorized_update(old, cluster, add_line, removed);
	if (strcmp(new, old) == 0)
		rc = 0;
	else
		rc = keys_remote(conn, host, keys_sh_ak_write, NULL, new, strlen(new), NULL, cause);
	free(old);
	free(new);
	return rc;
}

int
keys_setup(const struct config *cfg, const struct registry_cluster *c, struct keys_opts *opts,
    char **cause)
{
	struct ssh_target t;
	struct keys_host *h;
	const char **from = NULL, *type;
	char *pub = NULL, *line = NULL, *priv = NULL, *kh = NULL, *dir = NULL, *why = NULL;
	char *asked = NULL;
	size_t n, i, n_from = 0, privlen = 0, khlen = 0, removed;
	int created = 0, rc = -1, failed, attempt;
	FILE *out = opts->out;

	h = keys_hosts(c, &n);
	if (n == 0) {
		*cause = xasprintf("cluster '%s' has no node to set up", c->name);
		goto out;
	}
	dir = keys_dirname(cfg->ssh_known_hosts);
	if (fs_mkdirs(dir, 0700, cause) != 0)
		goto out;

	/* 1. Reach every host; nothing is written until all of them answered. */
	for (attempt = 0; attempt < 2; attempt++) {
		failed = 0;
		for (i = 0; i < n; i++) {
			if (h[i].conn != NULL)
				continue;
			free(h[i].error);
			h[i].error = NULL;
			ssh_target_from_config(&t, cfg, h[i].name, cfg->ssh_timeout);
			t.identity = opts->identity;
			t.password = opts->password;
			t.accept_new = 1;
			if ((h[i].conn = ssh_conn_open(&t, &h[i].error)) == NULL)
				failed++;
		}
		if (failed == 0 || attempt == 1 || opts->password != NULL || !opts->may_prompt)
			break;
		if ((asked = keys_password_prompt(cfg->ssh_user)) == NULL)
			break;
		opts->password = asked;
	}
	if (failed > 0) {
		for (i = 0; i < n; i++) {
			if (h[i].error != NULL)
				fprintf(stderr, "mhaadm: keys: %s\n", h[i].error);
		}
		*cause = xasprintf("%d of %zu hosts could not be reached; nothing was changed%s",
		    failed, n,
		    opts->password == NULL && opts->identity == NULL
		        ? " (for a first contact give a password: --password-file FILE, "
		          "MHAADM_SSH_PASSWORD, a terminal, or an existing key with --identity "
		          "FILE)"
		        : "");
		goto out;
	}

	/* 2. Show and pin the host keys seen for the first time. */
	for (i = 0; i < n; i++) {
		const char *fp = ssh_conn_new_pin(h[i].conn, &type);

		if (fp == NULL) {
			fprintf(out, "%s: host key matches the one pinned in %s\n", h[i].name,
			    cfg->ssh_known_hosts);
			continue;
		}
		if (ssh_conn_pin(h[i].conn, cfg->ssh_known_hosts, cause) != 0)
			goto out;
		fprintf(out, "%s: first contact: host key %s %s pinned in %s\n", h[i].name, type,
		    fp, cfg->ssh_known_hosts);
	}

	/* 3. mhaadm's own key pair. */
	if (keys_keypair(cfg->ssh_key, &pub, &created, cause) != 0)
		goto out;
	{
		char *sp = strchr(pub, ' ');
		char *ktype = xstrndup(pub, (size_t)(sp - pub));
		char *fp = ssh_fingerprint_base64(ktype, sp + 1);

		fprintf(out, "%s key pair %s (%s %s)\n", created ? "created" : "using",
		    cfg->ssh_key, ktype, fp != NULL ? fp : "?");
		free(ktype);
		free(fp);
	}

	/* 4. The entry: from the manager's address(es) and every node's. */
	from = xcalloc(2 * n, sizeof(*from));
	for (i = 0; i < n; i++) {
		ssh_conn_addrs(
		    h[i].conn, h[i].local, sizeof(h[i].local), h[i].peer, sizeof(h[i].peer));
		keys_list_add(from, &n_from, h[i].local);
	}
	for (i = 0; i < n; i++)
		keys_list_add(from, &n_from, h[i].peer);
	line = keys_authorized_line(pub, from, n_from, c->name);

	/* 5. On every node: the key and known_hosts for MHA's node-to-node ssh, then the entry. */
	if ((priv = keys_file_read(cfg->ssh_key, &privlen, cause)) == NULL ||
	    (kh = keys_file_read(cfg->ssh_known_hosts, &khlen, cause)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (keys_remote(h[i].conn, h[i].name, keys_sh_install, cfg->ssh_key, priv, privlen,
		        NULL, cause) != 0 ||
		    keys_remote(h[i].conn, h[i].name, keys_sh_install, cfg->ssh_known_hosts, kh,
		        khlen, NULL, cause) != 0 ||
		    keys_authorized_apply(h[i].conn, h[i].name, c->name, line, &removed, cause) !=
		        0)
			goto out;
		fprintf(out,
		    "%s: key and known_hosts installed; authorized_keys entry %s "
		    "(from=\"",
		    h[i].name, removed > 0 ? "replaced" : "added");
		for (size_t k = 0; k < n_from; k++)
			fprintf(out, "%s%s", k == 0 ? "" : ",", from[k]);
		fprintf(out, "\")\n");
	}

	/* 6. Prove it: mhaadm's key alone, strict host key. */
	for (i = 0; i < n; i++) {
		struct ssh_conn *v;

		ssh_target_from_config(&t, cfg, h[i].name, cfg->ssh_timeout);
		if ((v = ssh_conn_open(&t, &why)) == NULL) {
			*cause = xasprintf(
			    "%s: login with mhaadm's key failed after setup: %s", h[i].name, why);
			goto out;
		}
		ssh_conn_close(v);
	}
	fprintf(out,
	    "trust for cluster '%s' set up on %zu hosts; check it with 'mhaadm keys %s "
	    "--check'\n",
	    c->name, n, c->name);
	rc = 0;
out:
	if (priv != NULL) {
		explicit_bzero(priv, privlen);
		free(priv);
	}
	if (asked != NULL) {
		xfree_secret(asked);
		opts->password = NULL;
	}
	free(kh);
	free(why);
	free(line);
	free(pub);
	free(from);
	free(dir);
	keys_hosts_free(h, n);
	return rc;
}

/*
 * The last non-empty line of ssh's stderr, newly allocated ("failed" when
 * there is none): ssh ends with the reason ("Host key verification
 * failed.", "Permission denied (publickey)."), after any banner of @@@s.
 */
static char *
keys_last_line(const char *s)
{
	const char *start = NULL, *p = s, *nl;
	size_t len = 0, l;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		l = nl != NULL ? (size_t)(nl - p) : strlen(p);
		while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == ' '))
			l--;
		if (l > 0) {
			start = p;
			len = l;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return start != NULL ? xstrndup(start, len) : xstrdup("failed");
}

int
keys_check(const struct config *cfg, const struct registry_cluster *c, struct keys_link **links_out,
    char ***hosts_out, size_t *n_out, char **cause)
{
	struct ssh_target t;
	struct keys_host *h;
	struct keys_link *links;
	char **hosts, port[16], timeout[32], khopt[4200], *err = NULL;
	size_t n, i, j;
	int bad = 0, status;

	h = keys_hosts(c, &n);
	if (n == 0) {
		keys_hosts_free(h, n);
		*cause = xasprintf("cluster '%s' has no node to check", c->name);
		return -1;
	}
	links = xcalloc((n + 1) * n, sizeof(*links));
	hosts = xcalloc(n, sizeof(*hosts));
	for (i = 0; i < n; i++)
		hosts[i] = xstrdup(h[i].name);

	/* Row 0: the manager, through libssh as mhaadm itself connects. */
	for (j = 0; j < n; j++) {
		links[j].to = hosts[j];
		ssh_target_from_config(&t, cfg, h[j].name, cfg->ssh_timeout);
		h[j].conn = ssh_conn_open(&t, &links[j].error);
		links[j].ok = h[j].conn != NULL;
	}

	/* Node rows: the node's own ssh with the options MHA renders (see mha.c). */
	snprintf(port, sizeof(port), "%d", cfg->ssh_port > 0 ? cfg->ssh_port : 22);
	snprintf(timeout, sizeof(timeout), "ConnectTimeout=%d", cfg->ssh_timeout);
	snprintf(khopt, sizeof(khopt), "UserKnownHostsFile=%s", cfg->ssh_known_hosts);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			struct keys_link *l = &links[(i + 1) * n + j];
			const char *argv[] = {"ssh", "-i", cfg->ssh_key, "-o", "IdentitiesOnly=yes",
			    "-o", khopt, "-o", "GlobalKnownHostsFile=/dev/null", "-o",
			    "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", timeout, "-p",
			    port, "-l", cfg->ssh_user, "--", h[j].name, "true", NULL};

			l->from = hosts[i];
			l->to = hosts[j];
			if (i == j) {
				l->ok = 1;
				continue;
			}
			if (h[i].conn == NULL) {
				l->error =
				    xstrdup("not checked: the manager cannot reach this node");
				continue;
			}
			if (ssh_conn_run(
			        h[i].conn, argv, NULL, 0, NULL, &err, &status, &l->error) != 0)
				continue;
			if (status == 0)
				l->ok = 1;
			else
				l->error = keys_last_line(err);
			free(err);
			err = NULL;
		}
	}
	for (i = 0; i < (n + 1) * n; i++)
		bad |= !links[i].ok;
	keys_hosts_free(h, n);
	*links_out = links;
	*hosts_out = hosts;
	*n_out = n;
	return bad ? 1 : 0;
}

void
keys_links_free(struct keys_link *links, char **hosts, size_t n)
{
	size_t i;

	if (links != NULL) {
		for (i = 0; i < (n + 1) * n; i++)
			free(links[i].error);
		free(links);
	}
	if (hosts != NULL) {
		for (i = 0; i < n; i++)
			free(hosts[i]);
		free(hosts);
	}
}

int
keys_remove(const struct config *cfg, const struct registry_cluster *c, FILE *out, char **cause)
{
	struct ssh_target t;
	struct keys_host *h;
	char *why = NULL, *list = NULL, *tmp;
	size_t n, i, removed;

	h = keys_hosts(c, &n);
	for (i = 0; i < n; i++) {
		ssh_target_from_config(&t, cfg, h[i].name, cfg->ssh_timeout);
		if ((h[i].conn = ssh_conn_open(&t, &why)) == NULL ||
		    keys_authorized_apply(h[i].conn, h[i].name, c->name, NULL, &removed, &why) !=
		        0) {
			fprintf(stderr, "mhaadm: keys: %s\n", why);
			free(why);
			why = NULL;
			tmp = list == NULL ? xstrdup(h[i].name)
			                   : xasprintf("%s, %s", list, h[i].name);
			free(list);
			list = tmp;
			continue;
		}
		fprintf(out, "%s: removed %zu authorized_keys entr%s of cluster '%s'\n", h[i].name,
		    removed, removed == 1 ? "y" : "ies", c->name);
	}
	keys_hosts_free(h, n);
	if (list != NULL) {
		*cause = xasprintf("could not remove mhaadm's entries on %s", list);
		free(list);
		return -1;
	}
	return 0;
}

int
keys_installed(struct registry *reg, const char *cluster, char **cause)
{
	struct registry_event *ev = NULL;
	size_t n = 0, i;
	int found = 0;

	if (registry_event_list(reg, cluster, 10000, &ev, &n, cause) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].type, "keys.installed") == 0) {
			found = 1;
			break;
		}
		if (strcmp(ev[i].type, "keys.removed") == 0)
			break;
	}
	registry_event_list_free(ev, n);
	return found;
}
