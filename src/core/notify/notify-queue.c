/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A channel's bounded queue of pending messages, and suppression of repeats. */
#include "notify.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void
notify_queue_init(struct notify_queue *q, size_t cap)
{
	q->items = xcalloc(cap, sizeof(*q->items));
	q->cap = cap;
	q->head = 0;
	q->len = 0;
}

int
notify_queue_push(struct notify_queue *q, const struct notify_message *m)
{
	if (q->len == q->cap)
		return -1;
	notify_message_copy(&q->items[(q->head + q->len) % q->cap], m);
	q->len++;
	return 0;
}

int
notify_queue_pop(struct notify_queue *q, struct notify_message *out)
{
	if (q->len == 0)
		return -1;
	*out = q->items[q->head];
	memset(&q->items[q->head], 0, sizeof(q->items[q->head]));
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return 0;
}

long long
notify_queue_head_id(const struct notify_queue *q)
{
	return q->len == 0 ? 0 : q->items[q->head].id;
}

void
notify_queue_free(struct notify_queue *q)
{
	struct notify_message m;

	while (notify_queue_pop(q, &m) == 0)
		notify_message_clear(&m);
	free(q->items);
	q->items = NULL;
	q->cap = 0;
}

/* FNV-1a over the fields that make two events "the same", each with its terminator. */
static unsigned long long
notify_dedup_key(const struct notify_message *m)
{
	const char *fields[] = {m->cluster, m->node, m->type, m->message};
	unsigned long long h = 1469598103934665603ULL;
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		for (p = fields[i] != NULL ? fields[i] : "";; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
			if (*p == '\0')
				break;
		}
	}
	return h;
}

int
notify_dedup_seen(struct notify_dedup *d, const struct notify_message *m, int window, time_t now)
{
	unsigned long long key;
	size_t i;

	if (window <= 0)
		return 0;
	key = notify_dedup_key(m);
	for (i = 0; i < NOTIFY_DEDUP_SLOTS; i++) {
		if (d->at[i] != 0 && d->key[i] == key && now - d->at[i] < window)
			return 1;
	}
	d->key[d->next] = key;
	d->at[d->next] = now;
	d->next = (d->next + 1) % NOTIFY_DEDUP_SLOTS;
	return 0;
}
