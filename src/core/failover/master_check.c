/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asking a master's replicas, over MySQL, whether they still receive from it (both engines). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>

#include "master_check.h"
#include "xmalloc.h"

#define MASTER_CHECK_MAX 64

/* What one read of a replica's replication state gave. */
struct master_check_read {
	int ok;
	int is_replica;
	char *master_host;
	int master_port;
	int io_running;
	char *position;  /* "Master_Log_File:Read_Master_Log_Pos/Gtid_IO_Pos" */
	long long beats; /* Slave_received_heartbeats, -1 unknown */
	double period;   /* Slave_heartbeat_period in seconds, -1 unknown */
};

struct master_check_job {
	const struct master_check_node *node;
	const struct probe_credentials *cred;
	const char *master_host, *master_ip;
	int master_port;
	MYSQL *mysql;
	struct master_check_read r[2];
	char *error;
	char name[300];
	struct master_observation obs;
};

static void
master_check_read_clear(struct master_check_read *r)
{
	free(r->master_host);
	free(r->position);
	memset(r, 0, sizeof(*r));
}

static int
master_check_column(MYSQL_RES *res, const char *name)
{
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	unsigned int i, n = mysql_num_fields(res);

	for (i = 0; i < n; i++) {
		if (strcasecmp(f[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

static const char *
master_check_value(MYSQL_ROW row, int col)
{
	return col >= 0 && row[col] != NULL ? row[col] : "";
}

/*
 * One read: SHOW SLAVE STATUS (the default connection, as MHA knows only
 * that one) and MariaDB's heartbeat counters. 0, or -1 with j->error.
 */
static int
master_check_read(struct master_check_job *j, struct master_check_read *r)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;

	memset(r, 0, sizeof(*r));
	r->beats = -1;
	r->period = -1;
	if (mysql_query(j->mysql, "SHOW SLAVE STATUS") != 0 ||
	    (res = mysql_store_result(j->mysql)) == NULL)
		goto fail;
	if ((row = mysql_fetch_row(res)) != NULL) {
		r->is_replica = 1;
		r->master_host =
		    xstrdup(master_check_value(row, master_check_column(res, "Master_Host")));
		r->master_port =
		    atoi(master_check_value(row, master_check_column(res, "Master_Port")));
		r->io_running = strcasecmp(master_check_value(
		                               row, master_check_column(res, "Slave_IO_Running")),
		                    "Yes") == 0;
		r->position = xasprintf("%s:%s/%s",
		    master_check_value(row, master_check_column(res, "Master_Log_File")),
		    master_check_value(row, master_check_column(res, "Read_Master_Log_Pos")),
		    master_check_value(row, master_check_column(res, "Gtid_IO_Pos")));
	}
	mysql_free_result(res);
	res = NULL;
	/* MariaDB only; MySQL answers no rows and the counters stay unknown. */
	if (mysql_query(j->mysql, "SHOW GLOBAL STATUS WHERE Variable_name IN "
	                          "('Slave_received_heartbeats', 'Slave_heartbeat_period')") != 0 ||
	    (res = mysql_store_result(j->mysql)) == NULL)
		goto fail;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL || row[1] == NULL)
			continue;
		if (strcasecmp(row[0], "Slave_received_heartbeats") == 0)
			r->beats = atoll(row[1]);
		else if (strcasecmp(row[0], "Slave_heartbeat_period") == 0)
			r->period = atof(row[1]);
	}
	mysql_free_result(res);
	r->ok = 1;
	return 0;
fail:
	if (res != NULL)
		mysql_free_result(res);
	if (j->error == NULL)
		j->error = xasprintf("%s: %s", j->name, mysql_error(j->mysql));
	return -1;
}

static int
master_check_from_master(const struct master_check_job *j, const struct master_check_read *r)
{
	if (!r->is_replica || r->master_host == NULL || r->master_port != j->master_port)
		return 0;
	return (j->master_host != NULL && strcasecmp(r->master_host, j->master_host) == 0) ||
	       (j->master_ip != NULL && strcasecmp(r->master_host, j->master_ip) == 0);
}

static void *
master_check_first(void *arg)
{
	struct master_check_job *j = arg;

	mysql_thread_init();
	j->mysql = probe_open(j->node->host, j->node->port, j->cred, &j->error);
	if (j->mysql != NULL)
		master_check_read(j, &j->r[0]);
	mysql_thread_end();
	return NULL;
}

static void *
master_check_second(void *arg)
{
	struct master_check_job *j = arg;

	mysql_thread_init();
	if (j->mysql != NULL && j->r[0].ok)
		master_check_read(j, &j->r[1]);
	mysql_thread_end();
	return NULL;
}

/* Runs fn over every job at once; one slow replica costs its own timeout only. */
static void
master_check_parallel(struct master_check_job *jobs, size_t n, void *(*fn)(void *))
{
	pthread_t t[MASTER_CHECK_MAX];
	int started[MASTER_CHECK_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		started[i] = pthread_create(&t[i], NULL, fn, &jobs[i]) == 0;
	for (i = 0; i < n; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		else
			fn(&jobs[i]);
	}
}

enum master_verdict
master_check_replicas(const struct master_check_node *nodes, size_t n, const char *master_host,
    const char *master_ip, int master_port, const struct probe_credentials *cred, int sample_ms,
    char **reason)
{
	struct master_check_job *jobs;
	struct master_observation *obs;
	struct timespec ts;
	size_t i, live = 0;
	enum master_verdict v;

	if (n > MASTER_CHECK_MAX)
		n = MASTER_CHECK_MAX;
	jobs = xcalloc(n == 0 ? 1 : n, sizeof(*jobs));
	obs = xcalloc(n == 0 ? 1 : n, sizeof(*obs));
	for (i = 0; i < n; i++) {
		jobs[i].node = &nodes[i];
		jobs[i].cred = cred;
		jobs[i].master_host = master_host;
		jobs[i].master_ip = master_ip;
		jobs[i].master_port = master_port;
		snprintf(jobs[i].name, sizeof(jobs[i].name), "%s:%d", nodes[i].host, nodes[i].port);
	}
	if (mysql_library_init(0, NULL, NULL) != 0) {
		*reason = xstrdup("the MySQL client library failed to initialise");
		free(jobs);
		free(obs);
		return MASTER_UNKNOWN;
	}
	master_check_parallel(jobs, n, master_check_first);
	for (i = 0; i < n; i++)
		live += jobs[i].r[0].ok && jobs[i].r[0].io_running &&
		        master_check_from_master(&jobs[i], &jobs[i].r[0]);
	/* Only a running IO thread needs a second look: is anything still arriving? */
	if (live > 0) {
		ts.tv_sec = sample_ms / 1000;
		ts.tv_nsec = (long)(sample_ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		master_check_parallel(jobs, n, master_check_second);
	}
	for (i = 0; i < n; i++) {
		struct master_check_job *j = &jobs[i];
		const struct master_check_read *last = live > 0 ? &j->r[1] : &j->r[0];

		obs[i].node = j->name;
		obs[i].reachable = last->ok;
		obs[i].from_master = last->ok && master_check_from_master(j, last);
		obs[i].io_running = last->ok && last->io_running;
		if (live == 0 || !last->ok) {
			obs[i].moved = 0;
		} else if (strcmp(j->r[0].position != NULL ? j->r[0].position : "",
		               last->position != NULL ? last->position : "") != 0 ||
		           (last->beats >= 0 && j->r[0].beats >= 0 &&
		               last->beats > j->r[0].beats)) {
			obs[i].moved = 1;
		} else if (last->period > 0 && last->period * 1000.0 < (double)sample_ms) {
			/* A heartbeat was due within the sample: silence means the link is gone. */
			obs[i].moved = 0;
		} else {
			obs[i].moved = -1;
		}
		if (!last->ok && j->error != NULL)
			fprintf(stderr, "mhaadm: master check: replica %s\n", j->error);
	}
	v = master_verdict_decide(obs, n, reason);
	for (i = 0; i < n; i++) {
		if (jobs[i].mysql != NULL)
			mysql_close(jobs[i].mysql);
		master_check_read_clear(&jobs[i].r[0]);
		master_check_read_clear(&jobs[i].r[1]);
		free(jobs[i].error);
	}
	free(jobs);
	free(obs);
	return v;
}
