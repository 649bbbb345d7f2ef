/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The supervisor: reconciles the registry's desired state with running engines. */
#ifndef MHAADM_DAEMON_H
#define MHAADM_DAEMON_H

#include <sys/types.h>

#include "engine.h"

/*
 * Runs the supervisor in the foreground until SIGTERM/SIGINT. Engines keep
 * running when it exits (a restarted daemon adopts them). Returns 0, or -1
 * with *cause when it cannot start (e.g. another daemon runs).
 */
int daemon_run(const struct engine_env *env, char **cause);

/*
 * The pid of the running daemon for this config's workdir, 0 when none.
 * Judged by the daemon's lock, not by a pid file alone.
 */
pid_t daemon_running(const struct config *cfg);

#endif
