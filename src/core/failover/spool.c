/* Spooled registry updates: written by hooks when the registry is away, applied by the daemon. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

static char *
spool_dir(const struct config *cfg)
{
	return xasprintf("%s/spool", cfg->workdir);
}

int
spool_write_master(const struct config *cfg, const char *cluster, const char *host, int port,
    const char *message, char **cause)
{
	char *dir = spool_dir(cfg), *tmp = NULL, *path = NULL;
	FILE *f = NULL;
	int fd, rc = -1;

	mkdir(cfg->workdir, 0700);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	/* The name sorts by time, so updates are applied in the order they happened. */
	path = xasprintf("%s/%010lld-%ld-%s.master", dir, (long long)time(NULL), (long)getpid(),
	    cluster);
	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fprintf(f, "%s\n%s\n%d\n%s\n", cluster, host, port, message);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
		f = NULL;
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		*cause = xasprintf("cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself must survive a crash: this record is a failover's only trace. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	free(dir);
	return rc;
}

static int
spool_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 7 && strcmp(de->d_name + n - 7, ".master") == 0;
}

/* Reads one line (without newline) into a new string; NULL at EOF. */
static char *
spool_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	n = getline(&line, &cap, f);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	if (line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

int
spool_apply(struct registry *reg, const struct config *cfg)
{
	struct registry_event ev = { 0 };
	struct dirent **names = NULL;
	char *dir = spool_dir(cfg), *path, *cluster, *host, *port, *message, *cause = NULL;
	FILE *f;
	int n, i, applied = 0, r, p;

	n = scandir(dir, &names, spool_filter, alphasort);
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, names[i]->d_name);
		f = fopen(path, "re");
		cluster = host = port = message = NULL;
		if (f == NULL) {
			/* Unreadable now (EMFILE, EACCES): keep it for the next pass. */
			fprintf(stderr, "mhaadm: spool: cannot read %s: %s\n", path, strerror(errno));
			free(path);
			free(names[i]);
			continue;
		}
		{
			cluster = spool_line(f);
			host = spool_line(f);
			port = spool_line(f);
			message = spool_line(f);
			fclose(f);
		}
		if (cluster == NULL || host == NULL || port == NULL ||
		    validate_cluster_name(cluster, &cause) != 0 ||
		    validate_port(port, &p, &cause) != 0) {
			fprintf(stderr, "mhaadm: spool: ignoring malformed %s\n", path);
			free(cause);
			cause = NULL;
			unlink(path);
		} else {
			ev.cluster = cluster;
			ev.type = (char *)"failover.master_changed";
			ev.message = xasprintf("%s (recorded late: the registry was unavailable)",
			    message != NULL ? message : "master changed");
			r = registry_cluster_set_master(reg, cluster, host, p,
			    REGISTRY_STATE_FAILING_OVER, &ev, &cause);
			if (r == 0 || r == 1) {
				if (r == 1)
					fprintf(stderr, "mhaadm: spool: cluster %s or node %s:%d no "
							"longer in the registry; dropped %s\n",
					    cluster, host, p, path);
				else
					event_emit(NULL, cluster, NULL, "registry.caught_up",
					    "applied spooled update: master is %s:%d", host, p);
				unlink(path);
				applied++;
			} else {
				fprintf(stderr, "mhaadm: spool: %s stays: %s\n", path, cause);
				free(cause);
				cause = NULL;
			}
			free(ev.message);
		}
		free(cluster);
		free(host);
		free(port);
		free(message);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	return applied;
}
