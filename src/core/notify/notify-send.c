/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Delivering one message to one channel, once: HTTP(S) and SMTP through libcurl, or a command. */
#include "notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "mhaadm-version.h"
#include "spawn.h"
#include "xmalloc.h"

/* How much of a response body is kept to explain a failure. */
#define NOTIFY_RESPONSE_MAX 4096

struct notify_buf {
	char *data;
	size_t len;
};

static size_t
notify_send_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct notify_buf *b = userdata;
	size_t n = size * nmemb, take = n;

	if (b->len + take > NOTIFY_RESPONSE_MAX)
		take = NOTIFY_RESPONSE_MAX - b->len;
	if (take > 0) {
		b->data = xreallocarray(b->data, b->len + take + 1, 1);
		memcpy(b->data + b->len, ptr, take);
		b->len += take;
		b->data[b->len] = '\0';
	}
	return n;
}

struct notify_upload {
	const char *data;
	size_t len, off;
};

static size_t
notify_send_read(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct notify_upload *u = userdata;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

static int
notify_send_progress(
    void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const volatile int *abort_flag = clientp;

	/* Written by the notifier's main thread while this sender thread polls: an atomic load. */
	return abort_flag != NULL && __atomic_load_n(abort_flag, __ATOMIC_ACQUIRE) ? 1 : 0;
}

/* The host part of a URL, for messages: never its path or query (robot tokens live there). */
static char *
notify_url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *out;

	if (u == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return xstrdup("(bad url)");
	}
	out = xstrdup(host);
	curl_free(host);
	curl_url_cleanup(u);
	return out;
}

/* What a robot answered, when it says it refused the message despite HTTP 200; NULL if fine. */
static char *
notify_robot_refusal(enum notify_type type, const char *body)
{
	struct json_object *o, *code = NULL, *msg = NULL;
	char *out = NULL;

	if (body == NULL || (o = json_tokener_parse(body)) == NULL)
		return NULL;
	/* DingTalk and WeCom: {"errcode":0,"errmsg":"ok"}; Feishu: {"code":0,"msg":"success"}. */
	if (type == NOTIFY_FEISHU) {
		json_object_object_get_ex(o, "code", &code);
		json_object_object_get_ex(o, "msg", &msg);
	} else {
		json_object_object_get_ex(o, "errcode", &code);
		json_object_object_get_ex(o, "errmsg", &msg);
	}
	if (code != NULL && json_object_get_int(code) != 0)
		out = xasprintf("the robot refused it: code %d: %.200s", json_object_get_int(code),
		    msg != NULL ? json_object_get_string(msg) : "");
	json_object_put(o);
	return out;
}

/* Common easy-handle settings; errbuf receives libcurl's reason. */
static CURL *
notify_curl(const struct notify_channel *ch, const char *url, const volatile int *abort_flag,
    char *errbuf, struct notify_buf *resp)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		abort();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)ch->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(ch->timeout < 10 ? ch->timeout : 10));
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, notify_send_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)abort_flag);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, notify_send_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mhaadm/" MHAADM_VERSION);
	errbuf[0] = '\0';
	return c;
}

static char *
notify_curl_error(
    const struct notify_channel *ch, CURLcode rc, const char *errbuf, const char *host)
{
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return xasprintf("%s: no answer within %d s", host, ch->timeout);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return xasprintf("%s: delivery abandoned (mhaadm is stopping)", host);
	return xasprintf("%s: %s", host, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
}

static int
notify_send_http(const struct notify_channel *ch, const struct notify_message *m,
    const volatile int *abort_flag, char **cause)
{
	struct curl_slist *headers = NULL;
	struct notify_buf resp = {NULL, 0};
	char errbuf[CURL_ERROR_SIZE], *body = NULL, *url = NULL, *host = NULL, *hdr, *sig, *enc;
	char *why;
	struct timeval tv;
	time_t now = time(NULL);
	long code = 0;
	CURLcode rc;
	CURL *c;
	int ret = -1;

	gettimeofday(&tv, NULL);
	host = notify_url_host(ch->url);
	if (ch->type == NOTIFY_WEBHOOK)
		body = notify_render_json(m, now);
	else
		body = notify_render_robot(ch, m, now);
	if (ch->type == NOTIFY_DINGTALK && ch->secret != NULL) {
		long long ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;

		sig = notify_dingtalk_sign(ch->secret, ms);
		enc = notify_urlencode(sig);
		url = xasprintf("%s%ctimestamp=%lld&sign=%s", ch->url,
		    strchr(ch->url, '?') != NULL ? '&' : '?', ms, enc);
		free(enc);
		free(sig);
	} else
		url = xstrdup(ch->url);

	headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
	if (ch->type == NOTIFY_WEBHOOK) {
		hdr = xasprintf("X-Mhaadm-Event: %s", m->type);
		headers = curl_slist_append(headers, hdr);
		free(hdr);
		hdr = xasprintf("X-Mhaadm-Timestamp: %lld", (long long)now);
		headers = curl_slist_append(headers, hdr);
		free(hdr);
		if (ch->secret != NULL) {
			sig = notify_hmac_hex(ch->secret, body, strlen(body));
			hdr = xasprintf("X-Mhaadm-Signature: sha256=%s", sig);
			headers = curl_slist_append(headers, hdr);
			free(hdr);
			free(sig);
		}
	}
	c = notify_curl(ch, url, abort_flag, errbuf, &resp);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		*cause = notify_curl_error(ch, rc, errbuf, host);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		*cause = xasprintf("%s answered HTTP %ld", host, code);
		goto out;
	}
	if (ch->type != NOTIFY_WEBHOOK && ch->type != NOTIFY_SLACK &&
	    (why = notify_robot_refusal(ch->type, resp.data)) != NULL) {
		*cause = xasprintf("%s: %s", host, why);
		free(why);
		goto out;
	}
	ret = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	free(resp.data);
	xfree_secret(url);
	free(body);
	free(host);
	return ret;
}

static int
notify_send_smtp(const struct notify_channel *ch, const struct notify_message *m,
    const volatile int *abort_flag, char **cause)
{
	struct curl_slist *rcpt = NULL;
	struct notify_buf resp = {NULL, 0};
	struct notify_upload up;
	char errbuf[CURL_ERROR_SIZE], *mail, *host, *addr;
	CURLcode rc;
	CURL *c;
	size_t i;
	int ret = -1;

	host = notify_url_host(ch->url);
	mail = notify_render_mail(ch, m, time(NULL));
	up.data = mail;
	up.len = strlen(mail);
	up.off = 0;
	for (i = 0; i < ch->n_to; i++) {
		addr = xasprintf("<%s>", ch->to[i]);
		rcpt = curl_slist_append(rcpt, addr);
		free(addr);
	}
	c = notify_curl(ch, ch->url, abort_flag, errbuf, &resp);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	addr = xasprintf("<%s>", ch->from);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, notify_send_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
	if (ch->tls == NOTIFY_TLS_NONE)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
	else
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (ch->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, ch->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, ch->password);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		*cause = notify_curl_error(ch, rc, errbuf, host);
	else
		ret = 0;
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	free(addr);
	free(resp.data);
	free(mail);
	free(host);
	return ret;
}

int
notify_command_check(const char *path, char **cause)
{
	struct stat st;
	char *copy, *dir;

	if (stat(path, &st) != 0) {
		*cause = xasprintf("command %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0 ||
	    (st.st_mode & 0111) == 0) {
		*cause = xasprintf(
		    "command %s must be an executable file owned by root and writable "
		    "by nobody else (mode %04o, uid %u); fix: chown root %s; chmod "
		    "go-w,u+x %s",
		    path, (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid, path, path);
		return -1;
	}
	/* Whoever can write the directory can replace the file. */
	copy = xstrdup(path);
	dir = dirname(copy);
	if (stat(dir, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) {
		*cause =
		    xasprintf("command %s: its directory %s must be owned by root and writable "
		              "by nobody else",
		        path, dir);
		free(copy);
		return -1;
	}
	free(copy);
	return 0;
}

static int
notify_send_command(const struct notify_channel *ch, const struct notify_message *m, char **cause)
{
	const char *names[] = {"MHAADM_EVENT_TYPE", "MHAADM_EVENT_TIME", "MHAADM_CLUSTER",
	    "MHAADM_NODE", "MHAADM_SEVERITY", "MHAADM_SUMMARY", "MHAADM_MESSAGE", "MHAADM_MASTER",
	    "MHAADM_OLD_MASTER", "MHAADM_NEW_MASTER", "MHAADM_VIP", "MHAADM_MANAGER"};
	const char *values[] = {m->type, m->time, m->cluster, m->node, m->severity, m->summary,
	    m->message, m->master, m->old_master, m->new_master, m->vip, m->manager};
	enum { NFIELDS = sizeof(names) / sizeof(names[0]) };
	char *env[NFIELDS + 8], *output = NULL, *nl, *json;
	const char *argv[4];
	size_t i, k = 0;
	int status = 0, ret = -1;

	if (notify_command_check(ch->command, cause) != 0)
		return -1;
	json = notify_render_json(m, time(NULL));
	env[k++] = xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env[k++] = xstrdup("LANG=C.UTF-8");
	env[k++] = xasprintf("MHAADM_CHANNEL=%s", ch->name);
	env[k++] = xasprintf("MHAADM_EVENT_ID=%lld", m->id);
	env[k++] = xasprintf("MHAADM_TEST=%d", m->test);
	env[k++] = xasprintf("MHAADM_JSON=%s", json);
	for (i = 0; i < NFIELDS; i++)
		env[k++] = xasprintf("%s=%s", names[i], values[i] != NULL ? values[i] : "");
	env[k] = NULL;
	argv[0] = ch->command;
	argv[1] = m->type;
	argv[2] = m->cluster != NULL ? m->cluster : "-";
	argv[3] = NULL;
	if (spawn_run(argv, (const char *const *)env, ch->timeout, &output, &status, cause) != 0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (output != NULL && (nl = strchr(output, '\n')) != NULL)
			*nl = '\0';
		*cause = xasprintf("command %s %s %d%s%.200s", ch->command,
		    WIFEXITED(status) ? "exited with" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    output != NULL && *output != '\0' ? ": " : "", output != NULL ? output : "");
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < k; i++)
		free(env[i]);
	free(json);
	free(output);
	return ret;
}

int
notify_send(const struct notify_channel *ch, const struct notify_message *m,
    const volatile int *abort_flag, char **cause)
{
	switch (ch->type) {
	case NOTIFY_SMTP:
		return notify_send_smtp(ch, m, abort_flag, cause);
	case NOTIFY_COMMAND:
		return notify_send_command(ch, m, cause);
	default:
		return notify_send_http(ch, m, abort_flag, cause);
	}
}
