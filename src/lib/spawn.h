/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hardened fork/exec: every child mhaadm starts goes through here. */
#ifndef MHAADM_SPAWN_H
#define MHAADM_SPAWN_H

#include <sys/types.h>

struct spawn_opts {
	const char *const *envp; /* NULL: a minimal clean environment (PATH, LANG=C) */
	int stdout_fd;           /* -1: /dev/null */
	int stderr_fd;           /* -1: /dev/null */
	int new_pgrp;            /* child leads its own process group */
	int pdeathsig;           /* signal the child gets when the parent dies, 0 none */
	const char *cwd;         /* NULL: / */
};

/*
 * Starts argv[0] (an absolute path, or searched in the clean PATH) with
 * argv. The child closes every inherited fd except 0/1/2, resets signal
 * dispositions and mask, and stdin is /dev/null. Returns the pid, or -1
 * with *cause.
 */
pid_t spawn_start(const char *const *argv, const struct spawn_opts *opts, char **cause);

/*
 * Runs argv to completion with a timeout (seconds), capturing stdout and
 * stderr together into *output (newly allocated, NUL-terminated, capped at
 * 1 MiB) when output is not NULL. On timeout the process group gets TERM,
 * then KILL after 2 s. Returns 0 and sets *status (a wait status), or -1
 * with *cause (spawn failure or timeout: "timed out after N s").
 */
int spawn_run(const char *const *argv, const char *const *envp, int timeout, char **output,
    int *status, char **cause);

/* Sends TERM to the process group of pid, waits up to grace seconds, then KILL. Reaps it. */
void spawn_stop_group(pid_t pid, int grace);

#endif
