/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: what a server's @@version and @@bind_address tell doctor: whether MHA 0.58 can
 * drive it, which defects and privilege names apply.
 */
#include "doctor-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/*
 * Reads "MAJOR.MINOR.PATCH..." at the start of a @@version. Returns 0, or
 * -1 when it does not start with a number.
 */
static int
doctor_version_parse(const char *v, int *major, int *minor, int *patch, int *mariadb)
{
	long part[3] = {0, 0, 0};
	const char *p = v;
	char *end;
	int i;

	if (v == NULL || !isdigit((unsigned char)*v))
		return -1;
	for (i = 0; i < 3; i++) {
		part[i] = strtol(p, &end, 10);
		if (end == p || part[i] < 0 || part[i] > 100000)
			return -1;
		p = end;
		if (*p != '.')
			break;
		p++;
	}
	*major = (int)part[0];
	*minor = (int)part[1];
	*patch = (int)part[2];
	*mariadb = strcasestr(v, "mariadb") != NULL;
	return 0;
}

int
doctor_version_drivable(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0)
		return -1;
	if (mariadb)
		return 1;
	/* MySQL 8.4 removed SHOW SLAVE/MASTER STATUS, CHANGE MASTER and RESET SLAVE. */
	return major < 8 || (major == 8 && minor < 4);
}

/* 1 when a server with this @@version has @@global.super_read_only (MySQL >= 5.7.8). */
int
doctor_version_has_super_read_only(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0 || mariadb)
		return 0;
	return major > 5 || (major == 5 && (minor > 7 || (minor == 7 && patch >= 8)));
}

/*
 * 1 for MariaDB >= 10.5.9, where SHOW SLAVE HOSTS (mhaadm's probe lists the
 * replicas with it) needs REPLICATION MASTER ADMIN instead of REPLICATION SLAVE.
 */
int
doctor_version_needs_master_admin(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0 || !mariadb)
		return 0;
	return major > 10 || (major == 10 && (minor > 5 || (minor == 5 && patch >= 9)));
}

/* 1 for MariaDB >= 10.11, where SUPER no longer covers READ_ONLY ADMIN (MDEV-29596). */
int
doctor_version_needs_read_only_admin(const char *version)
{
	int major, minor, patch, mariadb;

	if (doctor_version_parse(version, &major, &minor, &patch, &mariadb) != 0 || !mariadb)
		return 0;
	return major > 10 || (major == 10 && minor >= 11);
}

int
doctor_bind_address_ok(const char *value)
{
	const char *p = value, *end;
	size_t len;

	if (value == NULL || *value == '\0')
		return 1;
	/* MySQL 8 and MariaDB 10.11 accept a comma-separated list. */
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		end = p;
		while (*end != '\0' && *end != ',' && *end != ' ')
			end++;
		len = (size_t)(end - p);
		if ((len == 1 && *p == '*') || (len == 7 && memcmp(p, "0.0.0.0", 7) == 0) ||
		    (len == 2 && memcmp(p, "::", 2) == 0))
			return 1;
		p = end;
	}
	return 0;
}
