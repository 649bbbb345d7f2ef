/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The self-fence's decision (pure) and the agent's configuration file. */
#include "selffence.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "validate.h"
#include "xmalloc.h"

/* The agent's config is small: a few hundred bytes per replica at most. */
#define SELFFENCE_CONFIG_MAX (64 * 1024)

void
selffence_state_init(struct selffence_state *s, double now)
{
	s->manager_seen = now;
	s->replicas_seen = now;
	s->lost_since = now;
	s->fenced = 0;
}

enum selffence_action
selffence_decide(
    struct selffence_state *s, double now, int manager_ok, size_t replicas_ok, int seconds)
{
	if (s->fenced)
		return SELFFENCE_FENCED;
	if (manager_ok)
		s->manager_seen = now;
	if (replicas_ok > 0)
		s->replicas_seen = now;
	/* Isolated since the later of the two: one answer from either side resets it. */
	s->lost_since = s->manager_seen > s->replicas_seen ? s->manager_seen : s->replicas_seen;
	if (now - s->lost_since >= (double)seconds)
		return SELFFENCE_FENCE;
	return SELFFENCE_WATCH;
}

void
selffence_mark_fenced(struct selffence_state *s)
{
	s->fenced = 1;
}

int
selffence_peer_parse(const char *s, struct selffence_peer *p, char **cause)
{
	const char *colon = strrchr(s, ':');
	char *host, *vcause = NULL;
	int port;

	if (colon == NULL || colon == s) {
		*cause = xasprintf("'%s' is not HOST:PORT", s);
		return -1;
	}
	host = xstrndup(s, (size_t)(colon - s));
	if (validate_host(host, &vcause) != 0 || validate_port(colon + 1, &port, &vcause) != 0) {
		*cause = xasprintf("'%s' is not HOST:PORT: %s", s, vcause);
		free(vcause);
		free(host);
		return -1;
	}
	p->host = host;
	p->port = port;
	return 0;
}

/* The state of one parse: the config being filled and the first error. */
struct selffence_parse {
	struct selffence_config *sc;
	char *cause;
};

/* Sets a string field once; a second line for the same key is an error. */
static int
selffence_set_string(struct selffence_parse *p, char **field, const char *name, const char *value)
{
	if (*field != NULL) {
		p->cause = xasprintf("duplicate key '%s'", name);
		return 0;
	}
	*field = xstrdup(value);
	return 1;
}

static int
selffence_set_int(
    struct selffence_parse *p, int *field, const char *name, const char *value, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
		p->cause = xasprintf("%s: invalid value '%s': use a whole number from %ld to %ld",
		    name, value, min, max);
		return 0;
	}
	*field = (int)v;
	return 1;
}

/*
 * The password is written as hex: inih would take a ';' or '#' in it for a
 * comment and trim its blanks. Returns it newly allocated, or NULL.
 */
static char *
selffence_unhex(const char *s)
{
	size_t n = strlen(s), i;
	char *out;
	unsigned int b;

	if (n % 2 != 0 || strspn(s, "0123456789abcdefABCDEF") != n)
		return NULL;
	out = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		sscanf(s + 2 * i, "%2x", &b);
		out[i] = (char)b;
	}
	out[n / 2] = '\0';
	return out;
}

/* The ini_handler; returns nonzero to go on. */
static int
selffence_handler(void *user, const char *section, const char *name, const char *value)
{
	struct selffence_parse *p = user;
	struct selffence_config *sc = p->sc;
	struct selffence_peer peer;
	char *vcause = NULL;

	if (strcmp(section, "self-fence") != 0) {
		p->cause = xasprintf("unknown section '[%s]': use [self-fence]", section);
		return 0;
	}
	if (strcmp(name, "cluster") == 0) {
		if (validate_cluster_name(value, &vcause) != 0) {
			p->cause = xasprintf("cluster: %s", vcause);
			free(vcause);
			return 0;
		}
		return selffence_set_string(p, &sc->cluster, name, value);
	}
	if (strcmp(name, "node") == 0) {
		if (sc->node != NULL) {
			p->cause = xstrdup("duplicate key 'node'");
			return 0;
		}
		if (selffence_peer_parse(value, &peer, &vcause) != 0) {
			p->cause = xasprintf("node: %s", vcause);
			free(vcause);
			return 0;
		}
		sc->node = xstrdup(value);
		sc->host = peer.host;
		sc->port = peer.port;
		return 1;
	}
	if (strcmp(name, "user") == 0)
		return selffence_set_string(p, &sc->user, name, value);
	if (strcmp(name, "password_hex") == 0) {
		if (sc->password != NULL) {
			p->cause = xstrdup("duplicate key 'password_hex'");
			return 0;
		}
		if ((sc->password = selffence_unhex(value)) == NULL) {
			p->cause = xstrdup("password_hex: not an even number of hex digits");
			return 0;
		}
		return 1;
	}
	if (strcmp(name, "socket") == 0) {
		if (*value != '/') {
			p->cause = xasprintf("socket: '%s' is not an absolute path", value);
			return 0;
		}
		return selffence_set_string(p, &sc->socket, name, value);
	}
	if (strcmp(name, "vip") == 0) {
		if (validate_host(value, &vcause) != 0) {
			p->cause = xasprintf("vip: %s", vcause);
			free(vcause);
			return 0;
		}
		return selffence_set_string(p, &sc->vip, name, value);
	}
	if (strcmp(name, "vip_prefix") == 0)
		return selffence_set_int(p, &sc->vip_prefix, name, value, 1, 32);
	if (strcmp(name, "iface") == 0) {
		if (validate_iface(value, &vcause) != 0) {
			p->cause = xasprintf("iface: %s", vcause);
			free(vcause);
			return 0;
		}
		return selffence_set_string(p, &sc->iface, name, value);
	}
	if (strcmp(name, "seconds") == 0)
		return selffence_set_int(p, &sc->seconds, name, value, 1, 3600);
	if (strcmp(name, "interval_ms") == 0)
		return selffence_set_int(p, &sc->interval_ms, name, value, 100, 10000);
	if (strcmp(name, "manager") == 0 || strcmp(name, "replica") == 0) {
		if (selffence_peer_parse(value, &peer, &vcause) != 0) {
			p->cause = xasprintf("%s: %s", name, vcause);
			free(vcause);
			return 0;
		}
		if (strcmp(name, "manager") == 0) {
			if (sc->manager.host != NULL) {
				free(peer.host);
				p->cause = xstrdup("duplicate key 'manager'");
				return 0;
			}
			sc->manager = peer;
			return 1;
		}
		if (sc->n_replicas >= SELFFENCE_MAX_PEERS) {
			free(peer.host);
			p->cause = xasprintf("more than %d replicas", SELFFENCE_MAX_PEERS);
			return 0;
		}
		sc->replicas =
		    xreallocarray(sc->replicas, sc->n_replicas + 1, sizeof(*sc->replicas));
		sc->replicas[sc->n_replicas++] = peer;
		return 1;
	}
	p->cause = xasprintf("unknown key '%s'", name);
	return 0;
}

struct selffence_config *
selffence_config_parse(const char *text, const char *name, char **cause)
{
	struct selffence_parse p = {xcalloc(1, sizeof(*p.sc)), NULL};
	const char *missing = NULL;
	int line;

	p.sc->vip_prefix = 32;
	p.sc->seconds = SELFFENCE_DEFAULT_SECONDS;
	p.sc->interval_ms = SELFFENCE_INTERVAL_MS;
	line = ini_parse_string(text, selffence_handler, &p);
	if (line != 0) {
		*cause = xasprintf("%s:%d: %s", name, line,
		    p.cause != NULL ? p.cause : "syntax error (use KEY = VALUE lines)");
		goto fail;
	}
	if (p.sc->cluster == NULL)
		missing = "cluster";
	else if (p.sc->node == NULL)
		missing = "node";
	else if (p.sc->user == NULL)
		missing = "user";
	else if (p.sc->manager.host == NULL)
		missing = "manager";
	else if (p.sc->vip != NULL && p.sc->iface == NULL)
		missing = "iface";
	if (missing != NULL) {
		*cause = xasprintf("%s: key '%s' is missing", name, missing);
		goto fail;
	}
	return p.sc;
fail:
	free(p.cause);
	selffence_config_free(p.sc);
	return NULL;
}

struct selffence_config *
selffence_config_load(const char *path, char **cause)
{
	struct selffence_config *sc = NULL;
	char *text = NULL;
	ssize_t n;
	size_t len = 0;
	int fd = -1;

	if (config_check_secret_file(path, "self-fence config", cause) != 0)
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		*cause = xasprintf("cannot read self-fence config %s: %s", path, strerror(errno));
		return NULL;
	}
	text = xmalloc(SELFFENCE_CONFIG_MAX + 1);
	while ((n = read(fd, text + len, SELFFENCE_CONFIG_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len >= SELFFENCE_CONFIG_MAX) {
		*cause = xasprintf("cannot read self-fence config %s: %s", path,
		    n < 0 ? strerror(errno) : "larger than 64 KiB");
		goto out;
	}
	text[len] = '\0';
	sc = selffence_config_parse(text, path, cause);
out:
	explicit_bzero(text, SELFFENCE_CONFIG_MAX + 1);
	free(text);
	close(fd);
	return sc;
}

char *
selffence_config_render(const struct selffence_config *sc)
{
	const char *pw = sc->password != NULL ? sc->password : "";
	char *text, *tmp, *hex;
	size_t i;

	hex = xmalloc(2 * strlen(pw) + 1);
	hex[0] = '\0';
	for (i = 0; pw[i] != '\0'; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)pw[i]);
	text = xasprintf("# the self-fence agent's configuration, written by mhaadm start "
	                 "(mode 0600: it holds a password)\n"
	                 "[self-fence]\ncluster = %s\nnode = %s\nuser = %s\npassword_hex = %s\n",
	    sc->cluster, sc->node, sc->user, hex);
	xfree_secret(hex);
	if (sc->socket != NULL) {
		tmp = xasprintf("%ssocket = %s\n", text, sc->socket);
		xfree_secret(text);
		text = tmp;
	}
	if (sc->vip != NULL) {
		tmp = xasprintf("%svip = %s\nvip_prefix = %d\niface = %s\n", text, sc->vip,
		    sc->vip_prefix, sc->iface);
		xfree_secret(text);
		text = tmp;
	}
	tmp = xasprintf("%sseconds = %d\ninterval_ms = %d\nmanager = %s:%d\n", text, sc->seconds,
	    sc->interval_ms, sc->manager.host, sc->manager.port);
	xfree_secret(text);
	text = tmp;
	for (i = 0; i < sc->n_replicas; i++) {
		tmp = xasprintf(
		    "%sreplica = %s:%d\n", text, sc->replicas[i].host, sc->replicas[i].port);
		xfree_secret(text);
		text = tmp;
	}
	return text;
}

void
selffence_config_free(struct selffence_config *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	free(sc->cluster);
	free(sc->node);
	free(sc->host);
	free(sc->user);
	xfree_secret(sc->password);
	free(sc->socket);
	free(sc->vip);
	free(sc->iface);
	free(sc->manager.host);
	for (i = 0; i < sc->n_replicas; i++)
		free(sc->replicas[i].host);
	free(sc->replicas);
	free(sc);
}
