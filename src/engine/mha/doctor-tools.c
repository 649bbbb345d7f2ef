/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: findings for the programs a host needs: MHA's node tools, mysqlbinlog,
 * the mysql client, arping, ip.
 */
#include "doctor-internal.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Names of the programs among names[from..to) that t did not find, or NULL. */
char *
doctor_missing(const struct doctor_probe *t, const char *const *names, size_t from, size_t to)
{
	char *s = NULL, *n;
	size_t i;

	for (i = from; i < to; i++) {
		if (doctor_probe_bin(t, names[i]) != NULL)
			continue;
		n = s == NULL ? xstrdup(names[i]) : xasprintf("%s, %s", s, names[i]);
		free(s);
		s = n;
	}
	return s;
}

/* mha4mysql-node: the node tools every host (manager included) needs. */
int
doctor_node_tools_finding(struct doctor_host *h, const struct doctor_probe *t)
{
	static const char *const bins[] = {"save_binary_logs", "apply_diff_relay_logs"};
	char *missing = doctor_missing(t, bins, 0, 2);

	if (missing != NULL) {
		doctor_add(h, "mha-node", DOCTOR_FAIL,
		    xasprintf("mha4mysql-node is not installed: %s not found%s", missing,
		        t->pkg_node ? " although the package is" : ""),
		    xstrdup("apt-get install mha4mysql-node"));
		free(missing);
		return 0;
	}
	doctor_add(h, "mha-node", DOCTOR_OK,
	    xasprintf("mha4mysql-node is installed (save_binary_logs at %s)",
	        doctor_probe_bin(t, "save_binary_logs")),
	    NULL);
	return 1;
}

/* arping: mhaadm sends gratuitous ARP with Habets' syntax. */
static void
doctor_arping_finding(struct doctor_host *h, const struct doctor_probe *t)
{
	const char *path = doctor_probe_bin(t, "arping");
	const char *help = t->arping_help != NULL ? t->arping_help : "";

	if (path == NULL) {
		doctor_add(h, "arping", DOCTOR_FAIL,
		    xstrdup("arping not found: no gratuitous ARP after the VIP moves, clients "
		            "keep the old MAC for up to ~25 s"),
		    xstrdup("apt-get install arping"));
	} else if (strstr(help, "Habets") != NULL) {
		doctor_add(h, "arping", DOCTOR_OK,
		    xasprintf("arping at %s is Thomas Habets' arping (-U -c 1 -i IFACE -S VIP VIP)",
		        path),
		    NULL);
	} else if (t->pkg_iputils_arping || strstr(help, "iputils") != NULL ||
	           strstr(help, "-I device") != NULL || strstr(help, "-I <device>") != NULL) {
		doctor_add(h, "arping", DOCTOR_FAIL,
		    xasprintf("arping at %s is iputils-arping; mhaadm sends gratuitous ARP with "
		              "Habets' syntax (-U -c 1 -i IFACE -S VIP VIP)",
		        path),
		    xstrdup("apt-get install arping (it replaces iputils-arping)"));
	} else {
		doctor_add(h, "arping", DOCTOR_WARN,
		    xasprintf("arping at %s is of an unknown kind; mhaadm needs Thomas Habets' "
		              "arping",
		        path),
		    xstrdup("apt-get install arping"));
	}
}

/* The node's tool findings (everything over SSH but the Perl ones). */
void
doctor_node_tool_findings(struct doctor_host *h, const struct doctor_probe *t)
{
	const char *p;

	if ((p = doctor_probe_bin(t, "mysqlbinlog")) != NULL)
		doctor_add(h, "mysqlbinlog", DOCTOR_OK, xasprintf("mysqlbinlog at %s", p), NULL);
	else if ((p = doctor_probe_bin(t, "mariadb-binlog")) != NULL)
		doctor_add(h, "mysqlbinlog", DOCTOR_FAIL,
		    xasprintf("only %s found: MHA's save_binary_logs runs 'mysqlbinlog' by that "
		              "name",
		        p),
		    xasprintf("ln -s %s /usr/bin/mysqlbinlog (Debian's mariadb-server ships "
		              "that link)",
		        p));
	else
		doctor_add(h, "mysqlbinlog", DOCTOR_FAIL,
		    xstrdup("neither mysqlbinlog nor mariadb-binlog found: MHA cannot save the "
		            "dead master's binary logs"),
		    xstrdup("install the server's client tools (Debian: mariadb-server or "
		            "mysql-server)"));

	if ((p = doctor_probe_bin(t, "mysql")) != NULL)
		doctor_add(h, "mysql-client", DOCTOR_OK, xasprintf("mysql client at %s", p), NULL);
	else
		doctor_add(h, "mysql-client", DOCTOR_FAIL,
		    xasprintf("mysql client not found%s: apply_diff_relay_logs runs 'mysql' by "
		              "that name",
		        doctor_probe_bin(t, "mariadb") != NULL ? " (only mariadb)" : ""),
		    xstrdup("apt-get install mariadb-client-core (or mysql-client)"));

	doctor_arping_finding(h, t);

	if ((p = doctor_probe_bin(t, "ip")) != NULL)
		doctor_add(h, "ip", DOCTOR_OK, xasprintf("ip at %s", p), NULL);
	else
		doctor_add(h, "ip", DOCTOR_FAIL,
		    xstrdup("ip not found: the VIP cannot be added or removed"),
		    xstrdup("apt-get install iproute2"));
}
