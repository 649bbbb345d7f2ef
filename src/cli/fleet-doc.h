/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fleet document (list --json, the status pass snapshot, the HTTP API), built once. */
#ifndef MHAADM_FLEET_DOC_H
#define MHAADM_FLEET_DOC_H

#include <json-c/json.h>
#include <stddef.h>
#include <time.h>

#include "engine.h"

struct config;
struct registry;
struct registry_cluster;
struct registry_event;
struct status_cluster;

/* What list shows beyond the registry row: the engine and what the history says. */
struct fleet_doc_live {
	const struct engine_ops *ops; /* the cluster's engine */
	struct engine_status engine;
	char *last_failover;    /* time of the newest failover.completed event, or NULL */
	char *notify_failed_at; /* newest notify.failed event of the cluster, or NULL */
	char *notify_failed_msg;
	char *problem; /* "TYPE: MESSAGE" of the newest unresolved problem event, or NULL */
	/* status_failover_ready, set by the caller after status_judge: 1 yes, 0 no, -1 cannot tell
	 */
	int ready;
	char *ready_why;
	struct json_object *problem_fields; /* that event's fields, or NULL */
	/*
	 * Manager HA (a MySQL registry): the manager holding the cluster's
	 * lease, or NULL; at_risk: the cluster should be monitored and no
	 * manager holds a valid lease (its owner is gone, not yet taken over).
	 */
	char *manager;
	int at_risk;
};

/*
 * Fills *lv for cluster c: the engine's status and the newest problem, last
 * failover and failed notification from c's last 200 events (a registry that
 * cannot be read leaves those NULL). Clear with fleet_doc_live_clear.
 */
void fleet_doc_live_fill(const struct config *cfg, const char *config_path, struct registry *reg,
    const struct registry_cluster *c, struct fleet_doc_live *lv);
void fleet_doc_live_clear(struct fleet_doc_live *lv);

/* One cluster's object of the fleet document; sc NULL: the registry's view only. New reference. */
json_object *fleet_doc_cluster(const struct registry_cluster *c, const struct fleet_doc_live *lv,
    const struct status_cluster *sc);

/*
 * The whole document: {generated_at, probed, healthy, clusters: [...]} for n
 * clusters (lv and sc, when not NULL, n entries each), now the time of the
 * probe. New reference.
 */
json_object *fleet_doc_fleet(struct registry_cluster **list, const struct fleet_doc_live *lv,
    const struct status_cluster *sc, size_t n, time_t now);

/* One event as history --json and the HTTP API show it. New reference. */
json_object *fleet_doc_event(const struct registry_event *ev);
/* ev's fields as a new JSON object ({} when it has none). */
json_object *fleet_doc_event_fields(const struct registry_event *ev);

#endif
