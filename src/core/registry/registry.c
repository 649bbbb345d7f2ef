/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry front end: picks the backend, checks the schema, names the enums, frees results. */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "xmalloc.h"

/* Indexed by the enums; the order must match registry.h. */
static const char *const registry_state_names[] = {
    "pending",
    "registered",
    "ready",
    "monitoring",
    "failing-over",
    "stopped",
    "unprotected",
};
static const char *const registry_desired_names[] = {"stopped", "monitored"};
static const char *const registry_role_names[] = {"master", "replica", "failed", "unknown"};

#define REGISTRY_NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Looks s up in names; returns its index or -1. */
static int
registry_lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0)
			return (int)i;
	}
	return -1;
}

const char *
registry_state_name(enum registry_state s)
{
	if ((size_t)s >= REGISTRY_NITEMS(registry_state_names))
		return "unknown";
	return registry_state_names[s];
}

int
registry_state_parse(const char *s, enum registry_state *out)
{
	int i = registry_lookup(registry_state_names, REGISTRY_NITEMS(registry_state_names), s);

	if (i == -1)
		return -1;
	*out = (enum registry_state)i;
	return 0;
}

const char *
registry_desired_name(enum registry_desired d)
{
	if ((size_t)d >= REGISTRY_NITEMS(registry_desired_names))
		return "unknown";
	return registry_desired_names[d];
}

int
registry_desired_parse(const char *s, enum registry_desired *out)
{
	int i = registry_lookup(registry_desired_names, REGISTRY_NITEMS(registry_desired_names), s);

	if (i == -1)
		return -1;
	*out = (enum registry_desired)i;
	return 0;
}

const char *
registry_role_name(enum registry_role r)
{
	if ((size_t)r >= REGISTRY_NITEMS(registry_role_names))
		return "unknown";
	return registry_role_names[r];
}

int
registry_role_parse(const char *s, enum registry_role *out)
{
	int i = registry_lookup(registry_role_names, REGISTRY_NITEMS(registry_role_names), s);

	if (i == -1)
		return -1;
	*out = (enum registry_role)i;
	return 0;
}

/* How messages name the registry cfg points at; newly allocated. */
static char *
registry_describe(const struct config *cfg)
{
	if (cfg->registry == CONFIG_REGISTRY_MYSQL) {
		return xasprintf("database '%s' at %s:%d",
		    cfg->mysql_database != NULL ? cfg->mysql_database : "mhaadm",
		    cfg->mysql_host != NULL ? cfg->mysql_host : "?",
		    cfg->mysql_port > 0 ? cfg->mysql_port : 3306);
	}
	return xstrdup(cfg->registry_path != NULL ? cfg->registry_path : "?");
}

/*
 * Opens a registry on ops and checks its schema: an error for something that
 * is not a registry, for a schema made by a newer mhaadm and, when must_exist
 * is set, for a registry without a schema. Returns the registry or NULL with
 * *cause set.
 */
static struct registry *
registry_open_ops(const struct db_ops *ops, const struct config *cfg, int must_exist, char **cause)
{
	struct registry *reg = NULL;
	char *what = NULL;
	int version = 0;

	reg = xcalloc(1, sizeof(*reg));
	if (db_open(ops, cfg, &reg->db, cause) != 0) {
		free(reg);
		return NULL;
	}
	if (registry_schema_version(reg, &version, cause) != 0)
		goto fail;
	what = registry_describe(cfg);
	if (version > REGISTRY_SCHEMA_VERSION) {
		*cause = xasprintf("registry %s has schema version %d and was made by a newer "
		                   "mhaadm (this one knows version %d); upgrade mhaadm",
		    what, version, REGISTRY_SCHEMA_VERSION);
		goto fail;
	}
	if (must_exist && version == 0) {
		*cause = xasprintf("registry %s has no schema; run 'mhaadm init' first", what);
		goto fail;
	}
	log_debug("registry: opened %s registry %s (schema version %d)", ops->name, what, version);
	free(what);
	return reg;

fail:
	free(what);
	registry_close(reg);
	return NULL;
}

struct registry *
registry_open(const struct config *cfg, int must_exist, char **cause)
{
	const struct db_ops *ops;
	struct stat sb;

	switch (cfg->registry) {
	case CONFIG_REGISTRY_SQLITE:
		ops = &db_sqlite_ops;
		if (cfg->registry_path == NULL || *cfg->registry_path == '\0') {
			*cause = xstrdup("no registry_path configured for the sqlite registry");
			return NULL;
		}
		/*
		 * Opening would create the file; a command that needs a
		 * registry should not leave an empty one behind.
		 */
		if (must_exist && strcmp(cfg->registry_path, ":memory:") != 0 &&
		    stat(cfg->registry_path, &sb) != 0 && errno == ENOENT) {
			*cause = xasprintf("registry %s does not exist; run 'mhaadm init' first",
			    cfg->registry_path);
			return NULL;
		}
		break;
	case CONFIG_REGISTRY_MYSQL:
		ops = &db_mysql_ops;
		break;
	default:
		*cause = xasprintf("unknown registry backend %d", (int)cfg->registry);
		return NULL;
	}
	return registry_open_ops(ops, cfg, must_exist, cause);
}

struct registry *
registry_open_sqlite(const char *path, char **cause)
{
	struct config cfg;
	struct registry *reg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.registry = CONFIG_REGISTRY_SQLITE;
	cfg.registry_path = xstrdup(path);
	reg = registry_open_ops(&db_sqlite_ops, &cfg, 0, cause);
	free(cfg.registry_path);
	return reg;
}

void
registry_close(struct registry *reg)
{
	if (reg == NULL)
		return;
	db_close(reg->db);
	free(reg);
}

const char *
registry_backend_name(const struct registry *reg)
{
	return reg->db->ops->name;
}

void
registry_cluster_free(struct registry_cluster *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_nodes; i++) {
		free(c->nodes[i].host);
		free(c->nodes[i].binlog_dir);
		free(c->nodes[i].version);
	}
	free(c->nodes);
	free(c->name);
	free(c->vip);
	free(c->iface);
	free(c->engine);
	free(c->created_at);
	free(c->updated_at);
	free(c);
}

void
registry_cluster_list_free(struct registry_cluster **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		registry_cluster_free(list[i]);
	free(list);
}

void
registry_event_list_free(struct registry_event *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(list[i].at);
		free(list[i].cluster);
		free(list[i].node);
		free(list[i].type);
		free(list[i].message);
		registry_event_fields_free(&list[i]);
	}
	free(list);
}

void
registry_event_field_set(struct registry_event *ev, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < ev->n_fields; i++) {
		if (strcmp(ev->fields[i].key, key) == 0)
			break;
	}
	if (i == ev->n_fields) {
		if (value == NULL)
			return;
		ev->fields = xreallocarray(ev->fields, ev->n_fields + 1, sizeof(*ev->fields));
		ev->fields[ev->n_fields].key = xstrdup(key);
		ev->fields[ev->n_fields].value = NULL;
		ev->n_fields++;
	}
	free(ev->fields[i].value);
	if (value != NULL) {
		ev->fields[i].value = xstrdup(value);
		return;
	}
	free(ev->fields[i].key);
	memmove(&ev->fields[i], &ev->fields[i + 1], (ev->n_fields - i - 1) * sizeof(*ev->fields));
	ev->n_fields--;
}

const char *
registry_event_field(const struct registry_event *ev, const char *key)
{
	size_t i;

	for (i = 0; i < ev->n_fields; i++) {
		if (strcmp(ev->fields[i].key, key) == 0)
			return ev->fields[i].value;
	}
	return NULL;
}

void
registry_event_fields_free(struct registry_event *ev)
{
	size_t i;

	for (i = 0; i < ev->n_fields; i++) {
		free(ev->fields[i].key);
		free(ev->fields[i].value);
	}
	free(ev->fields);
	ev->fields = NULL;
	ev->n_fields = 0;
}

const char *
registry_cluster_master(const struct registry_cluster *c, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < c->n_nodes; i++) {
		if (c->nodes[i].role == REGISTRY_ROLE_MASTER) {
			snprintf(buf, len, "%s:%d", c->nodes[i].host, c->nodes[i].port);
			return buf;
		}
	}
	snprintf(buf, len, "none");
	return buf;
}
