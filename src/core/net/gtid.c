/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MariaDB GTID lists (gtid_binlog_state) and errant transactions: a replica's GTIDs its master
 * never had. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtid.h"
#include "xmalloc.h"

/* One decimal number at *p, advancing it; -1 when there is none or it overflows. */
static int
gtid_number(const char **p, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno != 0 || *v > max)
		return -1;
	*p = end;
	return 0;
}

int
gtid_parse(const char *s, struct gtid **out, size_t *n, char **cause)
{
	struct gtid *list = NULL, g;
	const char *p = s, *start;
	unsigned long long d, sid, seq;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		start = p;
		if (gtid_number(&p, UINT_MAX, &d) != 0 || *p++ != '-' ||
		    gtid_number(&p, UINT_MAX, &sid) != 0 || *p++ != '-' ||
		    gtid_number(&p, ULLONG_MAX, &seq) != 0) {
			*cause = xasprintf("bad GTID at '%.40s' in '%.200s'", start, s);
			free(list);
			return -1;
		}
		g.domain = (unsigned long)d;
		g.server_id = (unsigned long)sid;
		g.seq = seq;
		list = xreallocarray(list, count + 1, sizeof(*list));
		list[count++] = g;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ',') {
			*cause = xasprintf("bad GTID list '%.200s': ',' expected", s);
			free(list);
			return -1;
		}
	}
	*out = list;
	*n = count;
	return 0;
}

int
gtid_errant(const char *replica_state, const char *master_state, char **errant, char **cause)
{
	struct gtid *r = NULL, *m = NULL;
	size_t nr, nm, i, j;
	char *list = NULL, *tmp;
	int rc = -1;

	*errant = NULL;
	if (gtid_parse(replica_state, &r, &nr, cause) != 0 ||
	    gtid_parse(master_state, &m, &nm, cause) != 0)
		goto out;
	for (i = 0; i < nr; i++) {
		for (j = 0; j < nm; j++) {
			if (m[j].domain == r[i].domain && m[j].server_id == r[i].server_id)
				break;
		}
		if (j < nm && m[j].seq >= r[i].seq)
			continue;
		if (j < nm)
			tmp = xasprintf("%s%s%lu-%lu-%llu (master at %lu-%lu-%llu)",
			    list != NULL ? list : "", list != NULL ? ", " : "", r[i].domain,
			    r[i].server_id, r[i].seq, m[j].domain, m[j].server_id, m[j].seq);
		else
			tmp = xasprintf("%s%s%lu-%lu-%llu", list != NULL ? list : "",
			    list != NULL ? ", " : "", r[i].domain, r[i].server_id, r[i].seq);
		free(list);
		list = tmp;
	}
	*errant = list;
	rc = list != NULL ? 1 : 0;
out:
	free(r);
	free(m);
	return rc;
}

int
gtid_errant_live(const char *replica_state, const char *master_state,
    unsigned long master_server_id, char **errant, char **cause)
{
	struct gtid *list = NULL;
	size_t n = 0, i;
	char *kept, *t;
	int r;

	*errant = NULL;
	if (gtid_parse(replica_state, &list, &n, cause) != 0)
		return -1;
	kept = xstrdup("");
	for (i = 0; i < n; i++) {
		if (master_server_id > 0 && list[i].server_id == master_server_id)
			continue;
		t = xasprintf("%s%s%lu-%lu-%llu", kept, kept[0] != '\0' ? "," : "", list[i].domain,
		    list[i].server_id, list[i].seq);
		free(kept);
		kept = t;
	}
	free(list);
	r = gtid_errant(kept, master_state, errant, cause);
	free(kept);
	return r;
}
