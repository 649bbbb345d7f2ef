/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The [notify "NAME"] sections of mhaadm.cnf: one notification channel each. */
#include "notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"

#define NOTIFY_NAME_MAX 64
#define NOTIFY_VALUE_MAX 2048

enum notify_key {
	NK_TYPE,
	NK_URL,
	NK_SECRET,
	NK_EVENTS,
	NK_TIMEOUT,
	NK_RETRIES,
	NK_DEDUP,
	NK_QUEUE,
	NK_TLS,
	NK_USER,
	NK_PASSWORD,
	NK_FROM,
	NK_TO,
	NK_COMMAND,
	NK_COUNT
};

static const char *const notify_key_names[NK_COUNT] = {
    "type",
    "url",
    "secret",
    "events",
    "timeout",
    "retries",
    "dedup",
    "queue",
    "tls",
    "user",
    "password",
    "from",
    "to",
    "command",
};

static const char *const notify_type_names[] = {
    "webhook",
    "dingtalk",
    "wecom",
    "feishu",
    "slack",
    "smtp",
    "command",
};

const char *
notify_type_name(enum notify_type t)
{
	return notify_type_names[t];
}

/* The channel name of a section, newly allocated, or NULL when it is not a channel. */
static char *
notify_config_section_name(const char *section)
{
	size_t len;

	if (strncmp(section, "notify.", 7) == 0)
		return xstrdup(section + 7);
	if (strncmp(section, "notify \"", 8) == 0) {
		len = strlen(section + 8);
		if (len == 0 || section[8 + len - 1] != '"')
			return xstrdup(""); /* refused as a bad name */
		return xstrndup(section + 8, len - 1);
	}
	return NULL;
}

int
notify_config_is_section(const char *section)
{
	return strncmp(section, "notify.", 7) == 0 || strncmp(section, "notify \"", 8) == 0;
}

static int
notify_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		        (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-' || s[n] == '.'))
			return 0;
	}
	return n > 0 && n <= NOTIFY_NAME_MAX;
}

static struct notify_channel *
notify_config_find(struct notify_channel *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	}
	return NULL;
}

int
notify_config_section(
    struct notify_channel **list, size_t *n, const char *section, int line, char **cause)
{
	struct notify_channel *ch, *dup;
	char *name = notify_config_section_name(section);

	if (name == NULL || !notify_name_ok(name)) {
		*cause = xstrdup("bad channel section: write [notify \"NAME\"] or [notify.NAME] "
		                 "with a NAME of 1-64 characters A-Z a-z 0-9 _ - .");
		free(name);
		return -1;
	}
	dup = notify_config_find(*list, *n, name);
	if (dup != NULL) {
		*cause = xasprintf("channel '%s' is already defined on line %d; give each channel "
		                   "one section",
		    name, dup->line);
		free(name);
		return -1;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	ch = &(*list)[(*n)++];
	memset(ch, 0, sizeof(*ch));
	ch->name = name;
	ch->line = line;
	ch->timeout = 10;
	ch->retries = 3;
	ch->dedup = 60;
	ch->queue = 256;
	return 0;
}

/* Splits a list on commas and blanks; each item newly allocated. */
static char **
notify_config_split(const char *value, size_t *n)
{
	char **items = NULL;
	const char *p = value, *start;

	*n = 0;
	while (*p != '\0') {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		items = xreallocarray(items, *n + 1, sizeof(*items));
		items[(*n)++] = xstrndup(start, (size_t)(p - start));
	}
	return items;
}

static void
notify_config_free_list(char **items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static int
notify_config_int(const char *key, const char *value, int min, int max, int *out, char **cause)
{
	char *end;
	long v;

	errno = 0;
	v = (*value >= '0' && *value <= '9') ? strtol(value, &end, 10) : -1;
	if (v < 0 || errno != 0 || *end != '\0' || v < min || v > max) {
		*cause = xasprintf("%s: invalid value '%s': use a whole number from %d to %d", key,
		    value, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Printable ASCII without blanks: URLs, addresses, patterns. */
static int
notify_config_plain(const char *s, int blanks_ok)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    (!blanks_ok && *s == ' '))
			return 0;
	}
	return 1;
}

/* An e-mail address, loosely: LOCAL@DOMAIN of plain characters, no <>"\ or blanks. */
static int
notify_config_address(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	return notify_config_plain(s, 0) && strpbrk(s, "<>\"\\,;()[]") == NULL;
}

int
notify_config_set(struct notify_channel *list, size_t n, const char *section, const char *key,
    char *value, int line, char **cause)
{
	struct notify_channel *ch;
	char *name = notify_config_section_name(section);
	int k, rc = -1;
	size_t i;

	ch = name != NULL ? notify_config_find(list, n, name) : NULL;
	free(name);
	if (ch == NULL) {
		*cause = xstrdup("key outside a known channel section");
		goto out;
	}
	for (k = 0; k < NK_COUNT; k++) {
		if (strcasecmp(notify_key_names[k], key) == 0)
			break;
	}
	if (k == NK_COUNT) {
		*cause =
		    xasprintf("unknown key '%.64s' in channel '%s'; channel keys are type, url, "
		              "secret, events, timeout, retries, dedup, queue, tls, user, "
		              "password, from, to, command",
		        key, ch->name);
		goto out;
	}
	if (ch->key_line[k] != 0) {
		*cause = xasprintf("duplicate key '%s' in channel '%s' (already set on line %d)",
		    notify_key_names[k], ch->name, ch->key_line[k]);
		goto out;
	}
	ch->key_line[k] = line;
	if (strlen(value) > NOTIFY_VALUE_MAX) {
		*cause = xasprintf("%s: the value is longer than %d characters",
		    notify_key_names[k], NOTIFY_VALUE_MAX);
		goto out;
	}
	if (*value == '\0') {
		*cause = xasprintf("%s: the value is empty; remove the line to use the default",
		    notify_key_names[k]);
		goto out;
	}
	/* Secrets are checked without being quoted back. */
	if ((k == NK_SECRET || k == NK_PASSWORD || k == NK_URL) && !notify_config_plain(value, 1)) {
		*cause = xasprintf("%s: use printable characters only (no tabs or control "
		                   "characters)",
		    notify_key_names[k]);
		goto out;
	}
	if (k != NK_SECRET && k != NK_PASSWORD && k != NK_URL && k != NK_EVENTS && k != NK_TO &&
	    !notify_config_plain(value, 0)) {
		*cause =
		    xasprintf("%s: use printable characters without blanks", notify_key_names[k]);
		goto out;
	}
	switch (k) {
	case NK_TYPE:
		for (i = 0; i < sizeof(notify_type_names) / sizeof(notify_type_names[0]); i++) {
			if (strcmp(value, notify_type_names[i]) == 0)
				break;
		}
		if (i == sizeof(notify_type_names) / sizeof(notify_type_names[0])) {
			*cause =
			    xasprintf("type: unknown channel type '%.64s': use webhook, dingtalk, "
			              "wecom, feishu, slack, smtp or command",
			        value);
			goto out;
		}
		ch->type = (enum notify_type)i;
		ch->type_set = 1;
		break;
	case NK_URL:
		if (strchr(value, ' ') != NULL) {
			*cause = xstrdup("url: no blanks in a URL (encode them as %20)");
			goto out;
		}
		ch->url = value;
		value = NULL;
		break;
	case NK_SECRET:
		ch->secret = value;
		value = NULL;
		break;
	case NK_PASSWORD:
		ch->password = value;
		value = NULL;
		break;
	case NK_EVENTS:
		ch->events = notify_config_split(value, &ch->n_events);
		for (i = 0; i < ch->n_events; i++) {
			const char *p = ch->events[i] + (ch->events[i][0] == '!');

			if (*p == '\0' || !notify_config_plain(p, 0)) {
				*cause =
				    xasprintf("events: bad pattern '%.64s': use event types or "
				              "globs like failover.*, vip.*, !engine.started",
				        ch->events[i]);
				goto out;
			}
		}
		if (ch->n_events == 0) {
			*cause = xstrdup("events: no pattern; remove the line to get every event");
			goto out;
		}
		break;
	case NK_TIMEOUT:
		if (notify_config_int("timeout", value, 1, 300, &ch->timeout, cause) != 0)
			goto out;
		break;
	case NK_RETRIES:
		if (notify_config_int("retries", value, 0, 20, &ch->retries, cause) != 0)
			goto out;
		break;
	case NK_DEDUP:
		if (notify_config_int("dedup", value, 0, 86400, &ch->dedup, cause) != 0)
			goto out;
		break;
	case NK_QUEUE:
		if (notify_config_int("queue", value, 1, 100000, &ch->queue, cause) != 0)
			goto out;
		break;
	case NK_TLS:
		if (strcmp(value, "starttls") == 0)
			ch->tls = NOTIFY_TLS_STARTTLS;
		else if (strcmp(value, "tls") == 0)
			ch->tls = NOTIFY_TLS_TLS;
		else if (strcmp(value, "none") == 0)
			ch->tls = NOTIFY_TLS_NONE;
		else {
			*cause = xasprintf(
			    "tls: invalid value '%.64s': use starttls, tls or none", value);
			goto out;
		}
		break;
	case NK_USER:
		ch->user = value;
		value = NULL;
		break;
	case NK_FROM:
		if (!notify_config_address(value)) {
			*cause = xasprintf(
			    "from: '%.64s' is not an e-mail address (user@domain)", value);
			goto out;
		}
		ch->from = value;
		value = NULL;
		break;
	case NK_TO:
		ch->to = notify_config_split(value, &ch->n_to);
		for (i = 0; i < ch->n_to; i++) {
			if (!notify_config_address(ch->to[i])) {
				*cause =
				    xasprintf("to: '%.64s' is not an e-mail address (user@domain)",
				        ch->to[i]);
				goto out;
			}
		}
		break;
	case NK_COMMAND:
		if (value[0] != '/') {
			*cause = xasprintf("command: '%.64s' is not an absolute path", value);
			goto out;
		}
		ch->command = value;
		value = NULL;
		break;
	}
	rc = 0;
out:
	xfree_secret(value);
	return rc;
}

/* The URL schemes each type takes. */
static int
notify_config_scheme_ok(const struct notify_channel *ch)
{
	if (ch->type == NOTIFY_SMTP)
		return strncmp(ch->url, "smtp://", 7) == 0 || strncmp(ch->url, "smtps://", 8) == 0;
	return strncmp(ch->url, "http://", 7) == 0 || strncmp(ch->url, "https://", 8) == 0;
}

int
notify_config_check(const struct notify_channel *list, size_t n, char **cause)
{
	/* Keys each type may use, besides type, events, timeout, retries, dedup, queue. */
	static const unsigned int allowed[] = {
	    [NOTIFY_WEBHOOK] = 1u << NK_URL | 1u << NK_SECRET,
	    [NOTIFY_DINGTALK] = 1u << NK_URL | 1u << NK_SECRET,
	    [NOTIFY_WECOM] = 1u << NK_URL,
	    [NOTIFY_FEISHU] = 1u << NK_URL | 1u << NK_SECRET,
	    [NOTIFY_SLACK] = 1u << NK_URL,
	    [NOTIFY_SMTP] = 1u << NK_URL | 1u << NK_TLS | 1u << NK_USER | 1u << NK_PASSWORD |
	                    1u << NK_FROM | 1u << NK_TO,
	    [NOTIFY_COMMAND] = 1u << NK_COMMAND,
	};
	const unsigned int common = 1u << NK_TYPE | 1u << NK_EVENTS | 1u << NK_TIMEOUT |
	                            1u << NK_RETRIES | 1u << NK_DEDUP | 1u << NK_QUEUE;
	const struct notify_channel *ch;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		ch = &list[i];
		if (!ch->type_set) {
			*cause =
			    xasprintf("%d: channel '%s' has no type; add type = webhook, dingtalk, "
			              "wecom, feishu, slack, smtp or command",
			        ch->line, ch->name);
			return -1;
		}
		for (k = 0; k < NK_COUNT; k++) {
			if (ch->key_line[k] != 0 &&
			    ((common | allowed[ch->type]) & (1u << k)) == 0) {
				*cause = xasprintf("%d: %s is not a key of a %s channel ('%s')%s",
				    ch->key_line[k], notify_key_names[k],
				    notify_type_name(ch->type), ch->name,
				    k == NK_SECRET ? "; this service does not sign requests" : "");
				return -1;
			}
		}
		if (ch->type == NOTIFY_COMMAND) {
			if (ch->command == NULL) {
				*cause = xasprintf(
				    "%d: channel '%s' (command) needs command = /ABS/PATH",
				    ch->line, ch->name);
				return -1;
			}
			continue;
		}
		if (ch->url == NULL) {
			*cause = xasprintf("%d: channel '%s' (%s) needs url = %s", ch->line,
			    ch->name, notify_type_name(ch->type),
			    ch->type == NOTIFY_SMTP ? "smtp://HOST:PORT or smtps://HOST:PORT"
			                            : "https://...");
			return -1;
		}
		if (!notify_config_scheme_ok(ch)) {
			*cause = xasprintf("%d: url of channel '%s' must start with %s",
			    ch->key_line[NK_URL], ch->name,
			    ch->type == NOTIFY_SMTP ? "smtp:// or smtps://"
			                            : "http:// or https://");
			return -1;
		}
		if (ch->type != NOTIFY_SMTP)
			continue;
		if (ch->from == NULL || ch->n_to == 0) {
			*cause = xasprintf("%d: channel '%s' (smtp) needs from = ADDRESS and to = "
			                   "ADDRESS[, ADDRESS...]",
			    ch->line, ch->name);
			return -1;
		}
		if ((ch->user == NULL) != (ch->password == NULL)) {
			*cause =
			    xasprintf("%d: channel '%s' (smtp): set user and password together, "
			              "or neither",
			        ch->line, ch->name);
			return -1;
		}
		if (ch->tls == NOTIFY_TLS_STARTTLS && strncmp(ch->url, "smtps://", 8) == 0) {
			*cause =
			    xasprintf("%d: channel '%s': tls = starttls with an smtps:// url; use "
			              "smtp:// for STARTTLS or tls = tls",
			        ch->key_line[NK_TLS], ch->name);
			return -1;
		}
		if (ch->tls == NOTIFY_TLS_TLS && strncmp(ch->url, "smtps://", 8) != 0) {
			*cause = xasprintf(
			    "%d: channel '%s': tls = tls (implicit TLS) needs an smtps:// "
			    "url",
			    ch->key_line[NK_TLS], ch->name);
			return -1;
		}
		if (ch->tls == NOTIFY_TLS_NONE && strncmp(ch->url, "smtps://", 8) == 0) {
			*cause = xasprintf("%d: channel '%s': tls = none with an smtps:// url; use "
			                   "smtp:// for plain text",
			    ch->key_line[NK_TLS], ch->name);
			return -1;
		}
		if (ch->tls == NOTIFY_TLS_NONE && ch->password != NULL) {
			*cause =
			    xasprintf("%d: channel '%s': tls = none would send the SMTP password "
			              "in clear; use starttls or tls",
			        ch->key_line[NK_TLS], ch->name);
			return -1;
		}
	}
	return 0;
}

int
notify_config_has_secret(const struct notify_channel *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (list[i].url != NULL || list[i].secret != NULL || list[i].password != NULL)
			return 1;
	}
	return 0;
}

void
notify_channels_free(struct notify_channel *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].name);
		xfree_secret(list[i].url);
		xfree_secret(list[i].secret);
		xfree_secret(list[i].password);
		notify_config_free_list(list[i].events, list[i].n_events);
		free(list[i].user);
		free(list[i].from);
		notify_config_free_list(list[i].to, list[i].n_to);
		free(list[i].command);
	}
	free(list);
}
