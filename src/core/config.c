/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mhaadm.cnf: the INI configuration file, compatible with the seed tool's keys. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify.h"
#include "validate.h"
#include "xmalloc.h"

/*
 * How the file is read, and why.
 *
 * libinih does the INI tokenising (sections, comments, "name = value" and
 * "name: value"), but three of its habits do not suit a file that holds
 * passwords, so they are worked around here rather than relied upon; the
 * workarounds hold however inih was compiled:
 *
 * - Its handler is not told the line number, and inih only returns the first
 *   line that failed. We feed inih through ini_parse_stream with our own
 *   reader that hands over exactly one line per call and counts them, so
 *   when the handler runs, parse->line is the line being parsed.
 *
 * - Debian's build (libinih 55-1) strips inline comments: "ha_password =
 *   ab ;cd" reaches the handler as "ab" ('#' is not stripped inline). A
 *   password may well contain " ;". So the handler takes the value from the
 *   line the reader kept: everything after the first '=' or ':', with
 *   surrounding blanks trimmed. There are no inline comments; ';' and '#'
 *   start a comment only as the first non-blank character of a line.
 *
 * - inih reads an indented line after a key as a continuation of that key
 *   (Python configparser's multi-line values), so "  ssh_user = x" would
 *   silently become part of the value above it. The reader strips leading
 *   blanks, so indentation means nothing and continuation never happens.
 *
 * inih's line buffer is 200 bytes. A longer line is handed over cut short
 * (and still ending in a newline, so that inih asks for the next line
 * rather than the rest of this one); the key name is at its start and the
 * value is taken from the whole line, so long values still work.
 *
 * A value in double quotes has them removed, which is how a value with
 * blanks at either end is written; there are no escapes inside the quotes.
 */

/* Refuse files larger than this; a real one is a few kilobytes. */
#define CONFIG_FILE_MAX (1024 * 1024)

/* Longest account name: MariaDB allows 80 characters. */
#define CONFIG_USER_MAX 80
/* Longest password: MySQL's own limit is far above anything sane. */
#define CONFIG_SECRET_MAX 1024
#define CONFIG_PATH_MAX 4095
#define CONFIG_DATABASE_MAX 64

enum config_type {
	CONFIG_TYPE_USER,     /* account name, A-Z a-z 0-9 _ . - */
	CONFIG_TYPE_SECRET,   /* password: any printable characters, may be empty */
	CONFIG_TYPE_HOST,     /* validate_host */
	CONFIG_TYPE_PORT,     /* validate_port */
	CONFIG_TYPE_INT,      /* decimal integer in [min, max] */
	CONFIG_TYPE_PATH,     /* absolute path of safe characters */
	CONFIG_TYPE_IFACE,    /* validate_iface */
	CONFIG_TYPE_DATABASE, /* MySQL database name, A-Z a-z 0-9 _ */
	CONFIG_TYPE_REGISTRY, /* sqlite | mysql */
	CONFIG_TYPE_LISTEN,   /* validate_listen: ADDR:PORT */
	CONFIG_TYPE_GUARD,    /* auto | semisync | off */
	CONFIG_TYPE_BOOL,     /* yes | no, into an int */
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset; /* of the field in struct config */
	int min, max;  /* CONFIG_TYPE_INT only */
	/*
	 * Whether an empty value means "not set" (the field stays NULL).
	 * Keys with a default refuse an empty value instead: the way back to
	 * the default is to remove the line.
	 */
	int empty_unsets;
};

#define CONFIG_FIELD(f) offsetof(struct config, f)

static const struct config_key config_keys[] = {
    {"ha_user", CONFIG_TYPE_USER, CONFIG_FIELD(ha_user), 0, 0, 1},
    {"ha_password", CONFIG_TYPE_SECRET, CONFIG_FIELD(ha_password), 0, 0, 0},
    {"repl_user", CONFIG_TYPE_USER, CONFIG_FIELD(repl_user), 0, 0, 1},
    {"repl_password", CONFIG_TYPE_SECRET, CONFIG_FIELD(repl_password), 0, 0, 0},
    {"ssh_user", CONFIG_TYPE_USER, CONFIG_FIELD(ssh_user), 0, 0, 0},
    {"mysql_user", CONFIG_TYPE_USER, CONFIG_FIELD(mysql_user), 0, 0, 1},
    {"mysql_password", CONFIG_TYPE_SECRET, CONFIG_FIELD(mysql_password), 0, 0, 0},
    {"mysql_host", CONFIG_TYPE_HOST, CONFIG_FIELD(mysql_host), 0, 0, 1},
    {"mysql_port", CONFIG_TYPE_PORT, CONFIG_FIELD(mysql_port), 0, 0, 0},
    {"registry", CONFIG_TYPE_REGISTRY, CONFIG_FIELD(registry), 0, 0, 0},
    {"registry_path", CONFIG_TYPE_PATH, CONFIG_FIELD(registry_path), 0, 0, 0},
    {"mysql_database", CONFIG_TYPE_DATABASE, CONFIG_FIELD(mysql_database), 0, 0, 0},
    {"workdir", CONFIG_TYPE_PATH, CONFIG_FIELD(workdir), 0, 0, 0},
    {"log_dir", CONFIG_TYPE_PATH, CONFIG_FIELD(log_dir), 0, 0, 0},
    {"vip_iface", CONFIG_TYPE_IFACE, CONFIG_FIELD(vip_iface), 0, 0, 0},
    {"vip_prefix", CONFIG_TYPE_INT, CONFIG_FIELD(vip_prefix), 1, 32, 0},
    {"node_port", CONFIG_TYPE_PORT, CONFIG_FIELD(node_port), 0, 0, 0},
    {"connect_timeout", CONFIG_TYPE_INT, CONFIG_FIELD(connect_timeout), 1, 60, 0},
    {"read_timeout", CONFIG_TYPE_INT, CONFIG_FIELD(read_timeout), 1, 600, 0},
    {"ssh_key", CONFIG_TYPE_PATH, CONFIG_FIELD(ssh_key), 0, 0, 0},
    {"ssh_known_hosts", CONFIG_TYPE_PATH, CONFIG_FIELD(ssh_known_hosts), 0, 0, 0},
    {"ssh_port", CONFIG_TYPE_PORT, CONFIG_FIELD(ssh_port), 0, 0, 0},
    {"ssh_timeout", CONFIG_TYPE_INT, CONFIG_FIELD(ssh_timeout), 1, 120, 0},
    {"mha_ping_interval", CONFIG_TYPE_INT, CONFIG_FIELD(mha_ping_interval), 1, 60, 0},
    {"mha_remote_workdir", CONFIG_TYPE_PATH, CONFIG_FIELD(mha_remote_workdir), 0, 0, 0},
    {"failover_window", CONFIG_TYPE_INT, CONFIG_FIELD(failover_window), 0, 604800, 0},
    {"max_lag", CONFIG_TYPE_INT, CONFIG_FIELD(max_lag), 0, 86400, 0},
    {"salvage_timeout", CONFIG_TYPE_INT, CONFIG_FIELD(salvage_timeout), 1, 600, 0},
    {"ssh_keep_sessions", CONFIG_TYPE_INT, CONFIG_FIELD(ssh_keep_sessions), 0, 100000, 0},
    {"lag_hold", CONFIG_TYPE_INT, CONFIG_FIELD(lag_hold), 1, 100, 0},
    {"probe_interval", CONFIG_TYPE_INT, CONFIG_FIELD(probe_interval), 0, 3600, 0},
    {"probe_timeout", CONFIG_TYPE_INT, CONFIG_FIELD(probe_timeout), 1, 30, 0},
    {"storm_max_failovers", CONFIG_TYPE_INT, CONFIG_FIELD(storm_max_failovers), 0, 100000, 0},
    {"storm_window", CONFIG_TYPE_INT, CONFIG_FIELD(storm_window), 1, 86400, 0},
    {"http_listen", CONFIG_TYPE_LISTEN, CONFIG_FIELD(http_listen), 0, 0, 1},
    {"http_token_file", CONFIG_TYPE_PATH, CONFIG_FIELD(http_token_file), 0, 0, 1},
    {"http_tls_cert", CONFIG_TYPE_PATH, CONFIG_FIELD(http_tls_cert), 0, 0, 1},
    {"http_tls_key", CONFIG_TYPE_PATH, CONFIG_FIELD(http_tls_key), 0, 0, 1},
    {"http_max_connections", CONFIG_TYPE_INT, CONFIG_FIELD(http_max_connections), 1, 10000, 0},
    {"http_per_ip", CONFIG_TYPE_INT, CONFIG_FIELD(http_per_ip), 1, 10000, 0},
    {"http_timeout", CONFIG_TYPE_INT, CONFIG_FIELD(http_timeout), 1, 3600, 0},
    {"isolation_guard", CONFIG_TYPE_GUARD, CONFIG_FIELD(isolation_guard), 0, 0, 0},
    {"semisync_fallback_seconds", CONFIG_TYPE_INT, CONFIG_FIELD(semisync_fallback_seconds), 0,
        86400, 0},
    {"self_fence", CONFIG_TYPE_BOOL, CONFIG_FIELD(self_fence), 0, 0, 0},
    {"self_fence_seconds", CONFIG_TYPE_INT, CONFIG_FIELD(self_fence_seconds), 1, 3600, 0},
    {"self_fence_manager", CONFIG_TYPE_LISTEN, CONFIG_FIELD(self_fence_manager), 0, 0, 1},
    {"self_fence_bin", CONFIG_TYPE_PATH, CONFIG_FIELD(self_fence_bin), 0, 0, 1},
    {"auto_rejoin", CONFIG_TYPE_BOOL, CONFIG_FIELD(auto_rejoin), 0, 0, 0},
    /* Checked against the engines compiled in by cmd_ctx_config (core knows no engine). */
    {"engine", CONFIG_TYPE_USER, CONFIG_FIELD(engine), 0, 0, 0},
    {"garp_count", CONFIG_TYPE_INT, CONFIG_FIELD(garp_count), 0, 100, 0},
    {"garp_interval_ms", CONFIG_TYPE_INT, CONFIG_FIELD(garp_interval_ms), 0, 10000, 0},
    {"manager_name", CONFIG_TYPE_USER, CONFIG_FIELD(manager_name), 0, 0, 0},
    {"lease_seconds", CONFIG_TYPE_INT, CONFIG_FIELD(lease_seconds), 3, 3600, 0},
    {"manager_ha", CONFIG_TYPE_BOOL, CONFIG_FIELD(manager_ha), 0, 0, 0},
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* The state of one parse, shared by the reader and the handler. */
struct config_parse {
	struct config *cfg;
	const char *name; /* the file name for messages */
	const char *next; /* the text not yet handed to inih */
	int line;         /* number of the line last handed to inih */
	const char *cur;  /* that line without leading blanks and newline */
	size_t cur_len;
	int set_line[CONFIG_NKEYS]; /* line that set each key, 0 if none */
	int error_line;             /* line of *cause, if set */
	char *cause;                /* the first error */
};

/* Blanks that may surround keys and values; '\r' for files edited elsewhere. */
static int
config_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Copies a name for a message: at most 64 bytes, unprintable ones as '?'. */
static char *
config_echo(const char *s)
{
	char buf[72];
	size_t i;

	for (i = 0; s[i] != '\0' && i < 64; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	if (s[i] != '\0')
		return xasprintf("%s...", buf);
	return xstrdup(buf);
}

/* Records the first error, at the current line. */
static void config_error(struct config_parse *parse, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
config_error(struct config_parse *parse, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (parse->cause != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	parse->cause = xasprintf("%s:%d: %s", parse->name, parse->line, msg);
	parse->error_line = parse->line;
}

/* Whether section is a [cluster "NAME"] header (the name is checked when it starts). */
static int
config_is_cluster_section(const char *section)
{
	return strncmp(section, "cluster \"", 9) == 0;
}

/* Sections are optional; [mhaadm] and the seed's [mha] are the same thing. */
static int
config_section_ok(const char *section)
{
	return *section == '\0' || strcmp(section, "mhaadm") == 0 || strcmp(section, "mha") == 0 ||
	       notify_config_is_section(section) || config_is_cluster_section(section);
}

/* Parses an isolation_guard value. Returns 0, or -1 for anything else. */
static int
config_parse_guard(const char *s, enum config_guard *out)
{
	if (strcmp(s, "auto") == 0)
		*out = CONFIG_GUARD_AUTO;
	else if (strcmp(s, "semisync") == 0)
		*out = CONFIG_GUARD_SEMISYNC;
	else if (strcmp(s, "off") == 0)
		*out = CONFIG_GUARD_OFF;
	else
		return -1;
	return 0;
}

static int config_parse_int(const char *s, int min, int max, int *value);

/* Parses yes or no into 1 or 0. Returns 0, or -1 for anything else. */
static int
config_parse_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0)
		*out = 1;
	else if (strcmp(s, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/*
 * Starts a [cluster "NAME"] section: NAME must be a valid cluster name and
 * appear in one section only. Keys that follow go to it.
 */
static void
config_cluster_start(struct config_parse *parse, const char *section)
{
	struct config *cfg = parse->cfg;
	size_t len = strlen(section), i;
	char *name, *vcause = NULL, *echo;

	if (len < 11 || section[len - 1] != '"') {
		echo = config_echo(section);
		config_error(parse, "bad section '[%s]': use [cluster \"NAME\"]", echo);
		free(echo);
		return;
	}
	name = xstrndup(section + 9, len - 10);
	if (validate_cluster_name(name, &vcause) != 0) {
		config_error(parse, "[%s]: %s", section, vcause);
		goto out;
	}
	for (i = 0; i < cfg->n_clusters; i++) {
		if (strcmp(cfg->clusters[i].name, name) == 0) {
			config_error(parse, "duplicate section [cluster \"%s\"]", name);
			goto out;
		}
	}
	cfg->clusters = xreallocarray(cfg->clusters, cfg->n_clusters + 1, sizeof(*cfg->clusters));
	cfg->clusters[cfg->n_clusters].name = name;
	cfg->clusters[cfg->n_clusters].isolation_guard = CONFIG_GUARD_INHERIT;
	cfg->clusters[cfg->n_clusters].semisync_fallback_seconds = -1;
	cfg->clusters[cfg->n_clusters].self_fence = -1;
	cfg->clusters[cfg->n_clusters].self_fence_seconds = -1;
	cfg->clusters[cfg->n_clusters].auto_rejoin = -1;
	cfg->n_clusters++;
	name = NULL;
out:
	free(vcause);
	free(name);
}

/* A key of the newest [cluster "NAME"] section: only the guard's keys belong there. */
static int
config_cluster_set(struct config_parse *parse, const char *name, const char *value)
{
	struct config_cluster *cc;
	char *echo;
	int v;

	if (parse->cfg->n_clusters == 0)
		return 0; /* the header was refused: its error is already recorded */
	cc = &parse->cfg->clusters[parse->cfg->n_clusters - 1];
	echo = config_echo(value);
	if (strcasecmp(name, "isolation_guard") == 0) {
		if (cc->isolation_guard != CONFIG_GUARD_INHERIT)
			config_error(
			    parse, "duplicate key 'isolation_guard' in [cluster \"%s\"]", cc->name);
		else if (config_parse_guard(value, &cc->isolation_guard) != 0)
			config_error(parse,
			    "isolation_guard: invalid value '%s': use auto, semisync "
			    "or off",
			    echo);
	} else if (strcasecmp(name, "semisync_fallback_seconds") == 0) {
		if (cc->semisync_fallback_seconds != -1)
			config_error(parse,
			    "duplicate key 'semisync_fallback_seconds' in [cluster "
			    "\"%s\"]",
			    cc->name);
		else if (config_parse_int(value, 0, 86400, &v) != 0)
			config_error(parse,
			    "semisync_fallback_seconds: invalid value '%s': use a "
			    "whole number from 0 to 86400",
			    echo);
		else
			cc->semisync_fallback_seconds = v;
	} else if (strcasecmp(name, "self_fence") == 0) {
		if (cc->self_fence != -1)
			config_error(
			    parse, "duplicate key 'self_fence' in [cluster \"%s\"]", cc->name);
		else if (config_parse_bool(value, &cc->self_fence) != 0)
			config_error(parse, "self_fence: invalid value '%s': use yes or no", echo);
	} else if (strcasecmp(name, "self_fence_seconds") == 0) {
		if (cc->self_fence_seconds != -1)
			config_error(parse,
			    "duplicate key 'self_fence_seconds' in [cluster \"%s\"]", cc->name);
		else if (config_parse_int(value, 1, 3600, &v) != 0)
			config_error(parse,
			    "self_fence_seconds: invalid value '%s': use a whole number from 1 "
			    "to 3600",
			    echo);
		else
			cc->self_fence_seconds = v;
	} else if (strcasecmp(name, "auto_rejoin") == 0) {
		if (cc->auto_rejoin != -1)
			config_error(
			    parse, "duplicate key 'auto_rejoin' in [cluster \"%s\"]", cc->name);
		else if (config_parse_bool(value, &cc->auto_rejoin) != 0)
			config_error(parse, "auto_rejoin: invalid value '%s': use yes or no", echo);
	} else {
		free(echo);
		echo = config_echo(name);
		config_error(parse,
		    "unknown key '%s' in [cluster \"%s\"]: only isolation_guard, "
		    "semisync_fallback_seconds, auto_rejoin, self_fence and self_fence_seconds "
		    "belong there",
		    echo, cc->name);
	}
	free(echo);
	return parse->cause == NULL;
}

enum config_guard
config_cluster_guard(const struct config *cfg, const char *cluster)
{
	size_t i;

	for (i = 0; i < cfg->n_clusters; i++) {
		if (strcmp(cfg->clusters[i].name, cluster) == 0 &&
		    cfg->clusters[i].isolation_guard != CONFIG_GUARD_INHERIT)
			return cfg->clusters[i].isolation_guard;
	}
	return cfg->isolation_guard;
}

int
config_cluster_fallback(const struct config *cfg, const char *cluster)
{
	size_t i;

	for (i = 0; i < cfg->n_clusters; i++) {
		if (strcmp(cfg->clusters[i].name, cluster) == 0 &&
		    cfg->clusters[i].semisync_fallback_seconds >= 0)
			return cfg->clusters[i].semisync_fallback_seconds;
	}
	return cfg->semisync_fallback_seconds;
}

int
config_cluster_self_fence(const struct config *cfg, const char *cluster, int *seconds)
{
	int on = cfg->self_fence;
	size_t i;

	*seconds = cfg->self_fence_seconds;
	for (i = 0; i < cfg->n_clusters; i++) {
		if (strcmp(cfg->clusters[i].name, cluster) != 0)
			continue;
		if (cfg->clusters[i].self_fence >= 0)
			on = cfg->clusters[i].self_fence;
		if (cfg->clusters[i].self_fence_seconds > 0)
			*seconds = cfg->clusters[i].self_fence_seconds;
	}
	return on;
}

int
config_cluster_auto_rejoin(const struct config *cfg, const char *cluster)
{
	size_t i;

	for (i = 0; i < cfg->n_clusters; i++) {
		if (strcmp(cfg->clusters[i].name, cluster) == 0 &&
		    cfg->clusters[i].auto_rejoin >= 0)
			return cfg->clusters[i].auto_rejoin;
	}
	return cfg->auto_rejoin;
}

/*
 * Checks a section header line ("[name]", already without leading blanks).
 * inih calls the handler only for keys, so an unknown but empty section
 * would otherwise pass unnoticed. A header without ']' is left to inih,
 * which reports it as a syntax error.
 */
static void
config_check_section(struct config_parse *parse)
{
	const char *end;
	char *section, *echo;

	end = memchr(parse->cur, ']', parse->cur_len);
	if (end == NULL)
		return;
	/* Taken as inih takes it: blanks inside the brackets count. */
	section = xstrndup(parse->cur + 1, (size_t)(end - parse->cur - 1));
	if (notify_config_is_section(section)) {
		/* A channel starts at its header, so an empty section is still checked. */
		char *ncause = NULL;

		if (notify_config_section(&parse->cfg->notify_channels,
		        &parse->cfg->n_notify_channels, section, parse->line, &ncause) != 0) {
			config_error(parse, "%s", ncause);
			free(ncause);
		}
	} else if (config_is_cluster_section(section)) {
		config_cluster_start(parse, section);
	} else if (!config_section_ok(section)) {
		echo = config_echo(section);
		config_error(parse,
		    "unknown section '[%s]'; put the keys before any section or "
		    "in [mhaadm]",
		    echo);
		free(echo);
	}
	free(section);
}

/*
 * The ini_reader: hands inih the next line, one line per call, and keeps it
 * for the handler. Returns NULL at the end or after the first error, which
 * makes inih stop.
 */
static char *
config_reader(char *buf, int size, void *stream)
{
	struct config_parse *parse = stream;
	const char *start, *nl;
	size_t len, n;

	if (parse->cause != NULL || *parse->next == '\0' || size < 2)
		return NULL;

	start = parse->next;
	nl = strchr(start, '\n');
	len = nl != NULL ? (size_t)(nl - start) : strlen(start);
	parse->next = start + len + (nl != NULL ? 1 : 0);
	parse->line++;

	/* A UTF-8 byte order mark, as some editors write one. */
	if (parse->line == 1 && len >= 3 && memcmp(start, "\xef\xbb\xbf", 3) == 0) {
		start += 3;
		len -= 3;
	}
	while (len > 0 && config_is_blank(*start)) {
		start++;
		len--;
	}
	parse->cur = start;
	parse->cur_len = len;

	if (len > 0 && *start == '[')
		config_check_section(parse);

	n = len;
	if (n > (size_t)size - 2)
		n = (size_t)size - 2;
	memcpy(buf, start, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return buf;
}

static const struct config_key *
config_find_key(const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (strcasecmp(config_keys[i].name, name) == 0) {
			*idx = i;
			return &config_keys[i];
		}
	}
	return NULL;
}

/*
 * Takes the value from the current line: everything after the first '=' or
 * ':' with blanks trimmed, then one pair of enclosing double quotes removed.
 * Returns a newly allocated string or NULL after recording an error (which
 * never quotes the value: it may be a password).
 */
static char *
config_raw_value(struct config_parse *parse, const char *name)
{
	const char *sep, *start, *end, *line_end;

	line_end = parse->cur + parse->cur_len;
	for (sep = parse->cur; sep < line_end && *sep != '=' && *sep != ':'; sep++)
		;
	if (sep == line_end) {
		/* inih found a separator in the same line; this cannot happen. */
		config_error(parse, "cannot find the value of '%s'", name);
		return NULL;
	}
	start = sep + 1;
	end = line_end;
	while (start < end && config_is_blank(*start))
		start++;
	while (end > start && config_is_blank(end[-1]))
		end--;

	if (start < end && *start == '"') {
		if (end - start < 2 || end[-1] != '"') {
			config_error(parse,
			    "%s: the value starts with '\"' but does not end with "
			    "one; quote the whole value",
			    name);
			return NULL;
		}
		start++;
		end--;
	}
	return xstrndup(start, (size_t)(end - start));
}

/* True if s has a control character (tab included) or DEL. */
static int
config_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* True if every character of s is in A-Z a-z 0-9 or in extra. */
static int
config_only(const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9'))
			continue;
		if (strchr(extra, *s) == NULL)
			return 0;
	}
	return 1;
}

/*
 * Parses a decimal integer strictly: digits only (no sign, no blanks, no
 * trailing text), range-checked. Returns 0 or -1.
 */
static int
config_parse_int(const char *s, int min, int max, int *value)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*value = (int)v;
	return 0;
}

/*
 * Checks value for key and stores it in the config. Takes ownership of
 * value (wiped when freed, as it may be a password). Returns 0 or -1 after
 * recording an error.
 */
static int
config_set(struct config_parse *parse, const struct config_key *key, char *value)
{
	void *field = (char *)parse->cfg + key->offset;
	char **sfield = field;
	int *ifield = field;
	char *echo = NULL, *vcause = NULL;
	int retval = -1;

	if (*value == '\0' && key->empty_unsets) {
		free(*sfield);
		*sfield = NULL;
		retval = 0;
		goto out;
	}
	if (*value == '\0' && key->type != CONFIG_TYPE_SECRET) {
		config_error(
		    parse, "%s: the value is empty; remove the line to use the default", key->name);
		goto out;
	}
	/* Messages may quote any value but a password. */
	if (key->type != CONFIG_TYPE_SECRET)
		echo = config_echo(value);

	switch (key->type) {
	case CONFIG_TYPE_USER:
		if (strlen(value) > CONFIG_USER_MAX || !config_only(value, "_.-")) {
			config_error(parse,
			    "%s: invalid account name '%s': use 1-%d characters from "
			    "A-Z a-z 0-9 _ . -",
			    key->name, echo, CONFIG_USER_MAX);
			goto out;
		}
		break;
	case CONFIG_TYPE_SECRET:
		if (strlen(value) > CONFIG_SECRET_MAX || config_has_control(value)) {
			config_error(parse,
			    "%s: use at most %d printable characters (no tabs or "
			    "other control characters)",
			    key->name, CONFIG_SECRET_MAX);
			goto out;
		}
		break;
	case CONFIG_TYPE_HOST:
		if (validate_host(value, &vcause) != 0) {
			config_error(parse, "%s: %s", key->name, vcause);
			goto out;
		}
		break;
	case CONFIG_TYPE_IFACE:
		if (validate_iface(value, &vcause) != 0) {
			config_error(parse, "%s: %s", key->name, vcause);
			goto out;
		}
		break;
	case CONFIG_TYPE_PATH:
		/*
		 * These paths end up in MHA's configuration and in commands run
		 * over SSH, so blanks and shell metacharacters are kept out.
		 */
		if (*value != '/' || strlen(value) > CONFIG_PATH_MAX ||
		    !config_only(value, "/_.-+@,:")) {
			config_error(parse,
			    "%s: invalid path '%s': use an absolute path of characters "
			    "A-Z a-z 0-9 / _ . - + @ , :",
			    key->name, echo);
			goto out;
		}
		break;
	case CONFIG_TYPE_DATABASE:
		if (strlen(value) > CONFIG_DATABASE_MAX || !config_only(value, "_")) {
			config_error(parse,
			    "%s: invalid database name '%s': use 1-%d characters from "
			    "A-Z a-z 0-9 _",
			    key->name, echo, CONFIG_DATABASE_MAX);
			goto out;
		}
		break;
	case CONFIG_TYPE_PORT:
		if (validate_port(value, ifield, &vcause) != 0) {
			config_error(parse, "%s: %s", key->name, vcause);
			goto out;
		}
		retval = 0;
		goto out;
	case CONFIG_TYPE_INT:
		if (config_parse_int(value, key->min, key->max, ifield) != 0) {
			config_error(parse,
			    "%s: invalid value '%s': use a whole number from %d to %d", key->name,
			    echo, key->min, key->max);
			goto out;
		}
		retval = 0;
		goto out;
	case CONFIG_TYPE_LISTEN: {
		int lo;

		if (validate_listen(value, NULL, NULL, &lo, &vcause) != 0) {
			config_error(parse, "%s: %s", key->name, vcause);
			goto out;
		}
		break;
	}
	case CONFIG_TYPE_REGISTRY:
		if (strcmp(value, "sqlite") == 0)
			parse->cfg->registry = CONFIG_REGISTRY_SQLITE;
		else if (strcmp(value, "mysql") == 0)
			parse->cfg->registry = CONFIG_REGISTRY_MYSQL;
		else {
			config_error(
			    parse, "%s: invalid value '%s': use sqlite or mysql", key->name, echo);
			goto out;
		}
		retval = 0;
		goto out;
	case CONFIG_TYPE_GUARD:
		if (config_parse_guard(value, (enum config_guard *)field) != 0) {
			config_error(parse, "%s: invalid value '%s': use auto, semisync or off",
			    key->name, echo);
			goto out;
		}
		retval = 0;
		goto out;
	case CONFIG_TYPE_BOOL:
		if (config_parse_bool(value, ifield) != 0) {
			config_error(
			    parse, "%s: invalid value '%s': use yes or no", key->name, echo);
			goto out;
		}
		retval = 0;
		goto out;
	}

	/* A string that passed its check replaces the default. */
	xfree_secret(*sfield);
	*sfield = value;
	value = NULL;
	retval = 0;

out:
	free(vcause);
	free(echo);
	xfree_secret(value);
	return retval;
}

/* The ini_handler; returns nonzero to go on, zero on error. */
static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *parse = user;
	const struct config_key *key;
	char *raw, *echo;
	size_t idx;

	(void)value; /* taken from the line instead; see the top of this file */
	if (parse->cause != NULL)
		return 0;
	if (!config_section_ok(section)) {
		echo = config_echo(section);
		config_error(parse, "unknown section '[%s]'", echo);
		free(echo);
		return 0;
	}
	if (notify_config_is_section(section)) {
		char *ncause = NULL;

		raw = config_raw_value(parse, name);
		if (raw == NULL)
			return 0;
		if (notify_config_set(parse->cfg->notify_channels, parse->cfg->n_notify_channels,
		        section, name, raw, parse->line, &ncause) != 0) {
			config_error(parse, "%s", ncause);
			free(ncause);
			return 0;
		}
		return 1;
	}
	if (config_is_cluster_section(section)) {
		int ok;

		raw = config_raw_value(parse, name);
		if (raw == NULL)
			return 0;
		ok = config_cluster_set(parse, name, raw);
		free(raw);
		return ok;
	}
	key = config_find_key(name, &idx);
	if (key == NULL) {
		echo = config_echo(name);
		config_error(parse, "unknown key '%s'", echo);
		free(echo);
		return 0;
	}
	if (parse->set_line[idx] != 0) {
		config_error(parse, "duplicate key '%s' (already set on line %d)", key->name,
		    parse->set_line[idx]);
		return 0;
	}
	parse->set_line[idx] = parse->line;

	raw = config_raw_value(parse, key->name);
	if (raw == NULL)
		return 0;
	return config_set(parse, key, raw) == 0;
}

/*
 * The default manager_name: the host name (up to its first dot), every
 * character a manager name may not hold made '-'; "manager" when there is
 * none. Newly allocated.
 */
static char *
config_default_manager_name(void)
{
	char host[CONFIG_USER_MAX + 1], *p;

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		return xstrdup("manager");
	host[CONFIG_USER_MAX] = '\0';
	if ((p = strchr(host, '.')) != NULL && p != host)
		*p = '\0';
	for (p = host; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '-';
	}
	return xstrdup(host);
}

/* Returns a config holding the defaults. */
static struct config *
config_new(const char *path)
{
	struct config *cfg;

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	cfg->ha_password = xstrdup("");
	cfg->repl_password = xstrdup("");
	cfg->mysql_password = xstrdup("");
	cfg->ssh_user = xstrdup("root");
	cfg->mysql_port = 3306;
	cfg->registry = CONFIG_REGISTRY_SQLITE;
	cfg->registry_path = xstrdup("/var/lib/mhaadm/registry.db");
	cfg->mysql_database = xstrdup("mhaadm");
	cfg->workdir = xstrdup("/var/lib/mhaadm");
	cfg->log_dir = xstrdup("/var/log/mhaadm");
	cfg->vip_iface = xstrdup("eth0");
	cfg->vip_prefix = 24;
	cfg->node_port = 3306;
	cfg->connect_timeout = 3;
	cfg->read_timeout = 5;
	cfg->ssh_key = xstrdup("/etc/mhaadm/ssh/id_ed25519");
	cfg->ssh_known_hosts = xstrdup("/etc/mhaadm/ssh/known_hosts");
	cfg->ssh_port = 22;
	cfg->ssh_timeout = 5;
	cfg->mha_ping_interval = 1;
	cfg->mha_remote_workdir = xstrdup("/var/tmp/mhaadm");
	cfg->failover_window = 3600;
	cfg->max_lag = 60;
	cfg->salvage_timeout = 10;
	cfg->ssh_keep_sessions = 100;
	cfg->lag_hold = 3;
	cfg->probe_interval = 10;
	cfg->probe_timeout = 1;
	cfg->storm_max_failovers = 5;
	cfg->storm_window = 300;
	cfg->http_max_connections = 64;
	cfg->http_per_ip = 16;
	cfg->http_timeout = 10;
	cfg->isolation_guard = CONFIG_GUARD_AUTO;
	cfg->semisync_fallback_seconds = 0;
	cfg->self_fence = 0;
	cfg->self_fence_seconds = 3; /* SELFFENCE_DEFAULT_SECONDS */
	cfg->engine = xstrdup("mha");
	/* keepalived's defaults (vrrp_garp_master_repeat 5); 200 ms spacing: a 1 s burst. */
	cfg->garp_count = 5;
	cfg->garp_interval_ms = 200;
	cfg->manager_name = config_default_manager_name();
	cfg->lease_seconds = 10;
	return cfg;
}

/* The line that set the key called name, 0 if none. */
static int
config_key_line(const struct config_parse *parse, const char *name)
{
	size_t idx;

	if (config_find_key(name, &idx) == NULL)
		return 0;
	return parse->set_line[idx];
}

/*
 * The HTTP listener's keys that go together: anything but loopback needs a
 * token (the API shows the fleet's topology), and TLS needs both files.
 */
static int
config_check_http(struct config_parse *parse, char **cause)
{
	struct config *cfg = parse->cfg;
	char *vcause = NULL;
	int lo = 1;

	if (cfg->http_listen != NULL &&
	    validate_listen(cfg->http_listen, NULL, NULL, &lo, &vcause) != 0) {
		*cause = xasprintf("%s: %s", parse->name, vcause);
		free(vcause);
		return -1;
	}
	if (cfg->http_listen != NULL && !lo && cfg->http_token_file == NULL) {
		*cause =
		    xasprintf("%s:%d: http_listen = %s is not a loopback address: set "
		              "http_token_file (a root-owned 0600 file holding the bearer token) "
		              "or listen on 127.0.0.1",
		        parse->name, config_key_line(parse, "http_listen"), cfg->http_listen);
		return -1;
	}
	if ((cfg->http_tls_cert == NULL) != (cfg->http_tls_key == NULL)) {
		*cause =
		    xasprintf("%s:%d: TLS needs both http_tls_cert and http_tls_key", parse->name,
		        config_key_line(
		            parse, cfg->http_tls_cert != NULL ? "http_tls_cert" : "http_tls_key"));
		return -1;
	}
	return 0;
}

/* Checks what no single line can: required keys and keys that go together. */
static int
config_check(struct config_parse *parse, char **cause)
{
	struct config *cfg = parse->cfg;
	char *ncause = NULL;

	if (notify_config_check(cfg->notify_channels, cfg->n_notify_channels, &ncause) != 0) {
		*cause = xasprintf("%s:%s", parse->name, ncause);
		free(ncause);
		return -1;
	}
	if (cfg->ha_user == NULL) {
		*cause =
		    xasprintf("%s: ha_user is not set; MHA's admin account is needed", parse->name);
		return -1;
	}
	if (cfg->registry == CONFIG_REGISTRY_MYSQL &&
	    (cfg->mysql_host == NULL || cfg->mysql_user == NULL)) {
		*cause = xasprintf("%s:%d: registry = mysql needs %s%s%s (the management node)",
		    parse->name, config_key_line(parse, "registry"),
		    cfg->mysql_host == NULL ? "mysql_host" : "",
		    cfg->mysql_host == NULL && cfg->mysql_user == NULL ? " and " : "",
		    cfg->mysql_user == NULL ? "mysql_user" : "");
		return -1;
	}
	if (cfg->manager_ha && cfg->registry != CONFIG_REGISTRY_MYSQL) {
		*cause = xasprintf("%s:%d: manager_ha = yes needs registry = mysql: the managers "
		                   "share their leases in the MySQL/MariaDB registry",
		    parse->name, config_key_line(parse, "manager_ha"));
		return -1;
	}
	return config_check_http(parse, cause);
}

struct config *
config_parse_string(const char *text, const char *name, char **cause)
{
	struct config_parse parse;
	int ret;

	memset(&parse, 0, sizeof(parse));
	parse.cfg = config_new(name);
	parse.name = name;
	parse.next = text;

	ret = ini_parse_stream(config_reader, &parse, config_handler, &parse);

	/*
	 * inih returns the first line it could not parse, or that the handler
	 * refused; our own message is better when it is about that line.
	 */
	if (ret > 0 && (parse.cause == NULL || ret < parse.error_line)) {
		free(parse.cause);
		parse.cause = xasprintf("%s:%d: syntax error: expected 'key = value', '[section]' "
		                        "or a comment",
		    name, ret);
	} else if (ret < 0 && parse.cause == NULL)
		parse.cause = xasprintf("%s: cannot parse (inih error %d)", name, ret);

	if (parse.cause == NULL && config_check(&parse, &parse.cause) == 0)
		return parse.cfg;

	*cause = parse.cause;
	config_free(parse.cfg);
	return NULL;
}

/* True if the config holds a non-empty password. */
static int
config_has_secret(const struct config *cfg)
{
	return *cfg->ha_password != '\0' || *cfg->repl_password != '\0' ||
	       *cfg->mysql_password != '\0' ||
	       notify_config_has_secret(cfg->notify_channels, cfg->n_notify_channels);
}

/*
 * Refuses a file that others could change or, when it holds passwords,
 * read. Like sshd with its keys, the owner must be root or the user running
 * mhaadm: a file owned by anyone else could be edited to run commands as us.
 */
static int
config_check_owner(const char *what, const char *path, const struct stat *st, char **cause)
{
	uid_t euid = geteuid();

	if (st->st_uid != 0 && st->st_uid != euid) {
		if (euid == 0)
			*cause = xasprintf("%s %s is owned by uid %u, not by root; fix: "
			                   "chown root %s",
			    what, path, (unsigned int)st->st_uid, path);
		else
			*cause = xasprintf("%s %s is owned by uid %u, not by root or by you "
			                   "(uid %u); fix: chown root %s",
			    what, path, (unsigned int)st->st_uid, (unsigned int)euid, path);
		return -1;
	}
	return 0;
}

static int
config_check_file(const struct config *cfg, const struct stat *st, char **cause)
{
	unsigned int mode = (unsigned int)(st->st_mode & 07777);

	if (config_check_owner("config", cfg->path, st, cause) != 0)
		return -1;
	if ((mode & 002) != 0) {
		*cause = xasprintf("config %s is writable by anyone (mode %04o); fix: chmod 600 %s",
		    cfg->path, mode, cfg->path);
		return -1;
	}
	if ((mode & 077) != 0 && config_has_secret(cfg)) {
		*cause = xasprintf("config %s is %s by group or others (mode %04o) and holds "
		                   "passwords; fix: chmod 600 %s",
		    cfg->path, (mode & 044) != 0 ? "readable" : "writable", mode, cfg->path);
		return -1;
	}
	return 0;
}

struct config *
config_load(const char *path, char **cause)
{
	struct config *cfg = NULL;
	struct stat st;
	char *text = NULL;
	size_t size = 0;
	ssize_t n;
	int fd = -1;

	/* O_NONBLOCK so that a FIFO cannot hang us; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		*cause = xasprintf("cannot read config %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (create it from etc/mhaadm.cnf.example or pass -c FILE)"
		                    : "");
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		*cause = xasprintf("cannot read config %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("cannot read config %s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		*cause = xasprintf("cannot read config %s: too large (%lld bytes, at most %d)",
		    path, (long long)st.st_size, CONFIG_FILE_MAX);
		goto out;
	}

	/* Read to EOF into a buffer one byte larger than the limit. */
	text = xmalloc(CONFIG_FILE_MAX + 2);
	while (size <= CONFIG_FILE_MAX) {
		n = read(fd, text + size, CONFIG_FILE_MAX + 1 - size);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("cannot read config %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	text[size] = '\0';
	if (size > CONFIG_FILE_MAX) {
		*cause = xasprintf(
		    "cannot read config %s: too large (at most %d bytes)", path, CONFIG_FILE_MAX);
		goto out;
	}
	if (memchr(text, '\0', size) != NULL) {
		*cause = xasprintf(
		    "cannot read config %s: it holds a NUL byte; is it a text file?", path);
		goto out;
	}

	cfg = config_parse_string(text, path, cause);
	if (cfg != NULL && config_check_file(cfg, &st, cause) != 0) {
		config_free(cfg);
		cfg = NULL;
	}

out:
	if (text != NULL) {
		explicit_bzero(text, size);
		free(text);
	}
	if (fd != -1)
		close(fd);
	return cfg;
}

/* Opens a secret file and checks it as config_check_secret_file says; the fd, or -1. */
static int
config_open_secret(const char *path, const char *what, struct stat *st, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0) {
		*cause = xasprintf("cannot read %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		*cause = xasprintf("cannot read %s %s: not a regular file", what, path);
		close(fd);
		return -1;
	}
	if (config_check_owner(what, path, st, cause) != 0) {
		close(fd);
		return -1;
	}
	if ((st->st_mode & 077) != 0) {
		*cause = xasprintf("%s %s is readable or writable by group or others (mode %04o); "
		                   "fix: chmod 600 %s",
		    what, path, (unsigned int)(st->st_mode & 07777), path);
		close(fd);
		return -1;
	}
	return fd;
}

int
config_check_secret_file(const char *path, const char *what, char **cause)
{
	struct stat st;
	int fd = config_open_secret(path, what, &st, cause);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
config_read_secret_file(
    const char *path, const char *what, size_t min_len, char **out, char **cause)
{
	char buf[4097];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd = config_open_secret(path, what, &st, cause), rc = -1;

	if (fd < 0)
		return -1;
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
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == sizeof(buf) - 1)
		*cause = xasprintf(
		    "%s %s is too large (at most %zu bytes)", what, path, sizeof(buf) - 2);
	else if (len < min_len || strlen(buf) != len || config_has_control(buf))
		*cause = xasprintf("%s %s must hold one line of at least %zu printable characters",
		    what, path, min_len);
	else {
		*out = xstrdup(buf);
		rc = 0;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

const char *
config_path_choose(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL)
		return explicit_path;
	env = getenv("MHAADM_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->manager_name);
	free(cfg->ha_user);
	xfree_secret(cfg->ha_password);
	free(cfg->repl_user);
	xfree_secret(cfg->repl_password);
	free(cfg->ssh_user);
	free(cfg->mysql_user);
	xfree_secret(cfg->mysql_password);
	free(cfg->mysql_host);
	free(cfg->registry_path);
	free(cfg->mysql_database);
	free(cfg->workdir);
	free(cfg->log_dir);
	free(cfg->vip_iface);
	free(cfg->ssh_key);
	free(cfg->ssh_known_hosts);
	free(cfg->mha_remote_workdir);
	free(cfg->http_listen);
	free(cfg->http_token_file);
	free(cfg->http_tls_cert);
	free(cfg->http_tls_key);
	free(cfg->engine);
	free(cfg->self_fence_manager);
	free(cfg->self_fence_bin);
	notify_channels_free(cfg->notify_channels, cfg->n_notify_channels);
	for (size_t ci = 0; ci < cfg->n_clusters; ci++)
		free(cfg->clusters[ci].name);
	free(cfg->clusters);
	free(cfg);
}
