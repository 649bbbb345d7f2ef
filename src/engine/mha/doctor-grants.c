/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: the privileges MHA 0.58 uses: read from the lines of SHOW GRANTS, and the
 * ha-user finding with the GRANT statements that would fix it.
 */
#include "doctor-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "xmalloc.h"

/* The privileges MHA 0.58 uses, as bits. */
enum {
	DOCTOR_PRIV_SUPER = 1 << 0,
	DOCTOR_PRIV_READ_ONLY_ADMIN = 1 << 1,
	DOCTOR_PRIV_REPL_CLIENT = 1 << 2,
	DOCTOR_PRIV_REPL_SLAVE = 1 << 3,
	DOCTOR_PRIV_RELOAD = 1 << 4,
	DOCTOR_PRIV_PROCESS = 1 << 5,
	DOCTOR_PRIV_REPL_MASTER_ADMIN = 1 << 6, /* MariaDB: SHOW SLAVE HOSTS (mhaadm's probe) */
	DOCTOR_PRIV_SELECT_USER = 1 << 7,       /* SELECT on mysql.user */
	DOCTOR_PRIV_EVERYTHING = (1 << 8) - 1,
};

/* Names in the order they are reported, with the names a server may show them as. */
static const struct {
	unsigned int bit;
	const char *report; /* what we print when it is missing */
	const char *names[3];
} doctor_privs[] = {
    {DOCTOR_PRIV_SUPER, "SUPER", {"SUPER", NULL, NULL}},
    {DOCTOR_PRIV_READ_ONLY_ADMIN, "READ_ONLY ADMIN", {"READ_ONLY ADMIN", "READ ONLY ADMIN", NULL}},
    /* MariaDB >= 10.5.2 shows REPLICATION CLIENT as BINLOG MONITOR. */
    {DOCTOR_PRIV_REPL_CLIENT, "REPLICATION CLIENT", {"REPLICATION CLIENT", "BINLOG MONITOR", NULL}},
    {DOCTOR_PRIV_REPL_SLAVE, "REPLICATION SLAVE", {"REPLICATION SLAVE", NULL, NULL}},
    {DOCTOR_PRIV_RELOAD, "RELOAD", {"RELOAD", NULL, NULL}},
    {DOCTOR_PRIV_PROCESS, "PROCESS", {"PROCESS", NULL, NULL}},
    {DOCTOR_PRIV_REPL_MASTER_ADMIN, "REPLICATION MASTER ADMIN",
        {"REPLICATION MASTER ADMIN", NULL, NULL}},
    /* Last: it is granted with a statement of its own. */
    {DOCTOR_PRIV_SELECT_USER, "SELECT ON mysql.user", {NULL, NULL, NULL}},
};

/* The target of a GRANT ... ON target TO: 2 for *.*, 1 for mysql.* / mysql.user, 0 other. */
static int
doctor_grant_target(const char *s, size_t len)
{
	char buf[64];
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < sizeof(buf); i++) {
		if (s[i] != '`' && s[i] != '"' && s[i] != '\'')
			buf[o++] = (char)tolower((unsigned char)s[i]);
	}
	buf[o] = '\0';
	if (strcmp(buf, "*.*") == 0)
		return 2;
	if (strcmp(buf, "mysql.*") == 0 || strcmp(buf, "mysql.user") == 0)
		return 1;
	return 0;
}

/* Adds the privileges of one "GRANT a, b ON target TO ..." line to *have. */
static void
doctor_grants_line(const char *line, unsigned int *have)
{
	const char *privs, *on, *to, *p, *end, *q;
	size_t len, i, k;
	int depth, target;
	char name[64];

	if (strncasecmp(line, "GRANT ", 6) != 0)
		return;
	privs = line + 6;
	if ((on = strcasestr(privs, " ON ")) == NULL)
		return; /* a role granted to the user: not followed */
	if ((to = strcasestr(on + 4, " TO ")) == NULL)
		return;
	target = doctor_grant_target(on + 4, (size_t)(to - on - 4));
	if (target == 0)
		return;
	p = privs;
	while (p < on) {
		while (p < on && (*p == ' ' || *p == ','))
			p++;
		/* A privilege ends at a comma outside parentheses (column lists). */
		for (end = p, depth = 0; end < on && (depth > 0 || *end != ','); end++) {
			if (*end == '(')
				depth++;
			else if (*end == ')' && depth > 0)
				depth--;
		}
		q = memchr(p, '(', (size_t)(end - p));
		len = (size_t)((q != NULL ? q : end) - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0 && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			if (strcasecmp(name, "ALL PRIVILEGES") == 0 ||
			    strcasecmp(name, "ALL") == 0) {
				*have |=
				    target == 2 ? DOCTOR_PRIV_EVERYTHING : DOCTOR_PRIV_SELECT_USER;
			} else if (strcasecmp(name, "SELECT") == 0) {
				*have |= DOCTOR_PRIV_SELECT_USER;
			} else if (target == 2) {
				for (i = 0; i < sizeof(doctor_privs) / sizeof(doctor_privs[0]);
				     i++) {
					for (k = 0; k < 3 && doctor_privs[i].names[k] != NULL;
					     k++) {
						if (strcasecmp(name, doctor_privs[i].names[k]) == 0)
							*have |= doctor_privs[i].bit;
					}
				}
			}
		}
		p = end;
	}
}

char *
doctor_grants_missing(const char *const *lines, size_t n, const char *version)
{
	unsigned int have = 0, need = DOCTOR_PRIV_EVERYTHING;
	char *s = NULL, *t;
	size_t i;

	for (i = 0; i < n; i++)
		doctor_grants_line(lines[i], &have);
	if (!doctor_version_needs_read_only_admin(version))
		need &= ~(unsigned int)DOCTOR_PRIV_READ_ONLY_ADMIN;
	if (!doctor_version_needs_master_admin(version))
		need &= ~(unsigned int)DOCTOR_PRIV_REPL_MASTER_ADMIN;
	for (i = 0; i < sizeof(doctor_privs) / sizeof(doctor_privs[0]); i++) {
		if ((need & doctor_privs[i].bit) == 0 || (have & doctor_privs[i].bit) != 0)
			continue;
		t = s == NULL ? xstrdup(doctor_privs[i].report)
		              : xasprintf("%s, %s", s, doctor_privs[i].report);
		free(s);
		s = t;
	}
	return s;
}

/* The privileges of ha_user, from SHOW GRANTS (the lines are never printed). */
void
doctor_node_grants(
    struct doctor_host *h, MYSQL *mysql, const struct config *cfg, const char *version)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char **lines = NULL, *cause = NULL, *missing, *account = NULL, *at, *global, *sel, *fix;
	size_t n = 0, i;
	int roles = 0;

	if ((res = doctor_query(mysql, "SELECT CURRENT_USER()", &cause)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL &&
		    (at = strrchr(row[0], '@')) != NULL)
			account = xasprintf("'%.*s'@'%s'", (int)(at - row[0]), row[0], at + 1);
		mysql_free_result(res);
	}
	free(cause);
	cause = NULL;
	if (account == NULL)
		account = xasprintf("'%s'@'MANAGER-HOST'", cfg->ha_user);

	if ((res = doctor_query(mysql, "SHOW GRANTS", &cause)) == NULL) {
		doctor_add(h, "ha-user", DOCTOR_WARN,
		    xasprintf("cannot read the grants of %s: %s", account, cause),
		    xstrdup("check by hand that it has SUPER, REPLICATION CLIENT, REPLICATION "
		            "SLAVE, RELOAD, PROCESS and SELECT on mysql.user"));
		free(cause);
		free(account);
		return;
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL)
			continue;
		lines = xreallocarray(lines, n + 1, sizeof(*lines));
		lines[n++] = xstrdup(row[0]);
		if (strncasecmp(row[0], "GRANT ", 6) == 0 && strcasestr(row[0], " ON ") == NULL)
			roles = 1;
	}
	mysql_free_result(res);
	missing = doctor_grants_missing((const char *const *)lines, n, version);
	if (missing == NULL) {
		doctor_add(h, "ha-user", DOCTOR_OK,
		    xasprintf("ha_user %s has the privileges MHA uses", account), NULL);
	} else {
		/* The mysql.user grant, always listed last, is a statement of its own. */
		global = xstrdup(missing);
		if ((sel = strstr(global, "SELECT ON mysql.user")) != NULL)
			*(sel > global ? sel - 2 : sel) = '\0';
		if (*global != '\0' && sel != NULL)
			fix = xasprintf("GRANT %s ON *.* TO %s; GRANT SELECT ON mysql.user TO %s",
			    global, account, account);
		else if (*global != '\0')
			fix = xasprintf("GRANT %s ON *.* TO %s", global, account);
		else
			fix = xasprintf("GRANT SELECT ON mysql.user TO %s", account);
		doctor_add(h, "ha-user", roles ? DOCTOR_WARN : DOCTOR_FAIL,
		    xasprintf("ha_user %s lacks %s%s", account, missing,
		        roles ? " (privileges through roles were not looked at)" : ""),
		    fix);
		free(global);
	}
	free(missing);
	for (i = 0; i < n; i++)
		xfree_secret(lines[i]); /* they hold password hashes */
	free(lines);
	free(account);
}
