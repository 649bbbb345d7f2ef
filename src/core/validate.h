/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Validation and parsing of user-supplied names, hosts, ports, VIPs and interfaces. */
#ifndef MHAADM_VALIDATE_H
#define MHAADM_VALIDATE_H

/*
 * Every function returns 0 when the input is acceptable and -1 otherwise,
 * with *cause set to a newly allocated message naming the bad value and
 * saying what is allowed (the caller frees it). Outputs are only written on
 * success and are newly allocated where they are strings.
 */

#define VALIDATE_NAME_MAX 64
#define VALIDATE_HOST_MAX 253

/*
 * Cluster names: 1..64 characters from [A-Za-z0-9_.-], starting with a
 * letter or digit. Nothing that a shell, SQL or a file name could read
 * specially is allowed.
 */
int validate_cluster_name(const char *name, char **cause);

/* Host names (RFC 1123 labels) or IPv4 literals, at most 253 characters. */
int validate_host(const char *host, char **cause);

/* Interface names: 1..15 characters from [A-Za-z0-9_.-]. */
int validate_iface(const char *iface, char **cause);

/* Ports: a decimal number 1..65535, nothing else. */
int validate_port(const char *s, int *port, char **cause);

/*
 * Parses "HOST" or "HOST:PORT"; a missing port becomes default_port.
 * The host is lower-cased so that host:port uniqueness is case-blind.
 */
int validate_parse_hostport(const char *s, int default_port, char **host, int *port, char **cause);

/*
 * Parses a VIP "A.B.C.D" or "A.B.C.D/PREFIX" (IPv4 only); a missing prefix
 * becomes default_prefix. Network, broadcast, loopback, multicast and
 * unspecified addresses are refused.
 */
int validate_parse_vip(const char *s, int default_prefix, char **addr, int *prefix, char **cause);

struct sockaddr_storage;

/*
 * Parses a listening address "A.B.C.D:PORT" or "[IPv6]:PORT" (literals
 * only: a bind never waits for DNS; port 0 picks a free one). When ss is
 * not NULL it is filled (*len its length); *loopback says whether the
 * address is 127.0.0.0/8 or ::1. Returns 0, or -1 with *cause.
 */
int validate_listen(
    const char *s, struct sockaddr_storage *ss, unsigned int *len, int *loopback, char **cause);

#endif
