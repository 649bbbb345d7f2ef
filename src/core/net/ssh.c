/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSH from mhaadm itself, through libssh, with strictly pinned host keys. */
#include "ssh.h"

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "shquote.h"
#include "xmalloc.h"

/* Used when the target leaves the timeout at 0 (or below). */
#define SSH_DEFAULT_TIMEOUT 10

/* ssh_conn_run keeps at most this much of each stream; the rest is read and dropped. */
#define SSH_OUTPUT_MAX (1024 * 1024)

/*
 * Longest wait for stdout before stderr is looked at again: libssh can wait
 * for data on one stream only, so a command writing only to stderr is read
 * in slices of this length.
 */
#define SSH_POLL_SLICE_MS 50

struct ssh_conn {
	ssh_session session;
	char *host; /* for messages */
	int timeout;
	char *pin_line; /* accept_new: the known_hosts line of an unpinned host key */
	char *pin_fp;
	char *pin_type;
};

/* A growable capture buffer with a cap. */
struct ssh_capture {
	char *buf;
	size_t len;
	size_t cap;
};

static int64_t
ssh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "SHA256:…" for key, newly allocated; "(unknown)" if libssh cannot hash it. */
static char *
ssh_fingerprint(ssh_key key)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp, *out;

	if (key == NULL ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0)
		return xstrdup("(unknown)");
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	if (fp == NULL)
		return xstrdup("(unknown)");
	out = xstrdup(fp);
	ssh_string_free_char(fp);
	return out;
}

/*
 * The fingerprints pinned for the host in known_hosts, with keys of the
 * given type first ("SHA256:a" or "SHA256:a, SHA256:b"; with_type puts the
 * key type before each), newly allocated.
 * libssh does not hand back the entry that did not match, so the file is
 * read again here; its own parser matches the host (hashed names too).
 */
static char *
ssh_pinned_fingerprints(const struct ssh_target *t, enum ssh_keytypes_e type, int with_type)
{
	struct ssh_knownhosts_entry *entry;
	char *line = NULL, *host, *fp, *list = NULL, *tmp, *p;
	size_t linecap = 0;
	ssize_t n;
	FILE *f;
	int pass;

	if (t->port == 0 || t->port == 22)
		host = xstrdup(t->host);
	else
		host = xasprintf("[%s]:%d", t->host, t->port);
	for (p = host; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}

	/* Pass 0 lists keys of the offered type, pass 1 the others. */
	for (pass = 0; pass < 2; pass++) {
		if ((f = fopen(t->known_hosts, "r")) == NULL)
			break;
		while ((n = getline(&line, &linecap, f)) != -1) {
			if (n > 0 && line[n - 1] == '\n')
				line[n - 1] = '\0';
			for (p = line; *p == ' ' || *p == '\t'; p++)
				;
			if (*p == '\0' || *p == '#')
				continue;
			entry = NULL;
			if (ssh_known_hosts_parse_line(host, p, &entry) != SSH_OK || entry == NULL)
				continue;
			if ((ssh_key_type(entry->publickey) == type) == (pass == 0)) {
				fp = ssh_fingerprint(entry->publickey);
				if (with_type) {
					tmp = xasprintf("%s %s",
					    ssh_key_type_to_char(ssh_key_type(entry->publickey)),
					    fp);
					free(fp);
					fp = tmp;
				}
				tmp = list == NULL ? xstrdup(fp) : xasprintf("%s, %s", list, fp);
				free(list);
				free(fp);
				list = tmp;
			}
			ssh_knownhosts_entry_free(entry);
		}
		fclose(f);
	}
	free(line);
	free(host);
	return list != NULL ? list : xstrdup("(none found)");
}

/*
 * Accepts the server only if its key is the one pinned for it. Returns 0, or
 * -1 with *cause.
 */
static int
ssh_verify_host(ssh_session session, const struct ssh_target *t, char **pin_line, char **pin_fp,
    char **pin_type, char **cause)
{
	enum ssh_known_hosts_e state;
	ssh_key key = NULL;
	char *offered = NULL, *pinned = NULL;
	int rc = -1;

	if (ssh_get_server_publickey(session, &key) != SSH_OK) {
		*cause = xasprintf("ssh %s: no host key: %s", t->host, ssh_get_error(session));
		return -1;
	}
	offered = ssh_fingerprint(key);

	state = ssh_session_is_known_server(session);
	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
		pinned = ssh_pinned_fingerprints(t, ssh_key_type(key), 0);
		*cause = xasprintf(
		    "HOST KEY OF %s HAS CHANGED: pinned %s, offered %s; if the "
		    "host was really reinstalled, remove its line from %s and pin it again",
		    t->host, pinned, offered, t->known_hosts);
		break;
	case SSH_KNOWN_HOSTS_OTHER:
		/* A key of another type than the pinned one: as suspicious as a changed key. */
		pinned = ssh_pinned_fingerprints(t, ssh_key_type(key), 1);
		*cause = xasprintf(
		    "HOST KEY OF %s HAS CHANGED: pinned %s, offered %s %s; if the "
		    "host was really reinstalled, remove its line from %s and pin it again",
		    t->host, pinned, ssh_key_type_to_char(ssh_key_type(key)), offered,
		    t->known_hosts);
		break;
	case SSH_KNOWN_HOSTS_NOT_FOUND:
	case SSH_KNOWN_HOSTS_UNKNOWN:
		if (t->accept_new && (access(t->known_hosts, R_OK) == 0 || errno == ENOENT)) {
			char *entry = NULL;

			/* The caller shows the fingerprint and decides whether to pin it. */
			if (ssh_session_export_known_hosts_entry(session, &entry) != SSH_OK ||
			    entry == NULL) {
				*cause = xasprintf("ssh %s: cannot format the host key: %s",
				    t->host, ssh_get_error(session));
				break;
			}
			*pin_line = xstrdup(entry);
			ssh_string_free_char(entry);
			*pin_fp = xstrdup(offered);
			*pin_type = xstrdup(ssh_key_type_to_char(ssh_key_type(key)));
			rc = 0;
			break;
		}
		if (access(t->known_hosts, R_OK) != 0) {
			*cause = xasprintf("host key of %s cannot be checked: %s: %s (offered %s); "
			                   "pin the hosts' keys with 'mhaadm keys'",
			    t->host, t->known_hosts, strerror(errno), offered);
			break;
		}
		*cause = xasprintf(
		    "host key of %s is not pinned in %s (offered %s); pin it with "
		    "'mhaadm keys' after checking that fingerprint on the host (ssh-keygen -lf "
		    "/etc/ssh/ssh_host_*_key.pub)",
		    t->host, t->known_hosts, offered);
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		*cause = xasprintf("ssh %s: cannot check the host key against %s: %s", t->host,
		    t->known_hosts, ssh_get_error(session));
		break;
	}

	free(pinned);
	free(offered);
	ssh_key_free(key);
	return rc;
}

/* Authenticates with one private key file. Returns 0, 1 when refused, or -1 with *cause. */
static int
ssh_auth_key(ssh_session session, const struct ssh_target *t, const char *path, char **cause)
{
	struct stat sb;
	ssh_key key = NULL;
	int rc;

	/* Like ssh(1): a key others can read is not a secret any more. */
	if (stat(path, &sb) != 0) {
		*cause = xasprintf("ssh %s: private key %s: %s", t->host, path, strerror(errno));
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		*cause = xasprintf("ssh %s: private key %s is accessible by others (mode %04o); "
		                   "chmod 600 it",
		    t->host, path, (unsigned int)(sb.st_mode & 07777));
		return -1;
	}
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
		*cause = xasprintf("ssh %s: cannot read private key %s (a passphrase is not "
		                   "supported)",
		    t->host, path);
		return -1;
	}
	rc = ssh_userauth_publickey(session, NULL, key);
	ssh_key_free(key);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	*cause = xasprintf("ssh %s: %s@%s refused the key %s%s%s", t->host,
	    t->user != NULL ? t->user : "root", t->host, path, rc == SSH_AUTH_ERROR ? ": " : "",
	    rc == SSH_AUTH_ERROR ? ssh_get_error(session) : "");
	return rc == SSH_AUTH_ERROR ? -1 : 1;
}

/*
 * Authenticates with the private key file; for a first contact then with
 * the operator's identity and the password. Returns 0, or -1 with *cause
 * (the last reason; a missing mhaadm key is not one when another way is
 * given).
 */
static int
ssh_auth(ssh_session session, const struct ssh_target *t, char **cause)
{
	char *why = NULL;
	int rc;

	if (t->identity == NULL && t->password == NULL)
		return ssh_auth_key(session, t, t->key_path, cause) == 0 ? 0 : -1;

	if (access(t->key_path, F_OK) == 0) {
		if ((rc = ssh_auth_key(session, t, t->key_path, &why)) == 0)
			return 0;
		if (rc < 0 && ssh_get_status(session) & SSH_CLOSED_ERROR) {
			*cause = why;
			return -1;
		}
		free(why);
		why = NULL;
	}
	if (t->identity != NULL) {
		if ((rc = ssh_auth_key(session, t, t->identity, &why)) == 0)
			return 0;
		if (t->password == NULL || (rc < 0 && ssh_get_status(session) & SSH_CLOSED_ERROR)) {
			*cause = why;
			return -1;
		}
		free(why);
		why = NULL;
	}
	rc = ssh_userauth_password(session, NULL, t->password);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	*cause = xasprintf("ssh %s: %s@%s refused the password%s%s", t->host,
	    t->user != NULL ? t->user : "root", t->host, rc == SSH_AUTH_ERROR ? ": " : "",
	    rc == SSH_AUTH_ERROR ? ssh_get_error(session) : " (or password login is off)");
	return -1;
}

struct ssh_conn *
ssh_conn_open(const struct ssh_target *t, char **cause)
{
	struct ssh_conn *c = NULL;
	ssh_session session;
	long timeout = t->timeout > 0 ? t->timeout : SSH_DEFAULT_TIMEOUT;
	int port = t->port > 0 ? t->port : 22, nodelay = 1;
	char *pin_line = NULL, *pin_fp = NULL, *pin_type = NULL;
	bool no = false;

	if (t->host == NULL || t->key_path == NULL || t->known_hosts == NULL) {
		*cause = xstrdup("ssh: host, key and known_hosts file are all needed");
		return NULL;
	}
	if ((session = ssh_new()) == NULL) {
		*cause = xasprintf("ssh %s: cannot create a session", t->host);
		return NULL;
	}

	/*
	 * Nothing from the environment: no ~/.ssh/config, no system known_hosts
	 * (/dev/null reads as empty), only mhaadm's own pinned keys.
	 */
	if (ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &no) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_HOST, t->host) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_PORT, &port) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_USER, t->user != NULL ? t->user : "root") != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, t->known_hosts) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout) != 0 ||
	    ssh_options_set(session, SSH_OPTIONS_NODELAY, &nodelay) != 0) {
		*cause = xasprintf("ssh %s: bad option: %s", t->host, ssh_get_error(session));
		goto out;
	}

	if (ssh_connect(session) != SSH_OK) {
		*cause = xasprintf("ssh %s: cannot connect: %s", t->host, ssh_get_error(session));
		goto out;
	}
	if (ssh_verify_host(session, t, &pin_line, &pin_fp, &pin_type, cause) != 0 ||
	    ssh_auth(session, t, cause) != 0)
		goto out;

	c = xcalloc(1, sizeof *c);
	c->pin_line = pin_line;
	c->pin_fp = pin_fp;
	c->pin_type = pin_type;
	pin_line = pin_fp = pin_type = NULL;
	c->session = session;
	c->host = xstrdup(t->host);
	c->timeout = (int)timeout;
	session = NULL; /* c owns it now */

out:
	if (session != NULL) {
		ssh_disconnect(session); /* harmless when it never connected */
		ssh_free(session);
	}
	free(pin_line);
	free(pin_fp);
	free(pin_type);
	return c;
}

/* Keeps the first SSH_OUTPUT_MAX bytes of a stream and drops the rest. */
static void
ssh_capture_add(struct ssh_capture *cap, const char *data, size_t n)
{
	if (cap->len >= SSH_OUTPUT_MAX)
		return;
	if (n > SSH_OUTPUT_MAX - cap->len)
		n = SSH_OUTPUT_MAX - cap->len;
	if (cap->len + n + 1 > cap->cap) {
		while (cap->len + n + 1 > cap->cap)
			cap->cap = cap->cap == 0 ? 4096 : cap->cap * 2;
		cap->buf = xreallocarray(cap->buf, cap->cap, 1);
	}
	memcpy(cap->buf + cap->len, data, n);
	cap->len += n;
}

/* Hands the captured text to *out (NUL-terminated, "" when nothing came). */
static void
ssh_capture_take(struct ssh_capture *cap, char **out)
{
	if (out == NULL)
		return;
	if (cap->buf == NULL)
		cap->buf = xstrdup("");
	else
		cap->buf[cap->len] = '\0';
	*out = cap->buf;
	cap->buf = NULL;
}

/*
 * Reads whatever either stream has without waiting. Returns the number of
 * bytes read, or -1 when the channel failed.
 */
static int
ssh_drain(ssh_channel ch, struct ssh_capture *out, struct ssh_capture *err)
{
	char buf[16384];
	int n, total = 0, stream;

	for (stream = 0; stream < 2; stream++) {
		for (;;) {
			n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, stream);
			if (n == SSH_ERROR)
				return -1;
			if (n <= 0)
				break;
			ssh_capture_add(stream == 0 ? out : err, buf, (size_t)n);
			if (total < INT_MAX - n)
				total += n;
		}
	}
	return total;
}

/*
 * The whole command — channel, exec, stdin, output — shares one deadline of
 * the target's timeout. On timeout the remote command is asked to stop
 * (a "signal" request, which OpenSSH passes to the command's shell) and the
 * channel is closed; the connection stays usable.
 */
int
ssh_conn_run(struct ssh_conn *c, const char *const *argv, const char *stdin_data, size_t stdin_len,
    char **out, char **err, int *exit_status, char **cause)
{
	struct ssh_capture cout = {NULL, 0, 0}, cerr = {NULL, 0, 0};
	ssh_channel ch = NULL;
	char *cmd = NULL;
	int64_t deadline, left;
	size_t done = 0;
	int rc = -1, n, status;

	if (argv == NULL || argv[0] == NULL) {
		*cause = xasprintf("ssh %s: empty command", c->host);
		return -1;
	}
	deadline = ssh_now_ms() + (int64_t)c->timeout * 1000;
	cmd = shquote_argv(argv);

	if ((ch = ssh_channel_new(c->session)) == NULL || ssh_channel_open_session(ch) != SSH_OK) {
		*cause = xasprintf(
		    "ssh %s: cannot open a channel: %s", c->host, ssh_get_error(c->session));
		goto out;
	}
	if (ssh_channel_request_exec(ch, cmd) != SSH_OK) {
		*cause = xasprintf(
		    "ssh %s: cannot run %s: %s", c->host, argv[0], ssh_get_error(c->session));
		goto out;
	}

	while (stdin_data != NULL && done < stdin_len) {
		n = ssh_channel_write(ch, stdin_data + done,
		    stdin_len - done > 32768 ? 32768 : (uint32_t)(stdin_len - done));
		if (n == SSH_ERROR) {
			*cause = xasprintf("ssh %s: %s: cannot send input: %s", c->host, argv[0],
			    ssh_get_error(c->session));
			goto out;
		}
		done += (size_t)n;
		if (ssh_now_ms() >= deadline)
			goto timeout;
	}
	if (ssh_channel_send_eof(ch) != SSH_OK) {
		*cause = xasprintf("ssh %s: %s: cannot close input: %s", c->host, argv[0],
		    ssh_get_error(c->session));
		goto out;
	}

	for (;;) {
		if (ssh_drain(ch, &cout, &cerr) < 0)
			goto lost;
		if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch))
			break;
		left = deadline - ssh_now_ms();
		if (left <= 0)
			goto timeout;
		if (ssh_channel_poll_timeout(ch,
		        left < SSH_POLL_SLICE_MS ? (int)left : SSH_POLL_SLICE_MS, 0) == SSH_ERROR)
			goto lost;
	}
	if (ssh_drain(ch, &cout, &cerr) < 0)
		goto lost;

	/* The exit status follows EOF; libssh waits for it up to the session timeout. */
	status = ssh_channel_get_exit_status(ch);
	if (status < 0) {
		*cause = xasprintf("ssh %s: %s ended without an exit status (killed by a "
		                   "signal, or the connection was lost)",
		    c->host, argv[0]);
		goto out;
	}
	*exit_status = status;
	ssh_capture_take(&cout, out);
	ssh_capture_take(&cerr, err);
	rc = 0;
	goto out;

timeout:
	ssh_channel_request_send_signal(ch, "TERM");
	*cause = xasprintf("ssh %s: %s timed out after %d s", c->host, argv[0], c->timeout);
	goto out;
lost:
	*cause = xasprintf(
	    "ssh %s: %s: connection lost: %s", c->host, argv[0], ssh_get_error(c->session));
out:
	if (ch != NULL) {
		if (ssh_channel_is_open(ch))
			ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	free(cout.buf);
	free(cerr.buf);
	free(cmd);
	return rc;
}

void
ssh_conn_close(struct ssh_conn *c)
{
	if (c == NULL)
		return;
	ssh_disconnect(c->session);
	ssh_free(c->session);
	free(c->host);
	free(c->pin_line);
	free(c->pin_fp);
	free(c->pin_type);
	free(c);
}

const char *
ssh_conn_new_pin(const struct ssh_conn *c, const char **type)
{
	if (type != NULL)
		*type = c->pin_type;
	return c->pin_fp;
}

int
ssh_conn_pin(struct ssh_conn *c, const char *known_hosts, char **cause)
{
	size_t len, off = 0;
	ssize_t n;
	char *line;
	int fd;

	if (c->pin_line == NULL)
		return 0;
	fd = open(known_hosts, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*cause = xasprintf(
		    "cannot pin the host key of %s: %s: %s", c->host, known_hosts, strerror(errno));
		return -1;
	}
	/* libssh ends the entry with a newline; one is added when it does not. */
	len = strlen(c->pin_line);
	line = (len > 0 && c->pin_line[len - 1] == '\n') ? xstrdup(c->pin_line)
	                                                 : xasprintf("%s\n", c->pin_line);
	len = strlen(line);
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("cannot pin the host key of %s: %s: %s", c->host,
			    known_hosts, strerror(errno));
			free(line);
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	free(line);
	if (close(fd) != 0) {
		*cause = xasprintf(
		    "cannot pin the host key of %s: %s: %s", c->host, known_hosts, strerror(errno));
		return -1;
	}
	free(c->pin_line);
	c->pin_line = NULL;
	return 0;
}

/* Formats a socket address numerically into buf ("" when it is not IPv4/IPv6). */
static void
ssh_addr_string(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	buf[0] = '\0';
	if (ss->ss_family == AF_INET)
		inet_ntop(
		    AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, (socklen_t)len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(
		    AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, (socklen_t)len);
}

void
ssh_conn_addrs(const struct ssh_conn *c, char *local, size_t llen, char *peer, size_t plen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	socket_t fd = ssh_get_fd(c->session);

	local[0] = peer[0] = '\0';
	if (fd < 0)
		return;
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		ssh_addr_string(&ss, local, llen);
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		ssh_addr_string(&ss, peer, plen);
}

char *
ssh_fingerprint_base64(const char *type, const char *base64)
{
	enum ssh_keytypes_e kt = ssh_key_type_from_name(type);
	ssh_key key = NULL;
	char *fp;

	if (kt == SSH_KEYTYPE_UNKNOWN || ssh_pki_import_pubkey_base64(base64, kt, &key) != SSH_OK)
		return NULL;
	fp = ssh_fingerprint(key);
	ssh_key_free(key);
	if (strcmp(fp, "(unknown)") == 0) {
		free(fp);
		return NULL;
	}
	return fp;
}

int
ssh_run(const struct ssh_target *t, const char *const *argv, char **out, char **err,
    int *exit_status, char **cause)
{
	struct ssh_conn *c;
	int rc;

	if ((c = ssh_conn_open(t, cause)) == NULL)
		return -1;
	rc = ssh_conn_run(c, argv, NULL, 0, out, err, exit_status, cause);
	ssh_conn_close(c);
	return rc;
}

void
ssh_conn_set_timeout(struct ssh_conn *c, int seconds)
{
	if (seconds > 0)
		c->timeout = seconds;
}

int
ssh_conn_alive(struct ssh_conn *c)
{
	struct pollfd pfd;
	char byte;
	ssize_t n;

	if (!ssh_is_connected(c->session))
		return 0;
	pfd.fd = ssh_get_fd(c->session);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0 || poll(&pfd, 1, 0) < 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
		return 0;
	if (!(pfd.revents & POLLIN))
		return 1;
	/* Readable while idle: EOF or a reset says it is gone; data (a server message) is left. */
	n = recv(pfd.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

void
ssh_target_from_config(
    struct ssh_target *t, const struct config *cfg, const char *host, int timeout)
{
	memset(t, 0, sizeof(*t));
	t->host = host;
	t->port = cfg->ssh_port;
	t->user = cfg->ssh_user;
	t->key_path = cfg->ssh_key;
	t->known_hosts = cfg->ssh_known_hosts;
	t->timeout = timeout;
}
