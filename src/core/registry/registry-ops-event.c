/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry's domain operations (written once over db.h for both backends):
 * Events: recording one (with its structured fields as JSON) and reading them back.
 */
#include "registry-ops.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "registry.h"
#include "xmalloc.h"

static const char registry_ops_event_columns[] = "id, at, cluster, node, type, message, fields";

/* ev's fields as the text of a JSON object, newly allocated; NULL when it has none. */
static char *
registry_ops_fields_json(const struct registry_event *ev)
{
	struct json_object *o;
	char *s;
	size_t i;

	if (ev->n_fields == 0)
		return NULL;
	o = json_object_new_object();
	for (i = 0; i < ev->n_fields; i++) {
		if (ev->fields[i].key == NULL || ev->fields[i].value == NULL)
			continue;
		json_object_object_add(
		    o, ev->fields[i].key, json_object_new_string(ev->fields[i].value));
	}
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/*
 * Fills ev's fields from the JSON object text s (NULL: none). A value that
 * is not a string keeps its JSON text; text that is no JSON object (written
 * by hand) is kept whole as the field "raw", so nothing is lost.
 */
static void
registry_ops_fields_parse(struct registry_event *ev, const char *s)
{
	struct json_object *o;
	const char *v;

	ev->fields = NULL;
	ev->n_fields = 0;
	if (s == NULL || *s == '\0')
		return;
	o = json_tokener_parse(s);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		registry_event_field_set(ev, "raw", s);
		return;
	}
	json_object_object_foreach(o, key, val)
	{
		if (val == NULL)
			continue;
		if (json_object_is_type(val, json_type_string))
			v = json_object_get_string(val);
		else
			v = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
		registry_event_field_set(ev, key, v);
	}
	json_object_put(o);
}

/* Appends ev; its cluster defaults to cluster. NULL ev writes nothing. 0 or -1. */
int
registry_ops_event_insert(
    struct db *db, const struct registry_event *ev, const char *cluster, char **cause)
{
	char *fields;
	int r;

	if (ev == NULL)
		return 0;
	if (ev->type == NULL || *ev->type == '\0') {
		*cause = xstrdup("an event needs a type");
		return -1;
	}
	fields = registry_ops_fields_json(ev);
	r = db_exec(db, "cannot record the event", cause,
	    "INSERT INTO events (at, cluster, node, type, message, fields) "
	    "VALUES (COALESCE(?, CURRENT_TIMESTAMP), ?, ?, ?, ?, ?)",
	    "ssssss", ev->at, ev->cluster != NULL ? ev->cluster : cluster, ev->node, ev->type,
	    ev->message != NULL ? ev->message : "", fields);
	free(fields);
	return r == 0 ? 0 : -1;
}

int
registry_event_add(struct registry *reg, const struct registry_event *ev, char **cause)
{
	return registry_ops_event_insert(reg->db, ev, NULL, cause);
}

/*
 * Runs a query on registry_ops_event_columns (the rest of the statement in
 * tail, taking types: "sl" binds s and l1, "l" l1, "ll" l1 and l2) and reads
 * its rows into a newly allocated list. 0 or -1 with *cause set.
 */
static int
registry_ops_events_read(struct db *db, struct registry_event **out, size_t *n, char **cause,
    const char *tail, const char *types, const char *s, long long l1, long long l2)
{
	struct registry_event *list = NULL, *ev;
	struct db_rows *rows = NULL;
	size_t count = 0;
	char *sql;
	int r;

	*out = NULL;
	*n = 0;
	sql = xasprintf("SELECT %s FROM events %s", registry_ops_event_columns, tail);
	if (types[0] == 's')
		r = db_query(db, &rows, "cannot read the events", cause, sql, types, s, l1);
	else
		r = db_query(db, &rows, "cannot read the events", cause, sql, types, l1, l2);
	free(sql);
	while (r == 0 && (r = db_next(rows, cause)) == 1) {
		r = 0;
		list = xreallocarray(list, count + 1, sizeof(*list));
		ev = &list[count++];
		memset(ev, 0, sizeof(*ev));
		ev->id = db_opt(rows, 0);
		ev->at = db_text(rows, 1);
		ev->cluster = db_text(rows, 2);
		ev->node = db_text(rows, 3);
		ev->type = db_text(rows, 4);
		ev->message = db_text(rows, 5);
		registry_ops_fields_parse(ev, db_peek(rows, 6));
	}
	db_rows_free(rows);
	if (r != 0) {
		registry_event_list_free(list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

/* A LIMIT for limit, where 0 means none. */
static long long
registry_ops_limit(size_t limit)
{
	return (limit == 0 || limit > LLONG_MAX) ? LLONG_MAX : (long long)limit;
}

int
registry_event_list(struct registry *reg, const char *cluster, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	/* Two statements, so that SQLite uses the (cluster, id) index for one cluster. */
	if (cluster == NULL)
		return registry_ops_events_read(reg->db, out, n, cause, "ORDER BY id DESC LIMIT ?",
		    "l", NULL, registry_ops_limit(limit), 0);
	return registry_ops_events_read(reg->db, out, n, cause,
	    "WHERE cluster = ? ORDER BY id DESC LIMIT ?", "sl", cluster, registry_ops_limit(limit),
	    0);
}

int
registry_event_since(struct registry *reg, long long after_id, size_t limit,
    struct registry_event **out, size_t *n, char **cause)
{
	return registry_ops_events_read(reg->db, out, n, cause, "WHERE id > ? ORDER BY id LIMIT ?",
	    "ll", NULL, after_id, registry_ops_limit(limit));
}
