/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: findings, hosts and the report that doctor's checks fill.
 */
#include "doctor-report.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

const char *
doctor_severity_name(enum doctor_severity s)
{
	switch (s) {
	case DOCTOR_OK:
		return "ok";
	case DOCTOR_WARN:
		return "warn";
	case DOCTOR_FAIL:
		return "fail";
	}
	return "?";
}

/* Adds a finding; takes message and fix (fix may be NULL). */
void
doctor_add(
    struct doctor_host *h, const char *check, enum doctor_severity sev, char *message, char *fix)
{
	struct doctor_finding *f;

	h->findings = xreallocarray(h->findings, h->n_findings + 1, sizeof(*h->findings));
	f = &h->findings[h->n_findings++];
	f->check = xstrdup(check);
	f->severity = sev;
	f->message = message;
	if (sev == DOCTOR_OK) {
		free(fix);
		fix = NULL;
	}
	f->fix = fix;
	f->changed = NULL;
}

struct doctor_finding *
doctor_find(struct doctor_host *h, const char *check)
{
	size_t i;

	for (i = 0; i < h->n_findings; i++) {
		if (strcmp(h->findings[i].check, check) == 0)
			return &h->findings[i];
	}
	return NULL;
}

void
doctor_host_clear(struct doctor_host *h)
{
	size_t i;

	for (i = 0; i < h->n_findings; i++) {
		free(h->findings[i].check);
		free(h->findings[i].message);
		free(h->findings[i].fix);
		free(h->findings[i].changed);
	}
	free(h->findings);
	free(h->name);
	free(h->cluster);
	memset(h, 0, sizeof(*h));
}

/* Moves the findings of from to the end of to. */
void
doctor_host_move(struct doctor_host *to, struct doctor_host *from)
{
	size_t i;

	for (i = 0; i < from->n_findings; i++) {
		to->findings =
		    xreallocarray(to->findings, to->n_findings + 1, sizeof(*to->findings));
		to->findings[to->n_findings++] = from->findings[i];
	}
	free(from->findings);
	from->findings = NULL;
	from->n_findings = 0;
}

/* Appends h to rep, which takes everything h owns. */
void
doctor_report_push(struct doctor_report *rep, struct doctor_host *h)
{
	rep->hosts = xreallocarray(rep->hosts, rep->n_hosts + 1, sizeof(*rep->hosts));
	rep->hosts[rep->n_hosts++] = *h;
	memset(h, 0, sizeof(*h));
}

size_t
doctor_report_count(const struct doctor_report *rep, enum doctor_severity sev)
{
	size_t i, j, n = 0;

	for (i = 0; i < rep->n_hosts; i++) {
		for (j = 0; j < rep->hosts[i].n_findings; j++)
			n += rep->hosts[i].findings[j].severity == sev;
	}
	return n;
}

void
doctor_report_clear(struct doctor_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n_hosts; i++)
		doctor_host_clear(&rep->hosts[i]);
	free(rep->hosts);
	rep->hosts = NULL;
	rep->n_hosts = 0;
}
