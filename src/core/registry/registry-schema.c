/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry's DDL per SQL dialect: what takes a registry from each version to the next. */
#include "registry-schema.h"

#include <stddef.h>

/*
 * SQLite. Every statement is idempotent and init runs them under the write
 * lock (BEGIN IMMEDIATE), so two concurrent inits cannot trip on each other.
 * Host names compare case-blind (as DNS does); everything else exactly.
 */
static const char *const registry_schema_sqlite_v1[] = {
    "CREATE TABLE IF NOT EXISTS schema_info ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  version INTEGER NOT NULL"
    ")",
    "CREATE TABLE IF NOT EXISTS clusters ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE CHECK (name <> ''),"
    "  vip TEXT NOT NULL UNIQUE CHECK (vip <> ''),"
    "  vip_prefix INTEGER NOT NULL DEFAULT 24 CHECK (vip_prefix BETWEEN 1 AND 32),"
    "  iface TEXT NOT NULL DEFAULT 'eth0' CHECK (iface <> ''),"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'registered',"
    "    'ready', 'monitoring', 'failing-over', 'stopped', 'unprotected')),"
    "  desired TEXT NOT NULL DEFAULT 'stopped' CHECK (desired IN ('stopped', 'monitored')),"
    "  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP"
    ")",
    "CREATE TABLE IF NOT EXISTS nodes ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,"
    "  host TEXT NOT NULL COLLATE NOCASE CHECK (host <> ''),"
    "  port INTEGER NOT NULL DEFAULT 3306 CHECK (port BETWEEN 1 AND 65535),"
    "  role TEXT NOT NULL DEFAULT 'unknown' CHECK (role IN ('master', 'replica', 'failed',"
    "    'unknown')),"
    "  candidate_master INTEGER NOT NULL DEFAULT 0 CHECK (candidate_master IN (0, 1)),"
    "  no_master INTEGER NOT NULL DEFAULT 0 CHECK (no_master IN (0, 1)),"
    "  version TEXT,"
    "  server_id INTEGER,"
    "  read_only INTEGER,"
    "  log_bin INTEGER,"
    "  lag INTEGER,"
    "  UNIQUE (host, port)"
    ")",
    "CREATE INDEX IF NOT EXISTS nodes_cluster_id ON nodes (cluster_id)",
    "CREATE TABLE IF NOT EXISTS events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  cluster TEXT,"
    "  node TEXT,"
    "  type TEXT NOT NULL,"
    "  message TEXT NOT NULL DEFAULT ''"
    ")",
    "CREATE INDEX IF NOT EXISTS events_cluster_id ON events (cluster, id)",
    NULL,
};

/*
 * 2: the failover engine per cluster, and structured event fields (a JSON
 * object of named values). SQLite has no ADD COLUMN IF NOT EXISTS; the
 * write lock and the version read again under it keep this to one run.
 */
static const char *const registry_schema_sqlite_v2[] = {
    "ALTER TABLE clusters ADD COLUMN engine TEXT NOT NULL DEFAULT 'mha' CHECK (engine <> '')",
    "ALTER TABLE events ADD COLUMN fields TEXT",
    NULL,
};

/*
 * 3: manager HA (docs/manager-ha.md). The tables exist in SQLite too so
 * that versions mean the same in both dialects, but only a MySQL registry
 * shared by several managers uses them: a SQLite registry has one manager.
 */
static const char *const registry_schema_sqlite_v3[] = {
    "CREATE TABLE IF NOT EXISTS managers ("
    "  name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),"
    "  heartbeat_at TEXT NOT NULL,"
    "  started_at TEXT NOT NULL,"
    "  lease_seconds INTEGER NOT NULL,"
    "  draining INTEGER NOT NULL DEFAULT 0 CHECK (draining IN (0, 1)),"
    "  pid INTEGER"
    ")",
    "CREATE TABLE IF NOT EXISTS leases ("
    "  cluster TEXT NOT NULL PRIMARY KEY CHECK (cluster <> ''),"
    "  owner TEXT,"
    "  epoch INTEGER NOT NULL DEFAULT 0,"
    "  expires_at TEXT,"
    "  op_until TEXT"
    ")",
    NULL,
};

/* Table options: InnoDB for transactions and foreign keys, exact comparison of text. */
#define REGISTRY_SCHEMA_MYSQL_TABLE                                                                \
	" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC"

/*
 * MySQL/MariaDB. DDL commits implicitly, so every statement is idempotent
 * instead. Host names compare case-blind (as DNS does, and as SQLite's
 * COLLATE NOCASE); everything else exactly. Times are TIMESTAMPs, read and
 * written in UTC (the session's time_zone is +00:00).
 */
static const char *const registry_schema_mysql_v1[] = {
    "CREATE TABLE IF NOT EXISTS schema_info ("
    "  id INT NOT NULL PRIMARY KEY,"
    "  version INT NOT NULL,"
    "  CONSTRAINT schema_info_single CHECK (id = 1)"
    ")" REGISTRY_SCHEMA_MYSQL_TABLE,
    "CREATE TABLE IF NOT EXISTS clusters ("
    "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    "  name VARCHAR(64) NOT NULL,"
    "  vip VARCHAR(45) NOT NULL,"
    "  vip_prefix INT NOT NULL DEFAULT 24,"
    "  iface VARCHAR(32) NOT NULL DEFAULT 'eth0',"
    "  state VARCHAR(16) NOT NULL DEFAULT 'pending',"
    "  desired VARCHAR(16) NOT NULL DEFAULT 'stopped',"
    "  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  UNIQUE KEY clusters_name (name),"
    "  UNIQUE KEY clusters_vip (vip),"
    "  CONSTRAINT clusters_name_check CHECK (name <> ''),"
    "  CONSTRAINT clusters_vip_check CHECK (vip <> ''),"
    "  CONSTRAINT clusters_vip_prefix_check CHECK (vip_prefix BETWEEN 1 AND 32),"
    "  CONSTRAINT clusters_iface_check CHECK (iface <> ''),"
    "  CONSTRAINT clusters_state_check CHECK (state IN ('pending', 'registered', 'ready',"
    "    'monitoring', 'failing-over', 'stopped', 'unprotected')),"
    "  CONSTRAINT clusters_desired_check CHECK (desired IN ('stopped', 'monitored'))"
    ")" REGISTRY_SCHEMA_MYSQL_TABLE,
    "CREATE TABLE IF NOT EXISTS nodes ("
    "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    "  cluster_id BIGINT NOT NULL,"
    "  host VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,"
    "  port INT NOT NULL DEFAULT 3306,"
    "  role VARCHAR(16) NOT NULL DEFAULT 'unknown',"
    "  candidate_master TINYINT NOT NULL DEFAULT 0,"
    "  no_master TINYINT NOT NULL DEFAULT 0,"
    "  version VARCHAR(255) NULL,"
    "  server_id BIGINT NULL,"
    "  read_only TINYINT NULL,"
    "  log_bin TINYINT NULL,"
    "  `lag` BIGINT NULL,"
    "  UNIQUE KEY nodes_host_port (host, port),"
    "  KEY nodes_cluster_id (cluster_id),"
    "  CONSTRAINT nodes_cluster_fk FOREIGN KEY (cluster_id) REFERENCES clusters (id)"
    "    ON DELETE CASCADE,"
    "  CONSTRAINT nodes_host_check CHECK (host <> ''),"
    "  CONSTRAINT nodes_port_check CHECK (port BETWEEN 1 AND 65535),"
    "  CONSTRAINT nodes_role_check CHECK (role IN ('master', 'replica', 'failed', 'unknown')),"
    "  CONSTRAINT nodes_candidate_master_check CHECK (candidate_master IN (0, 1)),"
    "  CONSTRAINT nodes_no_master_check CHECK (no_master IN (0, 1))"
    ")" REGISTRY_SCHEMA_MYSQL_TABLE,
    "CREATE TABLE IF NOT EXISTS events ("
    "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    "  at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  cluster VARCHAR(64) NULL,"
    "  node VARCHAR(300) NULL,"
    "  type VARCHAR(64) NOT NULL,"
    "  message TEXT NOT NULL,"
    "  KEY events_cluster_id (cluster, id)"
    ")" REGISTRY_SCHEMA_MYSQL_TABLE,
    NULL,
};

/* 2: as SQLite's; IF NOT EXISTS (MariaDB 10.0.2+) lets two inits race harmlessly. */
static const char *const registry_schema_mysql_v2[] = {
    "ALTER TABLE clusters ADD COLUMN IF NOT EXISTS"
    "  engine VARCHAR(32) NOT NULL DEFAULT 'mha'",
    "ALTER TABLE events ADD COLUMN IF NOT EXISTS fields TEXT NULL",
    NULL,
};

static const char *const *const registry_schema_sqlite[REGISTRY_SCHEMA_VERSION + 1] = {
    NULL,
    registry_schema_sqlite_v1,
    registry_schema_sqlite_v2,
    registry_schema_sqlite_v3,
};

/*
 * 3: manager HA. Every time in these tables is the registry's own clock
 * (NOW(6), microseconds, UTC in our sessions): the managers' clocks are
 * never compared. A lease row is kept when released (owner NULL) so that
 * its epoch, the fencing token, only ever grows.
 */
static const char *const registry_schema_mysql_v3[] = {
    "CREATE TABLE IF NOT EXISTS managers ("
    "  name VARCHAR(80) NOT NULL PRIMARY KEY,"
    "  heartbeat_at DATETIME(6) NOT NULL,"
    "  started_at DATETIME(6) NOT NULL,"
    "  lease_seconds INT NOT NULL,"
    "  draining TINYINT NOT NULL DEFAULT 0,"
    "  pid BIGINT NULL,"
    "  CONSTRAINT managers_name_check CHECK (name <> ''),"
    "  CONSTRAINT managers_draining_check CHECK (draining IN (0, 1))"
    ")" REGISTRY_SCHEMA_MYSQL_TABLE,
    "CREATE TABLE IF NOT EXISTS leases ("
    "  cluster VARCHAR(64) NOT NULL PRIMARY KEY,"
    "  owner VARCHAR(80) NULL,"
    "  epoch BIGINT NOT NULL DEFAULT 0,"
    "  expires_at DATETIME(6) NULL,"
    "  op_until DATETIME(6) NULL,"
    "  KEY leases_owner (owner),"
    "  CONSTRAINT leases_cluster_check CHECK (cluster <> '')"
    ")" REGISTRY_SCHEMA_MYSQL_TABLE,
    NULL,
};

static const char *const *const registry_schema_mysql[REGISTRY_SCHEMA_VERSION + 1] = {
    NULL,
    registry_schema_mysql_v1,
    registry_schema_mysql_v2,
    registry_schema_mysql_v3,
};

const char *const *
registry_schema_migration(enum db_dialect dialect, int version)
{
	if (version < 1 || version > REGISTRY_SCHEMA_VERSION)
		return NULL;
	if (dialect == DB_DIALECT_SQLITE)
		return registry_schema_sqlite[version];
	return registry_schema_mysql[version];
}
