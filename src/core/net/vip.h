/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtual IP on a host: add, remove, find, announce (gratuitous ARP), over SSH. */
#ifndef MHAADM_VIP_H
#define MHAADM_VIP_H

#include "ssh.h"

/*
 * Puts vip/prefix on iface of the host (ip addr add; already present is
 * fine) and sends VIP_GARP_COUNT gratuitous ARPs without waiting (arping
 * runs detached on the host). Returns 0, or -1 with *cause.
 */
int vip_add(
    const struct ssh_target *t, const char *vip, int prefix, const char *iface, char **cause);

/* Gratuitous ARPs vip_add sends, and their spacing (keepalived's count; config garp_*). */
#define VIP_GARP_COUNT 5
#define VIP_GARP_INTERVAL_MS 200

/*
 * vip_add with the announcement chosen: garp_count gratuitous ARPs (0:
 * none), garp_interval_ms apart, all sent by a background process on the
 * host, so the caller (a failover) never waits for them.
 */
int vip_add_announce(const struct ssh_target *t, const char *vip, int prefix, const char *iface,
    int garp_count, int garp_interval_ms, char **cause);

/* Removes vip from iface of the host; absent is fine (returns 1). -1 with *cause on error. */
int vip_del(
    const struct ssh_target *t, const char *vip, int prefix, const char *iface, char **cause);

/*
 * Lists every IPv4 address of the host ("ip -o -4 addr show" output) into
 * *out (newly allocated). Returns 0, or -1 with *cause.
 */
int vip_host_addrs(const struct ssh_target *t, char **out, char **cause);

/* 1 when the output of vip_host_addrs names vip as an address, else 0. */
int vip_addrs_have(const char *addrs, const char *vip);

/* Returns 1 when the host has vip on any interface, 0 when not, -1 with *cause. */
int vip_held(const struct ssh_target *t, const char *vip, char **cause);

/*
 * Asks, from host t, whether anything on iface's network answers ARP for
 * vip (arping, two probes, about 2 s). Returns 2 when t itself holds vip,
 * 1 when another machine answers (*who: its first reply line, newly
 * allocated), 0 when nobody does, -1 with *cause when it cannot tell.
 */
int vip_answering(
    const struct ssh_target *t, const char *vip, const char *iface, char **who, char **cause);

#endif
