/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binlog salvage: the transactions the dead master wrote to its binlog but
 * no replica received, read on its host with mariadb-binlog over SSH and
 * applied on the new master with their own GTIDs, before writes open.
 */
#ifndef MHAADM_NATIVE_SALVAGE_H
#define MHAADM_NATIVE_SALVAGE_H

#include <stddef.h>

#include <mysql.h>

struct config;
struct native_ssh;

/* What one salvage did. */
struct native_salvage {
	int transactions; /* complete GTID event groups applied */
	char from[512];   /* the new master's @@gtid_current_pos it started after */
	char first[64];   /* first GTID applied, "" none */
	char last[64];    /* last GTID applied, "" none */
	int kept;         /* 1: the kept SSH session was used; 0: one was opened */
	int dropped;      /* 1: an incomplete trailing group was rolled back */
};

/* What the splitter hands on: a statement, or the GTID that starts an event group. */
enum native_salvage_item {
	NATIVE_SALVAGE_STATEMENT,
	NATIVE_SALVAGE_GTID, /* text: "domain-server-seq"; trans: a transaction (BEGIN … COMMIT) */
};

typedef int (*native_salvage_fn)(
    void *arg, enum native_salvage_item kind, const char *text, int trans, char **cause);

/*
 * Splits mariadb-binlog's text output into what the mariadb client would
 * send (DELIMITER changes honoured, '#' comment lines between statements
 * skipped but for their GTID headers) and calls fn for each, in order. An
 * unterminated statement at the end is not handed on. Returns 0, or the
 * first non-zero return of fn (with *cause from it). Pure.
 */
int native_salvage_split(const char *text, native_salvage_fn fn, void *arg, char **cause);

/*
 * The binlog files to read, from the text of the binlog index: every file
 * from from_file on (a base name as SHOW SLAVE STATUS's Master_Log_File
 * says it; every file when it is NULL, "" or not listed), each made a path
 * in the directory of basename (@@log_bin_basename). Returns a
 * NULL-terminated array (free each, then it) and its length in *n. Pure.
 */
char **native_salvage_files(
    const char *index_text, const char *basename, const char *from_file, size_t *n);

/*
 * Salvages onto target (a connection of its own to the new master,
 * borrowed) from host, whose binlog is at basename, within timeout seconds
 * in all. 0 (*out says what was applied, possibly nothing), or -1 with
 * *cause (out still says what was applied before it stopped).
 */
int native_salvage_run(const struct config *cfg, struct native_ssh *pool, const char *host,
    const char *basename, const char *from_file, MYSQL *target, int timeout,
    struct native_salvage *out, char **cause);

#endif
