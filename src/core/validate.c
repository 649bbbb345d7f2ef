/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Validation and parsing of user-supplied names, hosts, ports, VIPs and interfaces. */
#include "validate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xmalloc.h"

/* How much of a refused value is echoed back in a message. */
#define VALIDATE_ECHO_MAX 64

/* The longest port and prefix spellings accepted ("65535", "32"). */
#define VALIDATE_PORT_DIGITS 5
#define VALIDATE_PREFIX_DIGITS 2

#define VALIDATE_IFACE_MAX 15 /* IFNAMSIZ - 1 */
#define VALIDATE_LABEL_MAX 63

#define VALIDATE_CLUSTER_RULE                                                                      \
	"use 1-64 characters from A-Z a-z 0-9 _ . - starting with a letter or digit"
#define VALIDATE_HOST_RULE                                                                         \
	"use a host name (letters, digits and '-' in labels separated by '.', RFC 1123) "          \
	"or an IPv4 address"
#define VALIDATE_IFACE_RULE "use 1-15 characters from A-Z a-z 0-9 _ . -"
#define VALIDATE_PORT_RULE "use a number from 1 to 65535"
#define VALIDATE_HOSTPORT_RULE "use HOST or HOST:PORT"
#define VALIDATE_VIP_RULE "use an IPv4 address A.B.C.D or A.B.C.D/PREFIX with PREFIX 1-32"
#define VALIDATE_NO_IPV6 "IPv6 addresses are not supported yet"

/*
 * Makes a value safe to quote in a message: at most VALIDATE_ECHO_MAX bytes
 * of it, "..." when it was longer, and anything but printable ASCII written
 * as \xNN so that a message cannot carry terminal escapes. Writes into buf.
 */
static const char *
validate_echo(const char *s, char *buf, size_t size)
{
	size_t i, used = 0;
	unsigned char c;

	buf[0] = '\0';
	for (i = 0; s[i] != '\0' && i < VALIDATE_ECHO_MAX; i++) {
		c = (unsigned char)s[i];
		if (used + 5 >= size)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[used++] = (char)c;
			buf[used] = '\0';
		} else
			used += (size_t)snprintf(buf + used, size - used, "\\x%02x", c);
	}
	if (s[i] != '\0' && used + 4 < size)
		snprintf(buf + used, size - used, "...");
	return buf;
}

/* Size of a buffer that holds any validate_echo result. */
#define VALIDATE_ECHO_SIZE (VALIDATE_ECHO_MAX * 4 + 8)

/* Size of a buffer that holds any validate_length_note result. */
#define VALIDATE_NOTE_SIZE 48

/* Returns " (N characters)" for values that are too long, "" otherwise. */
static const char *
validate_length_note(size_t len, size_t max, char *buf, size_t size)
{
	buf[0] = '\0';
	if (len > max)
		snprintf(buf, size, " (%zu characters)", len);
	return buf;
}

static int
validate_is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
validate_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Characters of cluster and interface names: A-Z a-z 0-9 _ . - */
static int
validate_is_namechar(char c)
{
	return validate_is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/*
 * Parses a string of at most max_digits decimal digits (nothing else, not
 * even a sign or a space) into *value. Returns 0 or -1.
 */
static int
validate_digits(const char *s, size_t max_digits, int *value)
{
	size_t len = strlen(s), i;
	int v = 0;

	if (len == 0 || len > max_digits)
		return -1;
	for (i = 0; i < len; i++) {
		if (!validate_is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*value = v;
	return 0;
}

int
validate_cluster_name(const char *name, char **cause)
{
	char echo[VALIDATE_ECHO_SIZE], note[VALIDATE_NOTE_SIZE];
	size_t len, i;

	if (name == NULL)
		name = "";
	len = strlen(name);
	if (len == 0 || len > VALIDATE_NAME_MAX || !validate_is_alnum(name[0]))
		goto bad;
	for (i = 0; i < len; i++) {
		if (!validate_is_namechar(name[i]))
			goto bad;
	}
	return 0;

bad:
	*cause = xasprintf("invalid cluster name '%s'%s: " VALIDATE_CLUSTER_RULE,
	    validate_echo(name, echo, sizeof(echo)),
	    validate_length_note(len, VALIDATE_NAME_MAX, note, sizeof(note)));
	return -1;
}

/* True if s holds only digits and dots: it must then be an IPv4 address. */
static int
validate_looks_numeric(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!validate_is_digit(*s) && *s != '.')
			return 0;
	}
	return 1;
}

int
validate_host(const char *host, char **cause)
{
	char echo[VALIDATE_ECHO_SIZE], note[VALIDATE_NOTE_SIZE];
	struct in_addr in;
	const char *label, *p;
	size_t len, label_len;

	if (host == NULL)
		host = "";
	len = strlen(host);
	if (len == 0 || len > VALIDATE_HOST_MAX)
		goto bad;

	if (strchr(host, ':') != NULL || strchr(host, '[') != NULL) {
		*cause = xasprintf("invalid host '%s': " VALIDATE_NO_IPV6 "; " VALIDATE_HOST_RULE,
		    validate_echo(host, echo, sizeof(echo)));
		return -1;
	}

	/*
	 * Something like "10.0.0.256" or "10.1" is neither a usable name (a
	 * top-level domain is never all digits) nor an address; say which.
	 * inet_pton also refuses octets with leading zeros, which some
	 * resolvers would read as octal.
	 */
	if (validate_looks_numeric(host)) {
		if (inet_pton(AF_INET, host, &in) == 1)
			return 0;
		*cause = xasprintf("invalid host '%s': not a valid IPv4 address (four numbers "
		                   "0-255 separated by '.', without leading zeros)",
		    validate_echo(host, echo, sizeof(echo)));
		return -1;
	}

	label = host;
	for (;;) {
		for (p = label; *p != '\0' && *p != '.'; p++) {
			if (!validate_is_alnum(*p) && *p != '-')
				goto bad;
		}
		label_len = (size_t)(p - label);
		if (label_len == 0)
			goto bad;
		if (label[0] == '-' || label[label_len - 1] == '-') {
			*cause = xasprintf("invalid host '%s': a label may not start or end "
			                   "with '-'; " VALIDATE_HOST_RULE,
			    validate_echo(host, echo, sizeof(echo)));
			return -1;
		}
		if (label_len > VALIDATE_LABEL_MAX) {
			*cause = xasprintf("invalid host '%s': a label is %zu characters long, "
			                   "at most %d are allowed",
			    validate_echo(host, echo, sizeof(echo)), label_len, VALIDATE_LABEL_MAX);
			return -1;
		}
		if (*p == '\0')
			break;
		label = p + 1;
	}
	return 0;

bad:
	*cause = xasprintf("invalid host '%s'%s: " VALIDATE_HOST_RULE ", at most %d characters",
	    validate_echo(host, echo, sizeof(echo)),
	    validate_length_note(len, VALIDATE_HOST_MAX, note, sizeof(note)), VALIDATE_HOST_MAX);
	return -1;
}

int
validate_iface(const char *iface, char **cause)
{
	char echo[VALIDATE_ECHO_SIZE], note[VALIDATE_NOTE_SIZE];
	size_t len, i;

	if (iface == NULL)
		iface = "";
	len = strlen(iface);
	/* The kernel refuses "." and ".." as interface names. */
	if (len == 0 || len > VALIDATE_IFACE_MAX || strcmp(iface, ".") == 0 ||
	    strcmp(iface, "..") == 0)
		goto bad;
	for (i = 0; i < len; i++) {
		if (!validate_is_namechar(iface[i]))
			goto bad;
	}
	return 0;

bad:
	*cause = xasprintf("invalid interface '%s'%s: " VALIDATE_IFACE_RULE,
	    validate_echo(iface, echo, sizeof(echo)),
	    validate_length_note(len, VALIDATE_IFACE_MAX, note, sizeof(note)));
	return -1;
}

int
validate_port(const char *s, int *port, char **cause)
{
	char echo[VALIDATE_ECHO_SIZE];
	int v;

	if (s == NULL)
		s = "";
	if (validate_digits(s, VALIDATE_PORT_DIGITS, &v) != 0 || v < 1 || v > 65535) {
		*cause = xasprintf(
		    "invalid port '%s': " VALIDATE_PORT_RULE, validate_echo(s, echo, sizeof(echo)));
		return -1;
	}
	*port = v;
	return 0;
}

int
validate_parse_hostport(const char *s, int default_port, char **host, int *port, char **cause)
{
	char echo[VALIDATE_ECHO_SIZE];
	const char *colon;
	char *h = NULL, *p, *port_cause = NULL;
	int v = default_port;
	int retval = -1;

	if (s == NULL)
		s = "";
	if (*s == '\0') {
		*cause = xstrdup("invalid address '': " VALIDATE_HOSTPORT_RULE);
		goto out;
	}
	colon = strchr(s, ':');
	if ((colon != NULL && strchr(colon + 1, ':') != NULL) || strchr(s, '[') != NULL) {
		*cause = xasprintf("invalid address '%s': " VALIDATE_HOSTPORT_RULE
		                   " (" VALIDATE_NO_IPV6 ")",
		    validate_echo(s, echo, sizeof(echo)));
		goto out;
	}
	if (colon == s) {
		*cause = xasprintf(
		    "invalid address '%s': the host before ':' is missing; " VALIDATE_HOSTPORT_RULE,
		    validate_echo(s, echo, sizeof(echo)));
		goto out;
	}
	if (colon != NULL && colon[1] == '\0') {
		*cause = xasprintf(
		    "invalid address '%s': the port after ':' is missing; " VALIDATE_HOSTPORT_RULE,
		    validate_echo(s, echo, sizeof(echo)));
		goto out;
	}

	if (colon != NULL) {
		h = xstrndup(s, (size_t)(colon - s));
		if (validate_port(colon + 1, &v, &port_cause) != 0) {
			free(port_cause);
			*cause = xasprintf("invalid port in '%s': " VALIDATE_PORT_RULE " after ':'",
			    validate_echo(s, echo, sizeof(echo)));
			goto out;
		}
	} else {
		h = xstrdup(s);
		if (v < 1 || v > 65535) {
			*cause = xasprintf("invalid default port %d: " VALIDATE_PORT_RULE, v);
			goto out;
		}
	}
	if (validate_host(h, cause) != 0)
		goto out;

	/* Only A-Z a-z 0-9 - . are left, so ASCII lower-casing is enough. */
	for (p = h; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	*host = h;
	h = NULL;
	*port = v;
	retval = 0;

out:
	free(h);
	return retval;
}

int
validate_parse_vip(const char *s, int default_prefix, char **addr, int *prefix, char **cause)
{
	char echo[VALIDATE_ECHO_SIZE], text[INET_ADDRSTRLEN], net_text[INET_ADDRSTRLEN];
	const char *slash;
	char *a = NULL;
	struct in_addr in, net;
	uint32_t ip, mask;
	int p = default_prefix;
	int retval = -1;

	if (s == NULL)
		s = "";
	validate_echo(s, echo, sizeof(echo));
	if (strchr(s, ':') != NULL) {
		*cause =
		    xasprintf("invalid VIP '%s': " VALIDATE_NO_IPV6 "; " VALIDATE_VIP_RULE, echo);
		goto out;
	}

	slash = strchr(s, '/');
	if (slash != NULL) {
		a = xstrndup(s, (size_t)(slash - s));
		if (validate_digits(slash + 1, VALIDATE_PREFIX_DIGITS, &p) != 0 || p < 1 ||
		    p > 32) {
			*cause = xasprintf("invalid VIP '%s': the prefix after '/' must be a "
			                   "number from 1 to 32",
			    echo);
			goto out;
		}
	} else {
		a = xstrdup(s);
		if (p < 1 || p > 32) {
			*cause = xasprintf(
			    "invalid VIP '%s': the default prefix %d is not in 1-32", echo, p);
			goto out;
		}
	}
	if (*a == '\0' || inet_pton(AF_INET, a, &in) != 1) {
		*cause = xasprintf("invalid VIP '%s': " VALIDATE_VIP_RULE, echo);
		goto out;
	}
	ip = ntohl(in.s_addr);
	inet_ntop(AF_INET, &in, text, sizeof(text));

	if ((ip >> 24) == 0) {
		*cause = xasprintf("invalid VIP '%s': %s is in 0.0.0.0/8, which is not a host "
		                   "address",
		    echo, text);
		goto out;
	}
	if ((ip >> 24) == 127) {
		*cause = xasprintf(
		    "invalid VIP '%s': %s is a loopback address (127.0.0.0/8)", echo, text);
		goto out;
	}
	if (ip >= 0xe0000000U) {
		*cause = xasprintf("invalid VIP '%s': %s is a multicast, reserved or broadcast "
		                   "address (224.0.0.0 and above)",
		    echo, text);
		goto out;
	}

	/* /31 and /32 have no network or broadcast address (RFC 3021). */
	if (p <= 30) {
		mask = 0xffffffffU << (32 - p);
		net.s_addr = htonl(ip & mask);
		inet_ntop(AF_INET, &net, net_text, sizeof(net_text));
		if ((ip & ~mask) == 0) {
			*cause = xasprintf("invalid VIP '%s': %s is the network address of %s/%d; "
			                   "use a host address",
			    echo, text, net_text, p);
			goto out;
		}
		if ((ip & ~mask) == ~mask) {
			*cause =
			    xasprintf("invalid VIP '%s': %s is the broadcast address of %s/%d; "
			              "use a host address",
			        echo, text, net_text, p);
			goto out;
		}
	}

	*addr = xstrdup(text);
	*prefix = p;
	retval = 0;

out:
	free(a);
	return retval;
}

int
validate_listen(
    const char *s, struct sockaddr_storage *ss, unsigned int *len, int *loopback, char **cause)
{
	struct sockaddr_storage tmp;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&tmp;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&tmp;
	char addr[64];
	const char *colon, *port_s;
	char *end;
	size_t alen;
	long port;

	memset(&tmp, 0, sizeof(tmp));
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL)
			goto bad;
		alen = (size_t)(colon - s - 1);
		port_s = colon + 2;
		if (alen == 0 || alen >= sizeof(addr))
			goto bad;
		memcpy(addr, s + 1, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		alen = (size_t)(colon - s);
		port_s = colon + 1;
		if (alen == 0 || alen >= sizeof(addr))
			goto bad;
		memcpy(addr, s, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET, addr, &in4->sin_addr) != 1)
			goto bad;
		in4->sin_family = AF_INET;
	}
	if (*port_s < '0' || *port_s > '9')
		goto bad;
	errno = 0;
	port = strtol(port_s, &end, 10);
	if (errno != 0 || *end != '\0' || port < 0 || port > 65535)
		goto bad;
	if (tmp.ss_family == AF_INET) {
		in4->sin_port = htons((uint16_t)port);
		*loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	} else {
		in6->sin6_port = htons((uint16_t)port);
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	if (ss != NULL) {
		*ss = tmp;
		*len = tmp.ss_family == AF_INET ? sizeof(*in4) : sizeof(*in6);
	}
	return 0;
bad:
	*cause = xasprintf("invalid listening address '%.80s': use A.B.C.D:PORT or [IPv6]:PORT "
	                   "(an address literal, port 0-65535), e.g. 127.0.0.1:9860",
	    s);
	return -1;
}
