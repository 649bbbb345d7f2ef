/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm self-fence --config FILE [--daemon|--install|--stop|--status]:
 * the self-fence agent on a master host (src/core/failover/selffence.h).
 * FILE (mode 0600) holds everything, the password included; nothing secret
 * is ever in argv, the environment or the log. Beside it: FILE.pid (locked
 * while an agent runs: one agent per FILE) and FILE.log. --install reads a
 * new FILE from stdin (how mhaadm start writes it through its SSH session),
 * checks it, writes it 0600, and (re)starts the agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fsutil.h"
#include "selffence.h"
#include "xmalloc.h"

/* Exit status of --status when no agent runs (LSB's "not running"). */
#define CMD_SELF_FENCE_NOT_RUNNING 3
/* Largest config --install takes from stdin. */
#define CMD_SELF_FENCE_STDIN_MAX (64 * 1024)

static const struct option cmd_self_fence_longopts[] = {
    {"config", required_argument, NULL, 'C'},
    {"daemon", no_argument, NULL, 'D'},
    {"install", no_argument, NULL, 'I'},
    {"stop", no_argument, NULL, 'S'},
    {"status", no_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

/*
 * The pid of the agent holding path's lock, 0 when none holds it, -1 with
 * *cause when the file cannot be opened (absent counts as none).
 */
static long
cmd_self_fence_running(const char *path, char **cause)
{
	char buf[32] = {0};
	ssize_t n;
	long pid = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd); /* nobody holds it: a stale file */
		return 0;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) > 0)
		pid = strtol(buf, NULL, 10);
	close(fd);
	return pid > 0 ? pid : 1;
}

/* Stops the agent of pidfile: TERM, up to 5 s, then KILL. Returns 0, or -1 with *cause. */
static int
cmd_self_fence_stop(const char *pidfile, int *was, char **cause)
{
	struct timespec tick = {0, 100000000};
	long pid;
	int i;

	*was = 0;
	if ((pid = cmd_self_fence_running(pidfile, cause)) <= 0)
		return pid < 0 ? -1 : 0;
	*was = 1;
	for (i = 0; i < 50 && cmd_self_fence_running(pidfile, cause) > 0; i++) {
		if (i == 0 && pid > 1)
			kill((pid_t)pid, SIGTERM);
		nanosleep(&tick, NULL);
	}
	if (cmd_self_fence_running(pidfile, cause) > 0 && pid > 1) {
		kill((pid_t)pid, SIGKILL);
		nanosleep(&tick, NULL);
	}
	if (cmd_self_fence_running(pidfile, cause) > 0) {
		*cause = xasprintf("the agent (pid %ld) did not stop", pid);
		return -1;
	}
	return 0;
}

/* Takes pidfile's lock and writes our pid into it; the fd (kept open), or -1 with *cause. */
static int
cmd_self_fence_lock(const char *pidfile, char **cause)
{
	long pid;
	int fd;

	fd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot open %s: %s", pidfile, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		pid = cmd_self_fence_running(pidfile, cause);
		*cause = xasprintf("an agent already runs for this config (pid %ld)", pid);
		return -1;
	}
	return fd;
}

static void
cmd_self_fence_write_pid(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		fprintf(
		    stderr, "mhaadm self-fence: cannot write the pid file: %s\n", strerror(errno));
}

/*
 * Starts the agent in the background: checks first that it can reach the
 * local server (so that start reports a config that could never fence),
 * then forks; the child leads a new session with stdout/stderr on FILE.log.
 */
static int
cmd_self_fence_daemon(
    struct cmd_ctx *ctx, const char *path, const struct selffence_config *sc, int background)
{
	char *pidfile = xasprintf("%s.pid", path), *logfile = xasprintf("%s.log", path);
	char *cause = NULL, ok = 0;
	const char *how = NULL;
	int lockfd = -1, logfd = -1, nullfd = -1, pfd[2] = {-1, -1}, rc = CMD_EXIT_ERROR;
	pid_t pid;

	if (selffence_agent_check(sc, &how, &cause) != 0) {
		cmd_error(ctx, "cluster '%s': the agent could not fence %s: %s", sc->cluster,
		    sc->node, cause);
		goto out;
	}
	if ((lockfd = cmd_self_fence_lock(pidfile, &cause)) < 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (!background) {
		cmd_self_fence_write_pid(lockfd);
		rc = selffence_agent_run(sc) == 0 ? CMD_EXIT_OK : CMD_EXIT_ERROR;
		unlink(pidfile);
		goto out;
	}
	logfd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0 || pipe2(pfd, O_CLOEXEC) != 0) {
		cmd_error(ctx, "cannot open %s: %s", logfile, strerror(errno));
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		cmd_error(ctx, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		dup2(nullfd, STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		cmd_self_fence_write_pid(lockfd);
		ok = 'k';
		if (write(pfd[1], &ok, 1) != 1)
			_exit(1);
		close(pfd[1]);
		fprintf(stderr,
		    "mhaadm self-fence: started (pid %ld), reaching the local server "
		    "by %s\n",
		    (long)getpid(), how);
		_exit(selffence_agent_run(sc) == 0 ? 0 : 1);
	}
	close(pfd[1]);
	pfd[1] = -1;
	if (read(pfd[0], &ok, 1) != 1 || ok != 'k') {
		cmd_error(ctx, "the agent did not start (see %s)", logfile);
		goto out;
	}
	printf("cluster '%s': self-fence agent started on %s (pid %ld, local server by %s, "
	       "fences after %d s without the manager and every replica); log %s\n",
	    sc->cluster, sc->node, (long)pid, how, sc->seconds, logfile);
	rc = CMD_EXIT_OK;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (nullfd >= 0)
		close(nullfd);
	if (logfd >= 0)
		close(logfd);
	if (lockfd >= 0)
		close(lockfd);
	free(cause);
	free(pidfile);
	free(logfile);
	return rc;
}

/* --install: a new FILE from stdin, checked, written 0600; the running agent stopped. */
static int
cmd_self_fence_install(struct cmd_ctx *ctx, const char *path, struct selffence_config **out)
{
	static char text[CMD_SELF_FENCE_STDIN_MAX + 1];
	char *cause = NULL, *pidfile = NULL;
	size_t len = 0;
	ssize_t n;
	int was, rc = -1;

	while ((n = read(STDIN_FILENO, text + len, CMD_SELF_FENCE_STDIN_MAX - len)) > 0)
		len += (size_t)n;
	text[len] = '\0';
	if (n < 0 || len >= CMD_SELF_FENCE_STDIN_MAX) {
		cmd_error(ctx, "cannot read the config from stdin: %s",
		    n < 0 ? strerror(errno) : "larger than 64 KiB");
		goto out;
	}
	if ((*out = selffence_config_parse(text, "stdin", &cause)) == NULL) {
		cmd_error(ctx, "%s (nothing written)", cause);
		goto out;
	}
	pidfile = xasprintf("%s.pid", path);
	if (cmd_self_fence_stop(pidfile, &was, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	if (fs_write_atomic(path, text, len, &cause) != 0) {
		cmd_error(ctx, "%s", cause);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		selffence_config_free(*out);
		*out = NULL;
	}
	explicit_bzero(text, sizeof(text));
	free(pidfile);
	free(cause);
	return rc;
}

static int
cmd_self_fence_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct selffence_config *sc = NULL;
	const char *path = NULL;
	char *cause = NULL, *pidfile = NULL;
	int opt, mode = 0, rc = CMD_EXIT_ERROR, was;
	long pid;

	cmd_getopt_reset();
	while ((opt = cmd_getopt(ctx, argc, argv)) != -1) {
		if (opt == 'C')
			path = optarg;
		else if (opt == 'D' || opt == 'I' || opt == 'S' || opt == 's') {
			if (mode != 0)
				return cmd_usage_error(ctx,
				    "use one of --daemon, --install, --stop, "
				    "--status");
			mode = opt;
		} else
			return cmd_bad_option(ctx, argc, argv);
	}
	if (optind != argc)
		return cmd_usage_error(ctx, "too many arguments");
	if (path == NULL || *path != '/')
		return cmd_usage_error(
		    ctx, "--config needs the absolute path of the agent's config");
	pidfile = xasprintf("%s.pid", path);
	switch (mode) {
	case 's':
		if ((pid = cmd_self_fence_running(pidfile, &cause)) < 0) {
			cmd_error(ctx, "%s", cause);
			break;
		}
		if (pid == 0) {
			printf("not running\n");
			rc = CMD_SELF_FENCE_NOT_RUNNING;
		} else {
			printf("running (pid %ld)\n", pid);
			rc = CMD_EXIT_OK;
		}
		break;
	case 'S':
		if (cmd_self_fence_stop(pidfile, &was, &cause) != 0)
			cmd_error(ctx, "%s", cause);
		else {
			printf("%s\n", was ? "stopped" : "not running");
			rc = CMD_EXIT_OK;
		}
		break;
	case 'I':
		if (cmd_self_fence_install(ctx, path, &sc) == 0)
			rc = cmd_self_fence_daemon(ctx, path, sc, 1);
		break;
	default:
		if ((sc = selffence_config_load(path, &cause)) == NULL) {
			cmd_error(ctx, "%s", cause);
			break;
		}
		rc = cmd_self_fence_daemon(ctx, path, sc, mode == 'D');
		break;
	}
	selffence_config_free(sc);
	free(cause);
	free(pidfile);
	return rc;
}

const struct cmd_entry cmd_self_fence_entry = {
    .name = "self-fence",
    .args = "--config FILE [--daemon|--install|--stop|--status]",
    .summary = "the self-fence agent on a master host (installed by start)",
    .shortopts = "",
    .longopts = cmd_self_fence_longopts,
    .exec = cmd_self_fence_exec,
};
