/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: running doctor's commands on a host (locally through spawn, on a node over
 * SSH) and replacing a Perl module there, with a backup first.
 */
#include "doctor-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "ssh.h"
#include "xmalloc.h"

/* Text without a trailing newline and with newlines as " / ", for one-line messages. */
char *
doctor_oneline(const char *s)
{
	char *out, *o;
	size_t len;

	if (s == NULL)
		return xstrdup("");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	out = xmalloc(len * 3 + 1);
	for (o = out; len > 0; s++, len--) {
		if (*s == '\n') {
			memcpy(o, " / ", 3);
			o += 3;
		} else if (*s != '\r') {
			*o++ = (unsigned char)*s < 0x20 ? ' ' : *s;
		}
	}
	*o = '\0';
	return out;
}

/*
 * Runs argv on the host, stdin_data (may be NULL) on its stdin (remote
 * only). *out gets the output (locally stdout and stderr together), *err
 * the remote stderr ("" locally). Returns 0 with the exit code in *code, or
 * -1 with *cause when the command could not run.
 */
int
doctor_exec_run(struct doctor_exec *x, const char *const *argv, const char *stdin_data, char **out,
    char **err, int *code, char **cause)
{
	int status;

	*out = NULL;
	*err = NULL;
	if (x->ssh != NULL) {
		if (ssh_conn_run(x->ssh, argv, stdin_data,
		        stdin_data != NULL ? strlen(stdin_data) : 0, out, err, code, cause) != 0)
			return -1;
		if (*out == NULL)
			*out = xstrdup("");
		if (*err == NULL)
			*err = xstrdup("");
		return 0;
	}
	if (stdin_data != NULL) {
		*cause = xstrdup("internal error: no stdin for local commands");
		return -1;
	}
	if (spawn_run(argv, NULL, x->timeout, out, &status, cause) != 0)
		return -1;
	if (*out == NULL)
		*out = xstrdup("");
	*err = xstrdup("");
	if (WIFEXITED(status))
		*code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*code = 128 + WTERMSIG(status);
	else
		*code = 255;
	return 0;
}

/* Reads a whole local file, at most DOCTOR_MODULE_MAX bytes. */
int
doctor_local_read(const char *path, char **text, char **cause)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = -1;

	*text = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(DOCTOR_MODULE_MAX + 1);
	for (;;) {
		r = read(fd, buf + len, DOCTOR_MODULE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > DOCTOR_MODULE_MAX) {
			*cause = xasprintf("%s is larger than %d bytes: not an MHA module", path,
			    DOCTOR_MODULE_MAX);
			goto out;
		}
	}
	if (memchr(buf, '\0', len) != NULL) {
		*cause = xasprintf("%s holds NUL bytes: not an MHA module", path);
		goto out;
	}
	buf[len] = '\0';
	*text = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Writes all of buf to fd. Returns 0 or -1 with errno. */
static int
doctor_write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Creates path (which must not exist) holding text, with the owner, mode
 * and (when times is not NULL) the times of st. Returns 0 or -1 with *cause.
 */
static int
doctor_local_create(const char *path, const char *text, const struct stat *st,
    const struct timespec *times, char **cause)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (doctor_write_all(fd, text, strlen(text)) != 0 ||
	    fchown(fd, st->st_uid, st->st_gid) != 0 || fchmod(fd, st->st_mode & 07777) != 0 ||
	    (times != NULL && futimens(fd, times) != 0) || fsync(fd) != 0) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) != 0) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * Replaces the module at path (on the manager host) with new_text: a
 * backup of old_text first (PATH.mhaadm-bak.STAMP, never overwriting one
 * that exists), then a temporary file beside it with the original's owner
 * and mode, which perl must compile, renamed over the original. A symlink
 * is followed: the file it points to is replaced. Returns 0 with the
 * backup's path in *backup, or -1 with *cause and the module unchanged.
 */
static int
doctor_local_replace(const char *path, const char *old_text, const char *new_text,
    const char *stamp, char **backup, char **cause)
{
	char *real = NULL, *bak = NULL, *tmp = NULL, *out = NULL, *dir = NULL, *e;
	const char *argv[] = {"perl", "-c", "--", NULL, NULL};
	struct timespec times[2];
	struct stat st;
	int status, rc = -1, fd;

	*backup = NULL;
	if ((real = realpath(path, NULL)) == NULL) {
		*cause = xasprintf("cannot resolve %s: %s", path, strerror(errno));
		goto out;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s is not a regular file", real);
		goto out;
	}
	bak = xasprintf("%s.mhaadm-bak.%s", real, stamp);
	tmp = xasprintf("%s.mhaadm-tmp.%ld", real, (long)getpid());
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (doctor_local_create(bak, old_text, &st, times, cause) != 0)
		goto out;
	if (doctor_local_create(tmp, new_text, &st, NULL, cause) != 0)
		goto out;
	argv[3] = tmp;
	if (spawn_run(argv, NULL, DOCTOR_LOCAL_TIMEOUT, &out, &status, cause) != 0) {
		unlink(tmp);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		e = doctor_oneline(out);
		*cause = xasprintf("the patched %s does not compile, left unchanged: %s", real, e);
		free(e);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, real) != 0) {
		*cause = xasprintf("cannot rename %s to %s: %s", tmp, real, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* Make the rename durable; failing to is not worth reporting. */
	dir = xstrdup(real);
	*strrchr(dir, '/') = '\0';
	if ((fd = open(*dir != '\0' ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	*backup = bak;
	bak = NULL;
	rc = 0;
out:
	free(real);
	free(bak);
	free(tmp);
	free(out);
	free(dir);
	return rc;
}

/*
 * The same on a node, as one fixed script with the path and the stamp as
 * positional parameters and the new text on stdin: nothing we read from
 * anywhere is ever part of a shell command. It prints the backup's path.
 * Exit 3: the backup exists; 4: the patched module does not compile.
 */
static const char doctor_remote_replace_sh[] =
    "set -e\n"
    "f=$(readlink -f -- \"$1\")\n"
    "b=\"$f.mhaadm-bak.$2\"\n"
    "t=\"$f.mhaadm-tmp.$$\"\n"
    "if [ -e \"$b\" ] || [ -h \"$b\" ]; then echo \"backup $b already exists\" >&2; exit 3; fi\n"
    "cp -p -- \"$f\" \"$b\"\n"
    "trap 'rm -f -- \"$t\"' EXIT\n"
    "umask 077\n"
    "cat > \"$t\"\n"
    "chown --reference=\"$f\" -- \"$t\"\n"
    "chmod --reference=\"$f\" -- \"$t\"\n"
    "if ! out=$(perl -c -- \"$t\" 2>&1); then\n"
    "\techo \"the patched $f does not compile, left unchanged: $out\" >&2\n"
    "\texit 4\n"
    "fi\n"
    "mv -f -- \"$t\" \"$f\"\n"
    "trap - EXIT\n"
    "echo \"$b\"\n";

static int
doctor_remote_replace(struct doctor_exec *x, const char *path, const char *new_text,
    const char *stamp, char **backup, char **cause)
{
	const char *argv[] = {"sh", "-c", doctor_remote_replace_sh, "sh", path, stamp, NULL};
	char *out = NULL, *err = NULL, *e;
	int code;

	*backup = NULL;
	if (doctor_exec_run(x, argv, new_text, &out, &err, &code, cause) != 0)
		return -1;
	if (code != 0) {
		e = doctor_oneline(err);
		*cause = xasprintf(
		    "cannot replace %s (exit %d): %s", path, code, *e != '\0' ? e : "no message");
		free(e);
		free(out);
		free(err);
		return -1;
	}
	*backup = doctor_oneline(out);
	free(out);
	free(err);
	return 0;
}

/* "20261127T120102Z": the UTC time, for backup names. */
static void
doctor_stamp(char *buf, size_t size)
{
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
}

/*
 * Applies patch p to text, the module at path on the host as just read, and
 * writes the result back there. Returns 0 with a newly allocated "what was
 * changed" in *changed, 1 when it was patched already, -1 with *cause.
 */
int
doctor_patch_file(struct doctor_exec *x, enum doctor_patch p, const char *path, const char *text,
    char **changed, char **cause)
{
	char *patched = NULL, *backup = NULL;
	char stamp[32];
	int r;

	*changed = NULL;
	if ((r = doctor_patch_apply(p, text, &patched, cause)) != 0)
		return r;
	doctor_stamp(stamp, sizeof(stamp));
	if (x->ssh == NULL)
		r = doctor_local_replace(path, text, patched, stamp, &backup, cause);
	else
		r = doctor_remote_replace(x, path, patched, stamp, &backup, cause);
	free(patched);
	if (r != 0)
		return -1;
	*changed = xasprintf(
	    "patched %s (%s); original saved as %s", path, doctor_patch_module(p), backup);
	free(backup);
	return 0;
}
