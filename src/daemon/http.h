/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's HTTP listener: /metrics, the read-only JSON API and the fleet page. */
#ifndef MHAADM_HTTP_H
#define MHAADM_HTTP_H

#include <stddef.h>

struct config;
struct metrics_daemon;

struct http_server;

/*
 * Starts serving cfg->http_listen from threads of its own (libmicrohttpd's
 * pool and one collector that refreshes what is served every second).
 * Call with the signals the daemon reads already blocked: the threads
 * inherit the mask. Returns the server, or NULL with *cause (bad token
 * file or TLS files, address in use). cfg must outlive the server.
 */
struct http_server *http_start(const struct config *cfg, char **cause);

/* Hands the server a copy of the supervisor's own state (once a tick). Never blocks on I/O. */
void http_publish(struct http_server *srv, const struct metrics_daemon *d);

/* Stops the listener and its threads and frees everything; NULL is fine. */
void http_stop(struct http_server *srv);

/* One file of the fleet page, embedded in the binary (http-assets.c, generated). */
struct http_asset {
	const char *path; /* "/", "/static/app.js" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

extern const struct http_asset http_assets[];
extern const size_t http_n_assets;

#endif
