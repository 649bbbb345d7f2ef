/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notification messages: filters, fields, the formats of each service, signatures. */
#include "notify.h"

#include <curl/curl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "registry.h"
#include "xmalloc.h"

/* Longest event message quoted in a summary line; the full one is in the body. */
#define NOTIFY_SUMMARY_MAX 200

int
notify_channel_wants(const struct notify_channel *ch, const char *type, const char *message)
{
	const char *pat;
	size_t i, len;
	int want = ch->n_events == 0;

	/*
	 * A channel never hears about its own failures: the other channels
	 * carry them. notify.* messages start "channel 'NAME' ...".
	 */
	if (strncmp(type, "notify.", 7) == 0 && message != NULL &&
	    strncmp(message, "channel '", 9) == 0) {
		len = strlen(ch->name);
		if (strncmp(message + 9, ch->name, len) == 0 && message[9 + len] == '\'')
			return 0;
	}
	for (i = 0; i < ch->n_events; i++) {
		pat = ch->events[i];
		if (*pat == '!') {
			if (fnmatch(pat + 1, type, 0) == 0)
				want = 0;
		} else if (fnmatch(pat, type, 0) == 0)
			want = 1;
	}
	return want;
}

const char *
notify_severity(const char *type)
{
	return event_severity_name(event_type_severity(type));
}

void
notify_masters_from_fields(const struct registry_event *ev, char **old_master, char **new_master)
{
	const char *o = registry_event_field(ev, "old_master");
	const char *n = registry_event_field(ev, "new_master");

	*old_master = o != NULL ? xstrdup(o) : NULL;
	*new_master = n != NULL ? xstrdup(n) : NULL;
}

/* Copies s with CR, LF and other control characters turned into blanks. */
static char *
notify_one_line(const char *s, size_t max)
{
	char *out = xstrndup(s, max), *p, *cut;

	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	if (strlen(s) > max) {
		cut = xasprintf("%s...", out);
		free(out);
		out = cut;
	}
	return out;
}

void
notify_message_finish(struct notify_message *m)
{
	char *msg;

	free(m->severity);
	m->severity = xstrdup(notify_severity(m->type));
	free(m->summary);
	msg = notify_one_line(m->message != NULL ? m->message : "", NOTIFY_SUMMARY_MAX);
	m->summary = xasprintf("[mhaadm]%s %s %s: %s", m->test ? " TEST" : "",
	    m->cluster != NULL ? m->cluster : "-", m->type, msg);
	free(msg);
}

void
notify_message_clear(struct notify_message *m)
{
	free(m->time);
	free(m->cluster);
	free(m->node);
	free(m->type);
	free(m->severity);
	free(m->message);
	free(m->summary);
	free(m->master);
	free(m->old_master);
	free(m->new_master);
	free(m->vip);
	free(m->manager);
	memset(m, 0, sizeof(*m));
}

static char *
notify_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
notify_message_copy(struct notify_message *dst, const struct notify_message *src)
{
	dst->id = src->id;
	dst->test = src->test;
	dst->time = notify_dup(src->time);
	dst->cluster = notify_dup(src->cluster);
	dst->node = notify_dup(src->node);
	dst->type = notify_dup(src->type);
	dst->severity = notify_dup(src->severity);
	dst->message = notify_dup(src->message);
	dst->summary = notify_dup(src->summary);
	dst->master = notify_dup(src->master);
	dst->old_master = notify_dup(src->old_master);
	dst->new_master = notify_dup(src->new_master);
	dst->vip = notify_dup(src->vip);
	dst->manager = notify_dup(src->manager);
}

char *
notify_render_text(const struct notify_message *m)
{
	const struct {
		const char *label, *value;
	} rows[] = {
	    {"cluster", m->cluster},
	    {"event", m->type},
	    {"severity", m->severity},
	    {"time", m->time},
	    {"node", m->node},
	    {"old master", m->old_master},
	    {"new master", m->new_master},
	    {"master now", m->master},
	    {"VIP", m->vip},
	    {"manager", m->manager},
	    {"message", m->message},
	};
	char *out = notify_one_line(m->summary != NULL ? m->summary : "", 4096), *tmp, *v;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].value == NULL)
			continue;
		v = notify_one_line(rows[i].value, 4096);
		tmp = xasprintf("%s\n%-10s  %s", out, rows[i].label, v);
		free(v);
		free(out);
		out = tmp;
	}
	return out;
}

static void
notify_json_str(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value != NULL ? json_object_new_string(value) : NULL);
}

/* The JSON text of o without escaped slashes; frees o. */
static char *
notify_json_take(struct json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

char *
notify_render_json(const struct notify_message *m, time_t sent_at)
{
	struct json_object *o = json_object_new_object();

	notify_json_str(o, "schema", "mhaadm.notify/1");
	json_object_object_add(o, "id", json_object_new_int64(m->id));
	notify_json_str(o, "time", m->time);
	json_object_object_add(o, "sent_at", json_object_new_int64((int64_t)sent_at));
	notify_json_str(o, "cluster", m->cluster);
	notify_json_str(o, "node", m->node);
	notify_json_str(o, "type", m->type);
	notify_json_str(o, "severity", m->severity);
	notify_json_str(o, "summary", m->summary);
	notify_json_str(o, "message", m->message);
	notify_json_str(o, "master", m->master);
	notify_json_str(o, "old_master", m->old_master);
	notify_json_str(o, "new_master", m->new_master);
	notify_json_str(o, "vip", m->vip);
	notify_json_str(o, "manager", m->manager);
	json_object_object_add(o, "test", json_object_new_boolean(m->test));
	return notify_json_take(o);
}

char *
notify_render_robot(const struct notify_channel *ch, const struct notify_message *m, time_t now)
{
	struct json_object *o = json_object_new_object(), *inner = json_object_new_object();
	char *text = notify_render_text(m), *sign, ts[32];

	switch (ch->type) {
	case NOTIFY_DINGTALK:
	case NOTIFY_WECOM:
		/* Both: {"msgtype":"text","text":{"content":...}}; DingTalk signs in the URL. */
		notify_json_str(o, "msgtype", "text");
		notify_json_str(inner, "content", text);
		json_object_object_add(o, "text", inner);
		break;
	case NOTIFY_FEISHU:
		if (ch->secret != NULL) {
			snprintf(ts, sizeof(ts), "%lld", (long long)now);
			sign = notify_feishu_sign(ch->secret, (long long)now);
			notify_json_str(o, "timestamp", ts);
			notify_json_str(o, "sign", sign);
			free(sign);
		}
		notify_json_str(o, "msg_type", "text");
		notify_json_str(inner, "text", text);
		json_object_object_add(o, "content", inner);
		break;
	default: /* Slack */
		json_object_put(inner);
		notify_json_str(o, "text", text);
		break;
	}
	free(text);
	return notify_json_take(o);
}

/* A header value: one line, RFC 2047 base64 when not plain ASCII. */
static char *
notify_mail_header(const char *s)
{
	char *line = notify_one_line(s, 900), *out;
	unsigned char *b64;
	size_t len = strlen(line), i;
	int plain = 1;

	for (i = 0; i < len; i++)
		plain &= (unsigned char)line[i] < 0x80;
	if (plain)
		return line;
	b64 = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock(b64, (const unsigned char *)line, (int)len);
	out = xasprintf("=?UTF-8?B?%s?=", (char *)b64);
	free(b64);
	free(line);
	return out;
}

char *
notify_render_mail(const struct notify_channel *ch, const struct notify_message *m, time_t now)
{
	char date[64], *to = NULL, *tmp, *subject, *text, *body = NULL, *out, *p;
	const char *q;
	struct tm tm;
	size_t i, n;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	for (i = 0; i < ch->n_to; i++) {
		tmp = to == NULL ? xstrdup(ch->to[i]) : xasprintf("%s, %s", to, ch->to[i]);
		free(to);
		to = tmp;
	}
	subject = notify_mail_header(m->summary != NULL ? m->summary : "mhaadm");
	text = notify_render_text(m);
	/* Bare LF to CRLF, as SMTP wants. */
	for (q = text, n = 0; *q != '\0'; q++)
		n += *q == '\n';
	body = xmalloc(strlen(text) + n + 1);
	for (q = text, p = body; *q != '\0'; q++) {
		if (*q == '\n')
			*p++ = '\r';
		*p++ = *q;
	}
	*p = '\0';
	out = xasprintf("Date: %s\r\nFrom: mhaadm <%s>\r\nTo: %s\r\nSubject: %s\r\n"
	                "Message-ID: <mhaadm.%lld.%lld.%s@%s>\r\nMIME-Version: 1.0\r\n"
	                "Content-Type: text/plain; charset=utf-8\r\n"
	                "Content-Transfer-Encoding: 8bit\r\nX-Mhaadm-Event: %s\r\n"
	                "X-Mhaadm-Cluster: %s\r\n\r\n%s\r\n",
	    date, ch->from, to, subject, m->id, (long long)now, ch->name,
	    m->manager != NULL ? m->manager : "localhost", m->type,
	    m->cluster != NULL ? m->cluster : "-", body);
	free(body);
	free(text);
	free(subject);
	free(to);
	return out;
}

static void
notify_hmac(const char *key, size_t key_len, const char *data, size_t len,
    unsigned char mac[EVP_MAX_MD_SIZE], unsigned int *mac_len)
{
	if (HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, len, mac, mac_len) ==
	    NULL)
		abort();
}

char *
notify_hmac_hex(const char *key, const char *data, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len, i;
	char *out;

	notify_hmac(key, strlen(key), data, len, mac, &mac_len);
	out = xmalloc(mac_len * 2 + 1);
	for (i = 0; i < mac_len; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return out;
}

static char *
notify_hmac_b64(const char *key, size_t key_len, const char *data, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE], b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mac_len;

	notify_hmac(key, key_len, data, len, mac, &mac_len);
	EVP_EncodeBlock(b64, mac, (int)mac_len);
	return xstrdup((char *)b64);
}

char *
notify_hmac_base64(const char *key, const char *data, size_t len)
{
	return notify_hmac_b64(key, strlen(key), data, len);
}

char *
notify_dingtalk_sign(const char *secret, long long timestamp_ms)
{
	char *data = xasprintf("%lld\n%s", timestamp_ms, secret), *out;

	out = notify_hmac_b64(secret, strlen(secret), data, strlen(data));
	xfree_secret(data);
	return out;
}

char *
notify_feishu_sign(const char *secret, long long timestamp)
{
	/* Feishu keys the HMAC with "timestamp\nsecret" and signs an empty message. */
	char *key = xasprintf("%lld\n%s", timestamp, secret), *out;

	out = notify_hmac_b64(key, strlen(key), "", 0);
	xfree_secret(key);
	return out;
}

char *
notify_urlencode(const char *s)
{
	char *esc = curl_easy_escape(NULL, s, 0), *out;

	if (esc == NULL)
		abort();
	out = xstrdup(esc);
	curl_free(esc);
	return out;
}
