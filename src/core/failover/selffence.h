/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The self-fence: a small agent on the master host that demotes it when it is cut off. */
#ifndef MHAADM_SELFFENCE_H
#define MHAADM_SELFFENCE_H

#include <stddef.h>

/* Default of self_fence_seconds: well under MHA's ~6.4 s to declare a cut-off master dead. */
#define SELFFENCE_DEFAULT_SECONDS 3
/* Milliseconds between two rounds of the agent; each round's probes are bounded by it too. */
#define SELFFENCE_INTERVAL_MS 500
/* The most peers (the manager + replicas) an agent config may name. */
#define SELFFENCE_MAX_PEERS 64

/* What the agent knows of its peers: when each kind last answered (monotonic seconds). */
struct selffence_state {
	double manager_seen;  /* the manager's address answered (connected or refused) */
	double replicas_seen; /* at least one replica's mysqld port answered */
	double lost_since;    /* when both were last seen: the isolation started after it */
	int fenced;           /* 1 once every fence step succeeded: never undone by the agent */
};

/* What the agent does after a round. */
enum selffence_action {
	SELFFENCE_WATCH,  /* not isolated long enough: nothing */
	SELFFENCE_FENCE,  /* isolated for self_fence_seconds: fence (again, after a failed step) */
	SELFFENCE_FENCED, /* fenced already: nothing, whatever the peers say now */
};

/* The state of an agent started at now: everyone counts as seen then. */
void selffence_state_init(struct selffence_state *s, double now);

/*
 * The decision, a pure function of the round's results: manager_ok = the
 * manager answered, replicas_ok = how many replicas answered. Isolated =
 * neither the manager nor any replica answered since lost_since; once that
 * lasted seconds, FENCE until selffence_mark_fenced, then FENCED for ever:
 * peers that come back never unfence (a returning master stays read-only
 * until the manager has looked at it).
 */
enum selffence_action selffence_decide(
    struct selffence_state *s, double now, int manager_ok, size_t replicas_ok, int seconds);

/* Records that every fence step succeeded. */
void selffence_mark_fenced(struct selffence_state *s);

/* One peer the agent watches: "HOST:PORT" split. */
struct selffence_peer {
	char *host;
	int port;
};

/* The agent's configuration file (mode 0600: it holds a password). */
struct selffence_config {
	char *cluster;   /* for log lines: cluster=NAME */
	char *node;      /* HOST:PORT of the local mysqld as registered */
	char *host;      /* its host part: the TCP fallback for the local connection */
	int port;        /* its port */
	char *user;      /* account on the local mysqld (ha_user) */
	char *password;  /* secret, wiped by selffence_config_free */
	char *socket;    /* the local mysqld's unix socket, NULL: TCP only */
	char *vip;       /* the VIP to remove, NULL: none */
	int vip_prefix;  /* its prefix length */
	char *iface;     /* its interface */
	int seconds;     /* self_fence_seconds */
	int interval_ms; /* between rounds */
	struct selffence_peer manager;
	struct selffence_peer *replicas;
	size_t n_replicas;
};

/*
 * Parses the agent's configuration text (an INI file with one
 * [self-fence] section; "replica = HOST:PORT" repeated), named name in
 * messages. Returns a newly allocated config (selffence_config_free) or
 * NULL with *cause naming NAME:LINE; unknown keys and bad values are refused.
 */
struct selffence_config *selffence_config_parse(const char *text, const char *name, char **cause);

/*
 * Reads path: it must be a regular file owned by root or by us and not
 * readable or writable by group or others (it holds a password), then
 * parses it. Same result as selffence_config_parse.
 */
struct selffence_config *selffence_config_load(const char *path, char **cause);

/* The text of a config, as selffence_config_parse reads it (newly allocated; wipe it). */
char *selffence_config_render(const struct selffence_config *sc);

/* Frees the config, wiping the password. NULL is fine. */
void selffence_config_free(struct selffence_config *sc);

/* Splits "HOST:PORT" into *p (host newly allocated). Returns 0, or -1 with *cause. */
int selffence_peer_parse(const char *s, struct selffence_peer *p, char **cause);

/*
 * Runs the agent in this process until SIGTERM/SIGINT: a round every
 * interval_ms, the decision, the fence steps, a log line (stderr, no
 * secrets) for every change. Returns 0 when told to stop.
 */
int selffence_agent_run(const struct selffence_config *sc);

/*
 * Checks that the agent could fence: the local mysqld answers with the
 * config's account (socket, else TCP). Returns 0 (*how says which way,
 * static text), or -1 with *cause.
 */
int selffence_agent_check(const struct selffence_config *sc, const char **how, char **cause);

#endif
