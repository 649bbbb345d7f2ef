/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The storm breaker's record of failovers started on this manager host, and its decision. */
#include "storm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"
#include "validate.h"
#include "xmalloc.h"

/* The record never grows past this: it holds one line per cluster within the window. */
#define STORM_RECORD_MAX (1024 * 1024)

/* Appends "EPOCH CLUSTER\n" to the growable *buf. */
static void
storm_append(char **buf, long long t, const char *cluster)
{
	char *tmp = xasprintf("%s%lld %s\n", *buf, t, cluster);

	free(*buf);
	*buf = tmp;
}

int
storm_decide(
    const char *text, const char *cluster, time_t now, int max, int window, char **kept, char **why)
{
	char *copy = xstrdup(text != NULL ? text : ""), *line, *save = NULL, *end, *name;
	char *out = xstrdup(""), *names = xstrdup(""), *seen = xstrdup("\n"), *tmp, *key;
	char *cause = NULL;
	long long t, first = 0;
	int n = 0, mine = 0;

	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		errno = 0;
		t = strtoll(line, &end, 10);
		if (end == line || errno != 0 || *end != ' ')
			continue;
		name = end + 1;
		if (validate_cluster_name(name, &cause) != 0) {
			free(cause);
			cause = NULL;
			continue;
		}
		/* Out of the window (or from a clock that went back far): forgotten. */
		if (t <= (long long)now - window || t > (long long)now + window)
			continue;
		if (strcmp(name, cluster) == 0) {
			mine = 1;
			storm_append(&out, t, name);
			continue;
		}
		/* Names hold no newline (validated), so "\nNAME\n" finds whole names only. */
		key = xasprintf("\n%s\n", name);
		if (strstr(seen, key) == NULL) {
			n++;
			tmp = xasprintf("%s%s\n", seen, name);
			free(seen);
			seen = tmp;
			tmp = xasprintf("%s%s%s", names, names[0] != '\0' ? ", " : "", name);
			free(names);
			names = tmp;
			if (first == 0 || t < first)
				first = t;
		} else if (t < first) {
			first = t;
		}
		free(key);
		storm_append(&out, t, name);
	}
	free(copy);
	free(seen);
	if (!mine && max > 0 && n >= max) {
		*why =
		    xasprintf("%d cluster%s started failing over within %d s on this manager host "
		              "(%s; storm_max_failovers = %d): further automatic failovers "
		              "pause for up to %lld s",
		        n, n == 1 ? "" : "s", window, names, max, first + window - (long long)now);
		free(names);
		*kept = out;
		return 1;
	}
	if (!mine)
		storm_append(&out, (long long)now, cluster);
	free(names);
	*kept = out;
	return 0;
}

int
storm_admit(const struct config *cfg, const char *cluster, time_t now, char **why, char **cause)
{
	char *path = NULL, *text = NULL, *kept = NULL;
	ssize_t n, len;
	size_t got = 0;
	int fd = -1, rc = -1;

	if (cfg->storm_max_failovers == 0)
		return 0;
	if (fs_mkdirs(cfg->workdir, 0700, cause) != 0)
		return -1;
	path = xasprintf("%s/storm", cfg->workdir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	/* Hooks of clusters failing at the same moment take turns here. */
	if (flock(fd, LOCK_EX) != 0) {
		*cause = xasprintf("cannot lock %s: %s", path, strerror(errno));
		goto out;
	}
	text = xmalloc(STORM_RECORD_MAX + 1);
	while (got < STORM_RECORD_MAX &&
	       (n = pread(fd, text + got, STORM_RECORD_MAX - got, (off_t)got)) > 0)
		got += (size_t)n;
	text[got] = '\0';
	rc = storm_decide(
	    text, cluster, now, cfg->storm_max_failovers, cfg->storm_window, &kept, why);
	len = (ssize_t)strlen(kept);
	if ((ftruncate(fd, 0) != 0 || pwrite(fd, kept, (size_t)len, 0) != len) && rc == 0) {
		/* Admitted but not counted: the caller goes on, and says so. */
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
out:
	if (fd >= 0)
		close(fd); /* releases the lock */
	free(kept);
	free(text);
	free(path);
	return rc;
}
