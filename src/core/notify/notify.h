/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifications: channels from mhaadm.cnf, messages built from events, their formats and delivery.
 */
#ifndef MHAADM_NOTIFY_H
#define MHAADM_NOTIFY_H

#include <stddef.h>
#include <time.h>

enum notify_type {
	NOTIFY_WEBHOOK,  /* generic JSON POST, optional X-Mhaadm-Signature */
	NOTIFY_DINGTALK, /* DingTalk group robot, optional signing */
	NOTIFY_WECOM,    /* WeCom (WeChat Work) group robot */
	NOTIFY_FEISHU,   /* Feishu / Lark group robot, optional signing */
	NOTIFY_SLACK,    /* Slack incoming webhook */
	NOTIFY_SMTP,     /* e-mail over SMTP (libcurl) */
	NOTIFY_COMMAND,  /* an external root-owned command */
};

enum notify_tls {
	NOTIFY_TLS_DEFAULT,  /* from the URL: smtps:// → tls, smtp:// → starttls */
	NOTIFY_TLS_STARTTLS, /* STARTTLS required */
	NOTIFY_TLS_TLS,      /* implicit TLS (smtps://) */
	NOTIFY_TLS_NONE,     /* plain text; only for a local relay */
};

/* One [notify "NAME"] section. Strings newly allocated; secrets wiped on free. */
struct notify_channel {
	char *name;
	int line; /* of the section header, for messages */
	int type_set;
	enum notify_type type;
	char *url;     /* secret: robot URLs carry their token */
	char *secret;  /* HMAC key / robot signing secret */
	char **events; /* glob patterns; "!GLOB" excludes; NULL: every event */
	size_t n_events;
	int timeout; /* seconds per attempt, default 10 */
	int retries; /* attempts after the first, default 3 */
	int dedup;   /* seconds within which identical events are sent once, default 60 */
	int queue;   /* pending messages at most, default 256 */
	enum notify_tls tls;
	char *user;
	char *password;
	char *from;
	char **to;
	size_t n_to;
	char *command;
	int key_line[16]; /* line of each key (see notify-config.c), 0 if unset */
};

/* Everything a notification says about one event. Strings newly allocated or NULL. */
struct notify_message {
	long long id; /* registry event id, 0 for a test */
	char *time;   /* UTC ISO-8601 "YYYY-MM-DDTHH:MM:SSZ" */
	char *cluster;
	char *node;
	char *type;
	char *severity;   /* "critical", "warning" or "info" */
	char *message;    /* the event's own line */
	char *summary;    /* one human line */
	char *master;     /* the registry's master now, "HOST:PORT" */
	char *old_master; /* for events about a master change */
	char *new_master;
	char *vip;     /* "A.B.C.D/N" */
	char *manager; /* host name of the manager host */
	int test;      /* sent by `mhaadm notify test` */
};

/* --- configuration (notify-config.c), used by config.c --- */

/* True if the section name (as inih gives it) is a channel: notify.NAME or notify "NAME". */
int notify_config_is_section(const char *section);
/*
 * Starts the channel of a section header at line. Returns 0, or -1 with
 * *cause (bad or duplicate name).
 */
int notify_config_section(
    struct notify_channel **list, size_t *n, const char *section, int line, char **cause);
/* Sets one key of a section's channel; takes value (wiped). 0, or -1 with *cause. */
int notify_config_set(struct notify_channel *list, size_t n, const char *section, const char *key,
    char *value, int line, char **cause);
/* Checks what needs the whole section (type, keys the type needs or forbids). 0 or -1. */
int notify_config_check(const struct notify_channel *list, size_t n, char **cause);
/* True if any channel holds a secret (url, secret, password): the file must be 0600. */
int notify_config_has_secret(const struct notify_channel *list, size_t n);
void notify_channels_free(struct notify_channel *list, size_t n);
const char *notify_type_name(enum notify_type t);

/* --- filters, messages and formats (notify-render.c) --- */

/*
 * Whether an event of this type goes to the channel: the last pattern
 * that matches decides ("!GLOB" excludes); none set means all. A channel
 * never gets the notify.* events about itself.
 */
int notify_channel_wants(const struct notify_channel *ch, const char *type, const char *message);

/* The severity of an event type from the table of event types: "critical", "warning", "info". */
const char *notify_severity(const char *type);

struct registry_event;

/*
 * Fills old_master / new_master (newly allocated, or NULL) from the event's
 * fields of those names; never from its message.
 */
void notify_masters_from_fields(
    const struct registry_event *ev, char **old_master, char **new_master);

/* Builds summary and severity from the other fields. */
void notify_message_finish(struct notify_message *m);
void notify_message_clear(struct notify_message *m);
void notify_message_copy(struct notify_message *dst, const struct notify_message *src);

/* The multi-line plain text of a message (e-mail body, robot text). Newly allocated. */
char *notify_render_text(const struct notify_message *m);
/* The generic webhook JSON body (docs/notifications.md), sent_at in it. Newly allocated. */
char *notify_render_json(const struct notify_message *m, time_t sent_at);
/* The body for a robot type (DingTalk, WeCom, Feishu, Slack); Feishu signs in the body. */
char *notify_render_robot(
    const struct notify_channel *ch, const struct notify_message *m, time_t now);
/* An RFC 5322 e-mail (headers and body, CRLF lines). Newly allocated. */
char *notify_render_mail(
    const struct notify_channel *ch, const struct notify_message *m, time_t now);

/* hex(HMAC-SHA256(key, data)), 64 characters. Newly allocated. */
char *notify_hmac_hex(const char *key, const char *data, size_t len);
/* base64(HMAC-SHA256(key, data)). Newly allocated. */
char *notify_hmac_base64(const char *key, const char *data, size_t len);
/* DingTalk's sign for timestamp_ms: base64(HMAC-SHA256(secret, "TS\nSECRET")). */
char *notify_dingtalk_sign(const char *secret, long long timestamp_ms);
/* Feishu's sign: base64(HMAC-SHA256(key "TS\nSECRET", empty message)). */
char *notify_feishu_sign(const char *secret, long long timestamp);
/* Percent-encodes everything but A-Z a-z 0-9 - . _ ~. Newly allocated. */
char *notify_urlencode(const char *s);

/* --- delivery (notify-send.c) --- */

/*
 * Delivers one message to one channel, once, within the channel's timeout.
 * Returns 0, or -1 with *cause (one line, no secret: never the URL's path
 * or query). abort_flag, when not NULL, is polled: nonzero aborts.
 */
int notify_send(const struct notify_channel *ch, const struct notify_message *m,
    const volatile int *abort_flag, char **cause);

/* Checks that path is a regular file owned by root and writable by nobody else. */
int notify_command_check(const char *path, char **cause);

/* --- per-channel bounded queue and repeat suppression (notify-queue.c) --- */

struct notify_queue {
	struct notify_message *items; /* ring of cap */
	size_t cap, head, len;
};

void notify_queue_init(struct notify_queue *q, size_t cap);
/* Appends a copy of m. Returns 0, or -1 when full (nothing changed). */
int notify_queue_push(struct notify_queue *q, const struct notify_message *m);
/* Moves the oldest message into *out (clear it later). Returns 0, or -1 when empty. */
int notify_queue_pop(struct notify_queue *q, struct notify_message *out);
/* Id of the oldest message, 0 when empty. */
long long notify_queue_head_id(const struct notify_queue *q);
void notify_queue_free(struct notify_queue *q);

#define NOTIFY_DEDUP_SLOTS 64

struct notify_dedup {
	unsigned long long key[NOTIFY_DEDUP_SLOTS];
	time_t at[NOTIFY_DEDUP_SLOTS];
	size_t next;
};

/*
 * Whether the event (cluster, node, type, message) was already let through
 * within window seconds before now; if not, remembers it. 0 window: never.
 */
int notify_dedup_seen(
    struct notify_dedup *d, const struct notify_message *m, int window, time_t now);

#endif
