/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtual IP on a host: add, remove, find, announce (gratuitous ARP), over SSH. */
#include "vip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

/*
 * Each operation is one command over SSH, because each command costs a
 * remote shell start (bash run by sshd reads root's ~/.bashrc, ~0.4 s on a
 * host with pyenv in it) and vip_add lies on the failover path. The
 * scripts below are fixed text: the VIP, prefix and interface reach them
 * only as positional parameters ("$1" "$2" "$3"), each quoted by
 * ssh_conn_run, so nothing in them is ever read as shell code.
 */

/*
 * Where ip, arping and setsid live when the remote PATH lacks the sbin
 * directories. A non-root ssh_user changes addresses and sends ARP through
 * "sudo -n" (docs/ssh.md: sudo for ip and arping only); reading needs no root.
 */
#define VIP_SCRIPT_PATH                                                                            \
	"PATH=\"$PATH:/usr/sbin:/usr/bin:/sbin:/bin\"\n"                                           \
	"if [ \"$(id -u)\" = 0 ]; then as_root=; else as_root='sudo -n'; fi\n"

/*
 * Adds $1/$2 on $3 unless it is there already, then sends $4 gratuitous
 * ARPs $5 seconds apart in the background: arping would wait ~1.3 s for a
 * reply that never comes, and MHA makes the new master writable only
 * after the hook returns. Repeated (keepalived sends 5) so that a client
 * whose ARP entry is stale, or that missed the first one, follows the VIP.
 * Presence is decided by asking ip again, not by the error text, which
 * differs between kernels ("File exists", "Address already assigned").
 * Prints "added" or "present", followed by " no-arping" when arping is
 * missing. Debian's arping is Habets' (-i IFACE -S SRC); iputils' takes
 * -I IFACE -s SRC.
 */
static const char vip_add_sh[] = VIP_SCRIPT_PATH
    "vip=$1 pfx=$2 dev=$3\n"
    "here=$(ip -o addr show to \"$vip\") || exit 3\n"
    "if [ -n \"$here\" ]; then\n"
    "\tif [ -z \"$(ip -o addr show dev \"$dev\" to \"$vip\" 2>/dev/null)\" ]; then\n"
    "\t\tset -f\n"
    "\t\tset -- $here\n"
    "\t\tprintf 'already on interface %s, not %s\\n' \"$2\" \"$dev\" >&2\n"
    "\t\texit 4\n"
    "\tfi\n"
    "\tstate=present\n"
    "elif out=$($as_root ip addr add \"$vip/$pfx\" dev \"$dev\" 2>&1); then\n"
    "\tstate=added\n"
    "elif [ -n \"$(ip -o addr show dev \"$dev\" to \"$vip\" 2>/dev/null)\" ]; then\n"
    "\tstate=present\n"
    "else\n"
    "\tprintf '%s\\n' \"$out\" >&2\n"
    "\texit 5\n"
    "fi\n"
    "if ! command -v arping >/dev/null 2>&1; then\n"
    "\techo \"$state no-arping\"\n"
    "\texit 0\n"
    "fi\n"
    "n=$4 gap=$5\n"
    "[ \"$n\" -gt 0 ] 2>/dev/null || { echo \"$state\"; exit 0; }\n"
    "case $(arping --help 2>&1) in\n"
    "*Habets*) setsid $as_root arping -U -c \"$n\" -W \"$gap\" -i \"$dev\" -S \"$vip\" \"$vip\" "
    "\\\n"
    "\t>/dev/null 2>&1 </dev/null & ;;\n"
    "*) (i=0; while [ \"$i\" -lt \"$n\" ]; do\n"
    "\t$as_root arping -U -c 1 -w 1 -I \"$dev\" -s \"$vip\" \"$vip\" >/dev/null 2>&1 </dev/null &\n"
    "\ti=$((i + 1)); sleep \"$gap\"; done) >/dev/null 2>&1 </dev/null & ;;\n"
    "esac\n"
    "echo \"$state\"\n";

/* Exit status of vip_del_sh when the VIP is not on the interface. */
#define VIP_DEL_ABSENT 10

/* Removes $1/$2 from $3; exits VIP_DEL_ABSENT when it is not there. */
static const char vip_del_sh[] =
    VIP_SCRIPT_PATH "[ -n \"$(ip -o addr show dev \"$3\" to \"$1\" 2>/dev/null)\" ] || exit 10\n"
                    "exec $as_root ip addr del \"$1/$2\" dev \"$3\"\n";

/*
 * Prints "here" when $1 is an address of this host, else the first ARP
 * reply for $1 on $3 ("60 bytes from MAC (IP): ..." from Habets' arping,
 * "Unicast reply from IP [MAC] ..." from iputils'), else nothing. Two
 * probes within two seconds: a host that is up answers the first.
 */
static const char vip_arp_sh[] = VIP_SCRIPT_PATH
    "[ -z \"$(ip -o addr show to \"$1\")\" ] || { echo here; exit 0; }\n"
    "command -v arping >/dev/null 2>&1 || { echo 'arping is not installed' >&2; exit 20; }\n"
    "case $(arping --help 2>&1) in\n"
    "*Habets*) out=$(arping -c 2 -w 2 -i \"$3\" \"$1\" 2>&1) ;;\n"
    "*) out=$(arping -c 2 -w 2 -I \"$3\" \"$1\" 2>&1) ;;\n"
    "esac\n"
    "printf '%s\\n' \"$out\" | grep -E 'bytes from|reply from' | head -n 1\n";

/* Every IPv4 address of the host, one line each. */
static const char vip_list_sh[] = VIP_SCRIPT_PATH "exec ip -o -4 addr show\n";

/*
 * Refuses values that a remote program could take for an option. Callers
 * validate properly (validate.h); this only keeps a mistake from turning
 * into an argument of ip or arping.
 */
static int
vip_check_args(
    const struct ssh_target *t, const char *vip, int prefix, const char *iface, char **cause)
{
	if (vip == NULL || *vip == '\0' || *vip == '-' || strchr(vip, '/') != NULL) {
		*cause = xasprintf("bad VIP '%s'", vip != NULL ? vip : "");
		return -1;
	}
	if (prefix < 1 || prefix > 32) {
		*cause = xasprintf("bad prefix length %d for VIP %s", prefix, vip);
		return -1;
	}
	if (iface != NULL && (*iface == '\0' || *iface == '-')) {
		*cause = xasprintf("bad interface '%s' for VIP %s on %s", iface, vip, t->host);
		return -1;
	}
	return 0;
}

/* The last line of a command's error output, without its newline, or "" (points into s). */
static const char *
vip_errtext(char *s)
{
	size_t len;
	char *nl;

	if (s == NULL)
		return "";
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
	nl = strrchr(s, '\n');
	return nl != NULL ? nl + 1 : s;
}

/*
 * Runs one of the VIP scripts on the host with VIP, prefix and interface as
 * its positional parameters. Returns 0 with the remote exit status and the
 * output (caller frees), or -1 with *cause.
 */
static int
vip_run(const struct ssh_target *t, const char *script, const char *vip, int prefix,
    const char *iface, char **out, char **err, int *status, char **cause)
{
	char pfx[16];
	const char *const argv[] = {"sh", "-c", script, "mhaadm-vip", vip, pfx, iface, NULL};

	if (vip_check_args(t, vip, prefix, iface, cause) != 0)
		return -1;
	if (iface == NULL) {
		*cause = xasprintf("no interface given for VIP %s on %s", vip, t->host);
		return -1;
	}
	snprintf(pfx, sizeof pfx, "%d", prefix);
	return ssh_run(t, argv, out, err, status, cause);
}

int
vip_add(const struct ssh_target *t, const char *vip, int prefix, const char *iface, char **cause)
{
	return vip_add_announce(t, vip, prefix, iface, VIP_GARP_COUNT, VIP_GARP_INTERVAL_MS, cause);
}

int
vip_add_announce(const struct ssh_target *t, const char *vip, int prefix, const char *iface,
    int garp_count, int garp_interval_ms, char **cause)
{
	char pfx[16], count[16], gap[32], *out = NULL, *err = NULL;
	const char *const argv[] = {
	    "sh", "-c", vip_add_sh, "mhaadm-vip", vip, pfx, iface, count, gap, NULL};
	int status, rc = -1;

	if (vip_check_args(t, vip, prefix, iface, cause) != 0)
		return -1;
	if (iface == NULL) {
		*cause = xasprintf("no interface given for VIP %s on %s", vip, t->host);
		return -1;
	}
	snprintf(pfx, sizeof(pfx), "%d", prefix);
	snprintf(count, sizeof(count), "%d", garp_count > 0 ? garp_count : 0);
	if (garp_interval_ms < 0)
		garp_interval_ms = 0;
	snprintf(gap, sizeof(gap), "%d.%03d", garp_interval_ms / 1000, garp_interval_ms % 1000);
	if (ssh_run(t, argv, &out, &err, &status, cause) != 0)
		return -1;
	if (status != 0) {
		*cause = xasprintf("cannot add VIP %s/%d on %s %s: %s", vip, prefix, t->host, iface,
		    *vip_errtext(err) != '\0' ? vip_errtext(err) : "failed");
		goto out;
	}
	if (strstr(out, "no-arping") != NULL) {
		/* The VIP is up; only the announcement is missing, so this is not a failure. */
		log_warn("VIP %s is up on %s but arping is not installed there: no gratuitous "
		         "ARP, clients may keep the old MAC for many seconds (install arping)",
		    vip, t->host);
	}
	rc = 0;

out:
	free(out);
	free(err);
	return rc;
}

int
vip_del(const struct ssh_target *t, const char *vip, int prefix, const char *iface, char **cause)
{
	char *out = NULL, *err = NULL;
	int status, rc = -1;

	if (vip_run(t, vip_del_sh, vip, prefix, iface, &out, &err, &status, cause) != 0)
		return -1;
	if (status == VIP_DEL_ABSENT)
		rc = 1;
	else if (status == 0)
		rc = 0;
	else
		*cause = xasprintf("cannot remove VIP %s/%d from %s %s: %s", vip, prefix, t->host,
		    iface, *vip_errtext(err) != '\0' ? vip_errtext(err) : "failed");
	free(out);
	free(err);
	return rc;
}

int
vip_host_addrs(const struct ssh_target *t, char **out, char **cause)
{
	const char *const argv[] = {"sh", "-c", vip_list_sh, "mhaadm-vip", NULL};
	char *err = NULL;
	int status, rc = -1;

	*out = NULL;
	if (vip_check_args(t, "0.0.0.0", 32, NULL, cause) != 0)
		return -1;
	if (ssh_run(t, argv, out, &err, &status, cause) != 0)
		return -1;
	if (status != 0) {
		*cause = xasprintf("cannot list the addresses of %s: %s", t->host,
		    *vip_errtext(err) != '\0' ? vip_errtext(err) : "ip failed");
		free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	free(err);
	return rc;
}

int
vip_addrs_have(const char *addrs, const char *vip)
{
	const char *p;
	size_t len = strlen(vip);

	/*
	 * Lines look like "2: eth0    inet 10.77.0.100/24 scope global eth0": the
	 * space before and the slash after keep 10.77.0.1 from matching 10.77.0.100.
	 */
	for (p = addrs; len > 0 && (p = strstr(p, vip)) != NULL; p += len) {
		if (p > addrs && p[-1] == ' ' && p[len] == '/')
			return 1;
	}
	return 0;
}

int
vip_held(const struct ssh_target *t, const char *vip, char **cause)
{
	char *out = NULL;
	int rc;

	if (vip_check_args(t, vip, 32, NULL, cause) != 0)
		return -1;
	if (vip_host_addrs(t, &out, cause) != 0)
		return -1;
	rc = vip_addrs_have(out, vip);
	free(out);
	return rc;
}

int
vip_answering(
    const struct ssh_target *t, const char *vip, const char *iface, char **who, char **cause)
{
	char *out = NULL, *err = NULL, *nl;
	int status, rc = -1;

	if (vip_run(t, vip_arp_sh, vip, 32, iface, &out, &err, &status, cause) != 0)
		return -1;
	if (status != 0) {
		*cause = xasprintf("cannot ask for VIP %s by ARP from %s %s: %s", vip, t->host,
		    iface, *vip_errtext(err) != '\0' ? vip_errtext(err) : "failed");
		goto out;
	}
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	if (strcmp(out, "here") == 0) {
		rc = 2;
	} else if (out[0] != '\0') {
		*who = xstrdup(out);
		rc = 1;
	} else {
		rc = 0;
	}
out:
	free(out);
	free(err);
	return rc;
}
