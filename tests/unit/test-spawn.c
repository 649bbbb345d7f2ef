/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for spawn.c: status, capture, timeouts, and what the child does not inherit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "xmalloc.h"

/* Runs argv with a timeout and asserts it ran; returns the output (freed by the caller). */
static char *
test_spawn_output(const char *const *argv, const char *const *envp, int *status)
{
	char *out = NULL, *cause = NULL;
	int st = -1;

	if (spawn_run(argv, envp, 10, &out, &st, &cause) != 0)
		fail_msg("spawn_run %s: %s", argv[0], cause);
	assert_null(cause);
	assert_non_null(out);
	if (status != NULL)
		*status = st;
	return out;
}

static double
test_spawn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether pid is gone: no such process, or a zombie that PID 1 has not reaped yet. */
static int
test_spawn_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && p[2] == 'Z';
}

static void
test_spawn_status(void **state)
{
	const char *const t[] = {"/bin/true", NULL};
	const char *const f[] = {"/bin/false", NULL};
	const char *const e[] = {"sh", "-c", "exit 42", NULL};
	char *cause = NULL;
	int st = -1;

	(void)state;
	assert_int_equal(spawn_run(t, NULL, 5, NULL, &st, &cause), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(spawn_run(f, NULL, 5, NULL, &st, &cause), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_int_equal(spawn_run(e, NULL, 5, NULL, &st, &cause), 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 42);
	assert_null(cause);
}

static void
test_spawn_capture(void **state)
{
	const char *const echo[] = {"echo", "hello", "world $(id)", NULL};
	const char *const both[] = {"sh", "-c", "echo out; echo err >&2; echo out2", NULL};
	const char *const quiet[] = {"true", NULL};
	char *out;

	(void)state;
	out = test_spawn_output(echo, NULL, NULL);
	assert_string_equal(out, "hello world $(id)\n");
	free(out);
	out = test_spawn_output(both, NULL, NULL);
	assert_string_equal(out, "out\nerr\nout2\n");
	free(out);
	out = test_spawn_output(quiet, NULL, NULL);
	assert_string_equal(out, "");
	free(out);
}

/* More than the cap is read (so the child never blocks) and dropped. */
static void
test_spawn_capture_cap(void **state)
{
	const char *const big[] = {"sh", "-c", "yes | head -c 3000000", NULL};
	char *out;
	int st;

	(void)state;
	out = test_spawn_output(big, NULL, &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(strlen(out), 1024 * 1024);
	free(out);
}

static void
test_spawn_timeout(void **state)
{
	const char *const sleep30[] = {"sleep", "30", NULL};
	char *out = NULL, *cause = NULL;
	double t0;
	int st = -1;

	(void)state;
	t0 = test_spawn_now();
	assert_int_equal(spawn_run(sleep30, NULL, 1, &out, &st, &cause), -1);
	assert_true(test_spawn_now() - t0 < 4.0);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "timed out"));
	assert_null(out);
	free(cause);
}

/* On timeout the whole process group goes, grandchildren included, and the child is reaped. */
static void
test_spawn_timeout_group(void **state)
{
	char path[] = "/tmp/mhaadm-test-spawn-XXXXXX";
	const char *const argv[] = {
	    "sh", "-c", "echo $$ > \"$1\"; sleep 30 & echo $! >> \"$1\"; wait", "sh", path, NULL};
	char *cause = NULL;
	long shpid = 0, sleeppid = 0;
	FILE *f;
	int fd, st, i;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(spawn_run(argv, NULL, 1, NULL, &st, &cause), -1);
	assert_non_null(strstr(cause, "timed out after 1 s"));
	free(cause);

	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &shpid, &sleeppid), 2);
	fclose(f);
	unlink(path);

	/* Our own child is reaped: not even a zombie is left. */
	assert_int_equal(kill((pid_t)shpid, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* The grandchild was killed; PID 1 may take a moment to reap it. */
	for (i = 0; i < 50 && !test_spawn_gone((pid_t)sleeppid); i++)
		usleep(20000);
	assert_true(test_spawn_gone((pid_t)sleeppid));
}

/* A background grandchild that keeps the pipe open does not hold spawn_run up. */
static void
test_spawn_background(void **state)
{
	const char *const argv[] = {"sh", "-c", "sleep 3 & echo done", NULL};
	char *out;
	double t0;

	(void)state;
	t0 = test_spawn_now();
	out = test_spawn_output(argv, NULL, NULL);
	assert_true(test_spawn_now() - t0 < 2.0);
	assert_string_equal(out, "done\n");
	free(out);
}

static void
test_spawn_fds(void **state)
{
	const char *const ls[] = {"ls", "/proc/self/fd", NULL};
	const char *const in[] = {"readlink", "/proc/self/fd/0", NULL};
	char *out, *line, *save = NULL;
	int fd, high, n = 0;

	(void)state;
	/* Neither descriptor has FD_CLOEXEC: only spawn keeps them from the child. */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd != -1);
	high = dup2(fd, 57);
	assert_int_equal(high, 57);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(fcntl(high, F_GETFD) & FD_CLOEXEC, 0);

	out = test_spawn_output(ls, NULL, NULL);
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (atoi(line) == 57 || (fd > 3 && atoi(line) == fd))
			fail_msg("fd %s was inherited", line);
		n++;
	}
	/* 0, 1, 2 and the directory ls itself opened. */
	assert_true(n <= 4);
	free(out);

	out = test_spawn_output(in, NULL, NULL);
	assert_string_equal(out, "/dev/null\n");
	free(out);
	close(high);
	close(fd);
}

static void
test_spawn_env(void **state)
{
	const char *const env[] = {"env", NULL};
	const char *const given[] = {"FOO=bar", NULL};
	char *out;

	(void)state;
	setenv("MHAADM_TEST_SECRET", "hunter2", 1);
	out = test_spawn_output(env, NULL, NULL);
	assert_string_equal(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C\n");
	free(out);
	out = test_spawn_output(env, given, NULL);
	assert_string_equal(out, "FOO=bar\n");
	free(out);
	unsetenv("MHAADM_TEST_SECRET");
}

/* Blocked and ignored signals of the parent are not passed on; the child starts in /. */
static void
test_spawn_signals_cwd(void **state)
{
	const char *const sig[] = {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL};
	const char *const pwd[] = {"/bin/pwd", NULL};
	sigset_t block, old;
	struct sigaction ign, oldint;
	char *out;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &oldint);

	out = test_spawn_output(sig, NULL, NULL);
	assert_string_equal(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	free(out);

	sigaction(SIGINT, &oldint, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	out = test_spawn_output(pwd, NULL, NULL);
	assert_string_equal(out, "/\n");
	free(out);
}

static void
test_spawn_errors(void **state)
{
	const char *const missing[] = {"mhaadm-no-such-program", NULL};
	const char *const relative[] = {"./x", NULL};
	char path[] = "/tmp/mhaadm-test-spawn-XXXXXX";
	const char *const noexec[] = {path, NULL};
	const char *const empty[] = {NULL};
	char *cause = NULL;
	int st, fd;

	(void)state;
	fd = mkstemp(path); /* mode 0600: not executable, even for root */
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(spawn_run(missing, NULL, 5, NULL, &st, &cause), -1);
	assert_non_null(strstr(cause, "not found"));
	free(cause);
	cause = NULL;
	assert_int_equal(spawn_run(relative, NULL, 5, NULL, &st, &cause), -1);
	assert_non_null(strstr(cause, "not an absolute path"));
	free(cause);
	cause = NULL;
	/* Fails in the child, at execve: the reason comes back through the error pipe. */
	assert_int_equal(spawn_run(noexec, NULL, 5, NULL, &st, &cause), -1);
	assert_non_null(strstr(cause, "Permission denied"));
	free(cause);
	unlink(path);
	cause = NULL;
	assert_int_equal(spawn_run(empty, NULL, 5, NULL, &st, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

static void
test_spawn_start_group(void **state)
{
	const char *const argv[] = {"sleep", "30", NULL};
	struct spawn_opts opts = {NULL, -1, -1, 1, SIGTERM, NULL};
	char *cause = NULL;
	pid_t pid;
	int st;

	(void)state;
	pid = spawn_start(argv, &opts, &cause);
	assert_true(pid > 0);
	assert_int_equal(getpgid(pid), pid);
	spawn_stop_group(pid, 1);
	assert_int_equal(waitpid(pid, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spawn_status),
	    cmocka_unit_test(test_spawn_capture),
	    cmocka_unit_test(test_spawn_capture_cap),
	    cmocka_unit_test(test_spawn_timeout),
	    cmocka_unit_test(test_spawn_timeout_group),
	    cmocka_unit_test(test_spawn_background),
	    cmocka_unit_test(test_spawn_fds),
	    cmocka_unit_test(test_spawn_env),
	    cmocka_unit_test(test_spawn_signals_cwd),
	    cmocka_unit_test(test_spawn_errors),
	    cmocka_unit_test(test_spawn_start_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
