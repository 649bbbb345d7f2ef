/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The spool: events and master changes kept while the registry is away, then applied in order. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "registry.h"
#include "validate.h"
#include "xmalloc.h"

/* Files written by this process so far: orders two records of one nanosecond. */
static unsigned int spool_seq;

static char *
spool_dir(const struct config *cfg)
{
	return xasprintf("%s/spool", cfg->workdir);
}

/*
 * Writes content as a new spool record of kind ("master", "event") for
 * cluster, durably (fsync of the file and of the directory) and atomically
 * (rename), so the daemon never reads half a record. The name sorts by the
 * time it was written ("SECONDS.NANOSECONDS-PID-SEQ-CLUSTER.KIND"; records
 * of older versions, "SECONDS-PID-CLUSTER.master", sort before those of the
 * same second), which is the order records are applied in. 0 or -1.
 */
static int
spool_write(const struct config *cfg, const char *kind, const char *cluster, const char *content,
    char **cause)
{
	char *dir = spool_dir(cfg), *tmp = NULL, *path = NULL;
	struct timespec ts;
	char *scratch = NULL;
	FILE *f = NULL;
	int fd, rc = -1;

	if (mkdir(cfg->workdir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", cfg->workdir, strerror(errno));
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	/* Only a valid cluster name goes into a file name; the record holds the real one. */
	if (cluster == NULL || validate_cluster_name(cluster, &scratch) != 0)
		cluster = "-";
	free(scratch);
	clock_gettime(CLOCK_REALTIME, &ts);
	path = xasprintf("%s/%010lld.%09ld-%ld-%06u-%s.%s", dir, (long long)ts.tv_sec,
	    (long)ts.tv_nsec, (long)getpid(), spool_seq++, cluster, kind);
	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fputs(content, f);
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

int
spool_write_master(const struct config *cfg, const char *cluster, const char *host, int port,
    const char *message, char **cause)
{
	char *content = xasprintf("%s\n%s\n%d\n%s\n", cluster, host, port, message);
	int rc;

	rc = spool_write(cfg, "master", cluster, content, cause);
	free(content);
	return rc;
}

/* Adds key = s (a string, or JSON null for NULL) to o. */
static void
spool_json_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s != NULL ? json_object_new_string(s) : NULL);
}

int
spool_write_event(const struct config *cfg, const struct registry_event *ev, char **cause)
{
	struct json_object *o = json_object_new_object(), *fields = json_object_new_object();
	char stamp[32];
	struct tm tm;
	time_t now;
	size_t i;
	int rc;

	/* When it happened, not when the registry got it. */
	if (ev->at == NULL) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	}
	spool_json_str(o, "at", ev->at != NULL ? ev->at : stamp);
	spool_json_str(o, "cluster", ev->cluster);
	spool_json_str(o, "node", ev->node);
	spool_json_str(o, "type", ev->type);
	spool_json_str(o, "message", ev->message);
	for (i = 0; i < ev->n_fields; i++)
		spool_json_str(fields, ev->fields[i].key, ev->fields[i].value);
	json_object_object_add(o, "fields", fields);
	rc = spool_write(cfg, "event", ev->cluster,
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), cause);
	json_object_put(o);
	return rc;
}

static int
spool_kind(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

static int
spool_filter(const struct dirent *de)
{
	return spool_kind(de->d_name, ".master") || spool_kind(de->d_name, ".event");
}

int
spool_pending(const struct config *cfg)
{
	char *dir = spool_dir(cfg);
	struct dirent *de;
	int found = 0;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while (!found && (de = readdir(d)) != NULL)
			found = spool_filter(de);
		closedir(d);
	}
	free(dir);
	return found;
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

/* What applying one record came to. */
enum spool_result {
	SPOOL_APPLIED, /* in the registry now (or no longer meaningful): remove it */
	SPOOL_BAD,     /* unreadable garbage: remove it */
	SPOOL_KEEP,    /* the registry refused for now: keep it, and everything after it */
};

/*
 * Applies one spooled master change. With manager HA, the spool is this
 * manager's (its workdir): the record says so (field manager), as the
 * one written at once does.
 */
static enum spool_result
spool_apply_master(struct registry *reg, const struct config *cfg, FILE *f, const char *path)
{
	struct registry_event ev = {0};
	char *cluster, *host, *port, *message, *cause = NULL;
	enum spool_result res;
	int r, p;

	cluster = spool_line(f);
	host = spool_line(f);
	port = spool_line(f);
	message = spool_line(f);
	if (cluster == NULL || host == NULL || port == NULL ||
	    validate_cluster_name(cluster, &cause) != 0 || validate_port(port, &p, &cause) != 0) {
		fprintf(stderr, "mhaadm: spool: ignoring malformed %s\n", path);
		res = SPOOL_BAD;
		goto out;
	}
	ev.cluster = cluster;
	ev.type = (char *)"failover.master_changed";
	ev.message = xasprintf("%s (recorded late: the registry was unavailable)",
	    message != NULL ? message : "master changed");
	if (cfg->registry == CONFIG_REGISTRY_MYSQL && cfg->manager_ha && cfg->manager_name != NULL)
		registry_event_field_set(&ev, "manager", cfg->manager_name);
	r = registry_cluster_set_master(
	    reg, cluster, host, p, REGISTRY_STATE_FAILING_OVER, &ev, &cause);
	free(ev.message);
	ev.message = NULL;
	registry_event_fields_free(&ev);
	if (r == 1)
		fprintf(stderr,
		    "mhaadm: spool: cluster %s or node %s:%d no longer in the registry; "
		    "dropped %s\n",
		    cluster, host, p, path);
	else if (r == 0)
		log_info(
		    "spool: cluster=%s applied spooled update: master is %s:%d", cluster, host, p);
	else
		fprintf(stderr, "mhaadm: spool: %s stays: %s\n", path, cause);
	res = r == -1 ? SPOOL_KEEP : SPOOL_APPLIED;
out:
	free(cause);
	free(cluster);
	free(host);
	free(port);
	free(message);
	return res;
}

/* The string member key of o, or NULL. */
static const char *
spool_json_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static enum spool_result
spool_apply_event(struct registry *reg, const char *path)
{
	struct registry_event ev = {0};
	struct json_object *o, *fields = NULL;
	char *cause = NULL;
	enum spool_result res = SPOOL_APPLIED;

	o = json_object_from_file(path);
	if (o == NULL || (ev.type = (char *)spool_json_get(o, "type")) == NULL) {
		fprintf(stderr, "mhaadm: spool: ignoring malformed %s\n", path);
		json_object_put(o);
		return SPOOL_BAD;
	}
	ev.at = (char *)spool_json_get(o, "at");
	ev.cluster = (char *)spool_json_get(o, "cluster");
	ev.node = (char *)spool_json_get(o, "node");
	ev.message = (char *)spool_json_get(o, "message");
	if (json_object_object_get_ex(o, "fields", &fields) &&
	    json_object_is_type(fields, json_type_object)) {
		json_object_object_foreach(fields, key, val)
		{
			if (val != NULL && json_object_is_type(val, json_type_string))
				registry_event_field_set(&ev, key, json_object_get_string(val));
		}
	}
	if (registry_event_add(reg, &ev, &cause) != 0) {
		fprintf(stderr, "mhaadm: spool: %s stays: %s\n", path, cause);
		free(cause);
		res = SPOOL_KEEP;
	}
	registry_event_fields_free(&ev);
	json_object_put(o);
	return res;
}

/*
 * Takes the spool's lock without waiting: one applier at a time, so a record
 * is applied once. Returns the lock's fd, or -1 when another process holds
 * it (it applies what is there) or the lock cannot be made.
 */
static int
spool_lock(const char *dir)
{
	char *path = xasprintf("%s/.lock", dir);
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int
spool_apply(struct registry *reg, const struct config *cfg)
{
	struct dirent **names = NULL;
	char *dir = spool_dir(cfg), *path;
	enum spool_result res = SPOOL_APPLIED;
	FILE *f;
	int n, i, applied = 0, lock;

	n = scandir(dir, &names, spool_filter, alphasort);
	lock = n > 0 ? spool_lock(dir) : -1;
	for (i = 0; i < n; i++) {
		/* In order or not at all: after a record that stays, everything stays. */
		if (lock < 0 || res == SPOOL_KEEP) {
			free(names[i]);
			continue;
		}
		path = xasprintf("%s/%s", dir, names[i]->d_name);
		if (spool_kind(path, ".event"))
			res = access(path, F_OK) == 0 ? spool_apply_event(reg, path) : SPOOL_BAD;
		else if ((f = fopen(path, "re")) != NULL) {
			res = spool_apply_master(reg, cfg, f, path);
			fclose(f);
		} else if (errno == ENOENT)
			res = SPOOL_BAD; /* applied by the holder of the lock before us */
		else {
			/* Unreadable now (EMFILE, EACCES): keep it, and the order, for the next
			 * pass. */
			fprintf(
			    stderr, "mhaadm: spool: cannot read %s: %s\n", path, strerror(errno));
			res = SPOOL_KEEP;
		}
		if (res != SPOOL_KEEP) {
			unlink(path);
			if (res == SPOOL_APPLIED)
				applied++;
		}
		free(path);
		free(names[i]);
	}
	if (lock >= 0)
		close(lock);
	free(names);
	free(dir);
	return applied;
}
