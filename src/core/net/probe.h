/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Probing MySQL/MariaDB servers with libmariadb: identity, role and replication state. */
#ifndef MHAADM_PROBE_H
#define MHAADM_PROBE_H

#include <stddef.h>

struct probe_credentials {
	const char *user;
	const char *password;
	int connect_timeout; /* seconds */
	int read_timeout;    /* seconds */
};

/* Replication peers seen on a server (from SHOW SLAVE HOSTS and Binlog Dump threads). */
struct probe_peer {
	char *host;
	int port;
};

/* Semi-synchronous replication as the server reports it (the isolation guard, guard.h). */
struct probe_semisync {
	int known;          /* 1 when the server answered; 0: no semi-sync here (all else 0) */
	int master_enabled; /* @@rpl_semi_sync_master_enabled */
	int slave_enabled;  /* @@rpl_semi_sync_slave_enabled */
	int after_sync;     /* @@rpl_semi_sync_master_wait_point = AFTER_SYNC */
	unsigned long long timeout_ms; /* @@rpl_semi_sync_master_timeout */
	int master_on;      /* Rpl_semi_sync_master_status: OFF once it fell back to async */
	int slave_on;       /* Rpl_semi_sync_slave_status: the IO thread acknowledges */
	long clients;       /* Rpl_semi_sync_master_clients: replicas that acknowledge */
	long wait_sessions; /* Rpl_semi_sync_master_wait_sessions: commits waiting for an ack */
};

struct probe_result {
	char *host; /* as given; owned */
	int port;

	int ok;      /* 1 when connected and every query answered */
	char *error; /* when !ok: why, e.g. "Access denied for user 'mha'@'10.77.0.1'" */

	char *version;           /* SELECT @@version */
	unsigned long server_id; /* @@server_id */
	int read_only;           /* @@read_only */
	int log_bin;             /* @@log_bin */
	char *binlog_dir;        /* dirname(@@log_bin_basename), NULL when unknown */
	char *gtid_binlog_state; /* MariaDB's @@gtid_binlog_state ("" none), NULL on MySQL */

	int is_replica;                 /* SHOW SLAVE STATUS returned a row */
	char *master_host;              /* Master_Host */
	int master_port;                /* Master_Port */
	unsigned long master_server_id; /* Master_Server_Id, 0 when unknown */
	int io_running;                 /* Slave_IO_Running == Yes */
	int sql_running;                /* Slave_SQL_Running == Yes */
	long long lag;                  /* Seconds_Behind_Master, -1 when NULL */
	int sql_delay;                  /* SQL_Delay (MASTER_DELAY), 0 when none */
	long long
	    relay_behind; /* bytes received but not applied (Read_ - Exec_Master_Log_Pos in
	                     one binlog file), -1 when unknown (files differ, not a replica) */
	int using_gtid;   /* Using_Gtid != No */
	char *last_error; /* Last_IO_Error or Last_SQL_Error, NULL when none */

	struct probe_peer *peers; /* replicas connected to this server */
	size_t n_peers;

	struct probe_semisync semisync;
};

/*
 * Connects to host:port with the credentials (bounded by the timeouts) and
 * fills *out, which must be zeroed by the caller. Returns 0 when out->ok,
 * -1 otherwise (out->error says why). out->host is a copy of host.
 */
int probe_node(
    const char *host, int port, const struct probe_credentials *cred, struct probe_result *out);

/*
 * Probes n servers in parallel (one thread each, at most 32 at a time);
 * results[i] must have host and port set and everything else zeroed.
 * One dead host never delays the others beyond its own timeout. Returns
 * the number of servers that failed.
 */
size_t probe_many(struct probe_result *results, size_t n, const struct probe_credentials *cred);

/*
 * Runs each statement of the NULL-terminated list on host:port, in order,
 * stopping at the first error. Statements must be fixed text (no values
 * from outside). Returns 0, or -1 with *cause (password redacted).
 */
int probe_exec(const char *host, int port, const struct probe_credentials *cred,
    const char *const *statements, char **cause);

/*
 * An open connection to host:port made the way every probe connects (TCP,
 * the credentials' timeouts, no LOCAL INFILE), for callers that read more
 * than once over it; close with mysql_close. NULL with *cause (password
 * redacted) on failure. Returns a MYSQL *.
 */
struct st_mysql *probe_open(
    const char *host, int port, const struct probe_credentials *cred, char **cause);

/*
 * Kills (KILL CONNECTION) every client session on host:port but its own,
 * the server's own threads and the replicas' binlog dump threads: how a
 * demoted master stops clients that are connected already, including
 * commits waiting for a semi-sync acknowledgement (their clients get an
 * error, never an OK). Sets *killed to the number killed. Returns 0, or -1
 * with *cause (password redacted).
 */
int probe_kill_clients(
    const char *host, int port, const struct probe_credentials *cred, long *killed, char **cause);

/* Frees what a probe_result owns (not the struct itself). */
void probe_result_clear(struct probe_result *r);

#endif
