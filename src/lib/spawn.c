/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hardened fork/exec: every child mhaadm starts goes through here. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

/* The PATH children get, and the only one argv[0] is searched in. */
#define SPAWN_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* spawn_run keeps at most this much output; the rest is read and dropped. */
#define SPAWN_OUTPUT_MAX (1024 * 1024)

/* Seconds between TERM and KILL when spawn_run times out. */
#define SPAWN_RUN_GRACE 2

static const char *const spawn_clean_env[] = {
    "PATH=" SPAWN_PATH,
    "LANG=C",
    NULL,
};

/* What the child writes to the error pipe when it cannot get as far as execve. */
enum spawn_stage {
	SPAWN_STAGE_SETUP,
	SPAWN_STAGE_CHDIR,
	SPAWN_STAGE_EXEC,
};

struct spawn_failure {
	int stage;
	int error;
};

/*
 * Finds the program to execute: an absolute argv[0] as it is, a bare name in
 * SPAWN_PATH. A relative path with a slash is refused because the child
 * changes directory before execve. Returns a newly allocated path or NULL
 * with *cause.
 */
static char *
spawn_find(const char *name, char **cause)
{
	const char *dir, *end;
	char *path;

	if (name[0] == '/')
		return xstrdup(name);
	if (strchr(name, '/') != NULL) {
		*cause = xasprintf("cannot run %s: not an absolute path", name);
		return NULL;
	}
	if (*name == '\0') {
		*cause = xstrdup("cannot run an empty program name");
		return NULL;
	}
	for (dir = SPAWN_PATH; *dir != '\0'; dir = (*end == ':') ? end + 1 : end) {
		end = strchrnul(dir, ':');
		path = xasprintf("%.*s/%s", (int)(end - dir), dir, name);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	*cause = xasprintf("cannot run %s: not found in %s", name, SPAWN_PATH);
	return NULL;
}

/*
 * Closes every fd from lowfd up except keep, without allocating (this runs
 * between fork and exec). close_range when the kernel has it, else a walk of
 * /proc/self/fd with raw getdents64, else every fd up to RLIMIT_NOFILE.
 */
static void
spawn_close_from(int lowfd, int keep)
{
	char buf[1024];
	struct rlimit rl;
	long n, off, fd;
	int dirfd, first = lowfd;
	unsigned short reclen;
	const char *name;

#ifdef SYS_close_range
	if (keep > lowfd)
		syscall(SYS_close_range, (unsigned int)lowfd, (unsigned int)keep - 1, 0U);
	if (keep >= lowfd)
		first = keep + 1;
	if (syscall(SYS_close_range, (unsigned int)first, ~0U, 0U) == 0)
		return;
#else
	(void)first;
#endif

	dirfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd != -1) {
		while ((n = syscall(SYS_getdents64, dirfd, buf, sizeof buf)) > 0) {
			for (off = 0; off < n; off += reclen) {
				/* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name. */
				memcpy(&reclen, buf + off + 16, sizeof reclen);
				name = buf + off + 19;
				if (*name == '\0')
					continue;
				for (fd = 0; *name >= '0' && *name <= '9' && fd < INT_MAX; name++)
					fd = fd * 10 + (*name - '0');
				if (*name != '\0' || fd < lowfd || fd == keep || fd == dirfd)
					continue; /* "." and ".." */
				close((int)fd);
			}
		}
		close(dirfd);
		if (n == 0)
			return;
	}

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 1048576)
		rl.rlim_cur = 1048576;
	for (fd = lowfd; fd < (long)rl.rlim_cur; fd++) {
		if (fd != keep)
			close((int)fd);
	}
}

/* Tells the parent why the child gives up, then exits. Never returns. */
static void __attribute__((noreturn)) spawn_child_fail(int errfd, int stage)
{
	struct spawn_failure f;
	ssize_t n;

	f.stage = stage;
	f.error = errno;
	do
		n = write(errfd, &f, sizeof f);
	while (n == -1 && errno == EINTR);
	_exit(127);
}

/*
 * Puts fd on target (0, 1 or 2), or /dev/null when fd is -1. The source has
 * already been moved above 2, so dup2 always makes a fresh, inheritable
 * descriptor.
 */
static int
spawn_child_fd(int fd, int target)
{
	int null, rc;

	if (fd != -1)
		return dup2(fd, target) == -1 ? -1 : 0;
	null = open("/dev/null", target == 0 ? O_RDONLY : O_WRONLY);
	if (null == -1)
		return -1;
	if (null == target)
		return 0;
	rc = dup2(null, target);
	close(null);
	return rc == -1 ? -1 : 0;
}

/*
 * The child between fork and execve: only async-signal-safe calls, since
 * the parent may have threads. Never returns.
 */
static void __attribute__((noreturn)) spawn_child(const char *path, const char *const *argv,
    const struct spawn_opts *opts, pid_t parent, int errfd)
{
	struct sigaction sa;
	sigset_t none;
	int sig, out_fd = opts->stdout_fd, err_fd = opts->stderr_fd;

	/* A parent that runs with 0, 1 or 2 closed may have got the error pipe there. */
	if (errfd <= 2 && (errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3)) == -1)
		_exit(127);
	if (opts->new_pgrp && setpgid(0, 0) != 0)
		spawn_child_fail(errfd, SPAWN_STAGE_SETUP);

	/*
	 * The parent-death signal fires when the thread that forked exits, not
	 * only the process: callers use it from the thread that lives as long
	 * as the child. If the parent already died, the signal would never come.
	 */
	if (opts->pdeathsig != 0) {
		if (prctl(PR_SET_PDEATHSIG, opts->pdeathsig, 0, 0, 0) != 0)
			spawn_child_fail(errfd, SPAWN_STAGE_SETUP);
		if (getppid() != parent)
			_exit(127);
	}

	/* Handlers are reset while every signal is still blocked (the parent blocked them). */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sigaction(sig, &sa, NULL) == 0 || sig == SIGKILL || sig == SIGSTOP)
			continue;
		/*
		 * glibc refuses the signals it reserves (32, 33), but one the
		 * caller left ignored stays ignored across exec (seen under
		 * dpkg-buildpackage). The kernel call resets it: an all-zero
		 * kernel sigaction is SIG_DFL, no flags, an empty mask, on every
		 * architecture's layout.
		 */
		{
			static const unsigned long zero[8];

			syscall(SYS_rt_sigaction, sig, zero, NULL, (size_t)(NSIG - 1) / 8);
		}
	}

	/* Sources below 3 would be overwritten by the dup2 calls below: move them up first. */
	if (out_fd >= 0 && out_fd <= 2 && (out_fd = fcntl(out_fd, F_DUPFD, 3)) == -1)
		spawn_child_fail(errfd, SPAWN_STAGE_SETUP);
	if (err_fd >= 0 && err_fd <= 2 && (err_fd = fcntl(err_fd, F_DUPFD, 3)) == -1)
		spawn_child_fail(errfd, SPAWN_STAGE_SETUP);
	if (spawn_child_fd(-1, 0) != 0 || spawn_child_fd(out_fd, 1) != 0 ||
	    spawn_child_fd(err_fd, 2) != 0)
		spawn_child_fail(errfd, SPAWN_STAGE_SETUP);
	spawn_close_from(3, errfd);

	if (chdir(opts->cwd != NULL ? opts->cwd : "/") != 0)
		spawn_child_fail(errfd, SPAWN_STAGE_CHDIR);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	execve(path, (char *const *)argv,
	    (char *const *)(opts->envp != NULL ? opts->envp : spawn_clean_env));
	spawn_child_fail(errfd, SPAWN_STAGE_EXEC);
}

pid_t
spawn_start(const char *const *argv, const struct spawn_opts *opts, char **cause)
{
	struct spawn_opts defaults = {NULL, -1, -1, 0, 0, NULL};
	struct spawn_failure f;
	sigset_t all, old;
	char *path = NULL;
	pid_t pid = -1, parent = getpid();
	int errpipe[2] = {-1, -1}, status;
	ssize_t n;

	if (opts == NULL)
		opts = &defaults;
	if (argv == NULL || argv[0] == NULL) {
		*cause = xstrdup("cannot run an empty command");
		return -1;
	}
	if ((path = spawn_find(argv[0], cause)) == NULL)
		return -1;

	/* The child reports a failure before execve here; a successful execve closes it. */
	if (pipe2(errpipe, O_CLOEXEC) != 0) {
		*cause = xasprintf("cannot run %s: pipe: %s", argv[0], strerror(errno));
		goto out;
	}

	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(errpipe[0]);
		spawn_child(path, argv, opts, parent, errpipe[1]);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		*cause = xasprintf("cannot run %s: fork: %s", argv[0], strerror(errno));
		goto out;
	}
	/* Also here, so the group exists before the caller may signal it. */
	if (opts->new_pgrp)
		setpgid(pid, pid);

	close(errpipe[1]);
	errpipe[1] = -1;
	do
		n = read(errpipe[0], &f, sizeof f);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof f) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		pid = -1;
		if (f.stage == SPAWN_STAGE_EXEC)
			*cause = xasprintf("cannot run %s: %s", path, strerror(f.error));
		else if (f.stage == SPAWN_STAGE_CHDIR)
			*cause = xasprintf("cannot run %s: chdir %s: %s", argv[0],
			    opts->cwd != NULL ? opts->cwd : "/", strerror(f.error));
		else
			*cause = xasprintf("cannot run %s: %s", argv[0], strerror(f.error));
	}

out:
	if (errpipe[0] != -1)
		close(errpipe[0]);
	if (errpipe[1] != -1)
		close(errpipe[1]);
	free(path);
	return pid;
}

/* Milliseconds on the monotonic clock. */
static int64_t
spawn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An fd that polls readable when pid exits, or -1 when the kernel has no pidfd. */
static int
spawn_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/* Whether pid has exited, without reaping it (the zombie keeps its pid and group reserved). */
static int
spawn_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno != EINTR;
	return si.si_pid == pid;
}

/* Waits up to ms (-1: forever) for pid to exit, without reaping it. Returns 1 if it did. */
static int
spawn_wait_exit(pid_t pid, int pidfd, int64_t ms)
{
	int64_t deadline = ms < 0 ? -1 : spawn_now_ms() + ms, left;
	struct pollfd pfd;
	struct timespec ts = {0, 20 * 1000 * 1000};

	for (;;) {
		if (spawn_exited(pid))
			return 1;
		left = deadline < 0 ? -1 : deadline - spawn_now_ms();
		if (deadline >= 0 && left <= 0)
			return 0;
		if (pidfd != -1) {
			pfd.fd = pidfd;
			pfd.events = POLLIN;
			poll(&pfd, 1, left < 0 || left > INT_MAX ? -1 : (int)left);
		} else
			nanosleep(&ts, NULL);
	}
}

/* Signals the group led by pid, or pid alone when it leads none. */
static void
spawn_kill_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) != 0 && errno == ESRCH)
		kill(pid, sig);
}

/*
 * The group is killed while its leader is still an unreaped zombie, so pid
 * cannot have been reused by then and the signal reaches only what we
 * started.
 */
void
spawn_stop_group(pid_t pid, int grace)
{
	int pidfd, status;

	if (pid <= 0)
		return;
	pidfd = spawn_pidfd(pid);
	spawn_kill_group(pid, SIGTERM);
	spawn_wait_exit(pid, pidfd, grace < 0 ? 0 : (int64_t)grace * 1000);
	spawn_kill_group(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (pidfd != -1)
		close(pidfd);
}

/*
 * Appends what fd has to buf, keeping at most SPAWN_OUTPUT_MAX and dropping
 * the rest. Returns SPAWN_READ_EOF at end of file or on error, SPAWN_READ_AGAIN
 * when a non-blocking fd is empty, SPAWN_READ_DATA otherwise.
 */
enum spawn_read_result { SPAWN_READ_EOF, SPAWN_READ_AGAIN, SPAWN_READ_DATA };

static enum spawn_read_result
spawn_read(int fd, char **buf, size_t *len, size_t *cap)
{
	char chunk[16384];
	ssize_t n;
	size_t keep;

	n = read(fd, chunk, sizeof chunk);
	if (n == 0)
		return SPAWN_READ_EOF;
	if (n < 0) {
		if (errno == EINTR)
			return SPAWN_READ_DATA;
		return errno == EAGAIN ? SPAWN_READ_AGAIN : SPAWN_READ_EOF;
	}
	if (*len >= SPAWN_OUTPUT_MAX)
		return SPAWN_READ_DATA;
	keep = (size_t)n;
	if (keep > SPAWN_OUTPUT_MAX - *len)
		keep = SPAWN_OUTPUT_MAX - *len;
	if (*len + keep + 1 > *cap) {
		while (*len + keep + 1 > *cap)
			*cap = *cap == 0 ? 4096 : *cap * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, chunk, keep);
	*len += keep;
	return SPAWN_READ_DATA;
}

/*
 * The child leads its own group, so a timeout stops everything it started.
 * Output is read until EOF or until the child exits (then what is left in
 * the pipe is drained without waiting, so a background grandchild holding
 * the pipe does not hold us). A timeout of 0 or less waits for ever.
 */
int
spawn_run(const char *const *argv, const char *const *envp, int timeout, char **output, int *status,
    char **cause)
{
	struct spawn_opts opts = {envp, -1, -1, 1, SIGKILL, NULL};
	struct pollfd pfd[2];
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int64_t deadline, left;
	int pipefd[2] = {-1, -1}, pidfd = -1, rc = -1, open_pipe = 0, exited = 0, npfd;
	int st = 0, flags;
	pid_t pid = -1;

	if (output != NULL) {
		*output = NULL;
		if (pipe2(pipefd, O_CLOEXEC) != 0) {
			*cause = xasprintf("cannot run %s: pipe: %s",
			    argv != NULL && argv[0] != NULL ? argv[0] : "", strerror(errno));
			goto out;
		}
		opts.stdout_fd = opts.stderr_fd = pipefd[1];
	}
	deadline = timeout > 0 ? spawn_now_ms() + (int64_t)timeout * 1000 : -1;

	pid = spawn_start(argv, &opts, cause);
	if (pid == -1)
		goto out;
	if (pipefd[1] != -1) {
		close(pipefd[1]);
		pipefd[1] = -1;
		open_pipe = 1;
	}
	pidfd = spawn_pidfd(pid);

	while (open_pipe && !exited) {
		left = deadline < 0 ? -1 : deadline - spawn_now_ms();
		if (deadline >= 0 && left <= 0)
			break;
		npfd = 0;
		pfd[npfd].fd = pipefd[0];
		pfd[npfd++].events = POLLIN;
		if (pidfd != -1) {
			pfd[npfd].fd = pidfd;
			pfd[npfd++].events = POLLIN;
		} else if (left < 0 || left > 100)
			left = 100; /* no pidfd: look at the child now and then */
		if (poll(pfd, (nfds_t)npfd, left < 0 || left > INT_MAX ? -1 : (int)left) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents != 0)
			open_pipe = spawn_read(pipefd[0], &buf, &len, &cap) != SPAWN_READ_EOF;
		exited = spawn_exited(pid);
	}
	if (open_pipe && exited) {
		flags = fcntl(pipefd[0], F_GETFL);
		fcntl(pipefd[0], F_SETFL, flags | O_NONBLOCK);
		while (spawn_read(pipefd[0], &buf, &len, &cap) == SPAWN_READ_DATA)
			;
	}

	if (!exited) {
		left = deadline < 0 ? -1 : deadline - spawn_now_ms();
		if (deadline >= 0 && left < 0)
			left = 0;
		exited = spawn_wait_exit(pid, pidfd, left);
	}
	if (!exited) {
		spawn_stop_group(pid, SPAWN_RUN_GRACE);
		pid = -1;
		*cause = xasprintf("%s timed out after %d s", argv[0], timeout);
		goto out;
	}
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			*cause =
			    xasprintf("%s: lost its exit status: %s", argv[0], strerror(errno));
			pid = -1;
			goto out;
		}
	}
	pid = -1;
	*status = st;
	if (output != NULL) {
		if (buf == NULL)
			buf = xstrdup("");
		else
			buf[len] = '\0';
		*output = buf;
		buf = NULL;
	}
	rc = 0;

out:
	if (pidfd != -1)
		close(pidfd);
	if (pipefd[0] != -1)
		close(pipefd[0]);
	if (pipefd[1] != -1)
		close(pipefd[1]);
	free(buf);
	return rc;
}
