/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor's report, engine-neutral: findings per host (the manager,
 * or a node of a cluster) that each engine's checks fill
 * (engine_ops.doctor_manager, doctor_cluster) and the doctor command prints.
 */
#ifndef MHAADM_DOCTOR_REPORT_H
#define MHAADM_DOCTOR_REPORT_H

#include <stddef.h>

enum doctor_severity {
	DOCTOR_OK,   /* nothing to do */
	DOCTOR_WARN, /* works, but something the engine needs may be missing later */
	DOCTOR_FAIL, /* monitoring or a failover will break */
};

/* One check's result on one host. */
struct doctor_finding {
	char *check; /* stable short name, e.g. "perl-sprintf", "bind-address" */
	enum doctor_severity severity;
	char *message; /* one line; never a password */
	char *fix;     /* how to fix it; NULL when severity is DOCTOR_OK */
	char *changed; /* what --fix changed (or why it could not); NULL when nothing */
};

/* The findings of one host: the manager host itself, or one node of a cluster. */
struct doctor_host {
	char *name;    /* "manager" or "HOST:PORT" */
	char *cluster; /* NULL for the manager */
	struct doctor_finding *findings;
	size_t n_findings;
};

struct doctor_report {
	struct doctor_host *hosts;
	size_t n_hosts;
};

struct doctor_opts {
	int fix; /* apply the fixes the engine knows to be safe, then check again */
	/* Called before each host is checked ("checking 10.77.0.11:3306"); may be NULL. */
	void (*progress)(void *arg, const char *what);
	void *progress_arg;
};

/* Number of findings of severity sev in rep. */
size_t doctor_report_count(const struct doctor_report *rep, enum doctor_severity sev);

/* Frees what rep owns and zeroes it. */
void doctor_report_clear(struct doctor_report *rep);

/* "ok", "warn", "fail". */
const char *doctor_severity_name(enum doctor_severity s);

/* Adds a finding to h; takes message and fix (fix may be NULL, and is dropped when OK). */
void doctor_add(
    struct doctor_host *h, const char *check, enum doctor_severity sev, char *message, char *fix);
/* h's finding named check, or NULL. */
struct doctor_finding *doctor_find(struct doctor_host *h, const char *check);
/* Frees what h owns and zeroes it. */
void doctor_host_clear(struct doctor_host *h);
/* Moves the findings of from to the end of to. */
void doctor_host_move(struct doctor_host *to, struct doctor_host *from);
/* Appends h to rep, which takes everything h owns. */
void doctor_report_push(struct doctor_report *rep, struct doctor_host *h);

#endif
