/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a configuration reload (SIGHUP) changes for a running daemon: a pure comparison. */
#ifndef MHAADM_RELOAD_H
#define MHAADM_RELOAD_H

struct config;

/* What the daemon must do to take a new configuration. */
struct reload_plan {
	int restart_notifier; /* the notification channels changed: the notifier starts anew */
};

/*
 * Compares the running configuration with the one just read. Returns 0
 * and fills *plan, or -1 with *cause when new_cfg changes something a
 * running daemon cannot take, in which case the daemon keeps old_cfg:
 * workdir (its lock, the engines' pid files and the spool live there) and
 * the registry settings (the daemon's registry thread keeps its
 * connection and its numbering of queued writes for the daemon's life).
 * Everything else takes effect at once (timeouts, intervals) or at an
 * engine's next start (MHA settings, credentials): running engines are
 * never restarted by a reload.
 */
int reload_plan(const struct config *old_cfg, const struct config *new_cfg,
    struct reload_plan *plan, char **cause);

#endif
