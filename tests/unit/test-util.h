/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What several unit tests set up the same way: a temporary mhaadm environment, a two-node cluster.
 */
#ifndef MHAADM_TEST_UTIL_H
#define MHAADM_TEST_UTIL_H

#include "registry.h"

struct config;

/* A test's temporary directory and a config whose SQLite registry, workdir and log_dir are in it.
 */
struct test_util_env {
	char dir[64];
	char *db; /* DIR/registry.db; nothing is created until a test opens it */
	struct config *cfg;
};

/* Makes /tmp/mhaadm-test-NAME-XXXXXX and env->cfg over it; fails the test when it cannot. */
void test_util_env_init(struct test_util_env *env, const char *name);

/* Frees what env owns (the directory stays, for a look after a failure). */
void test_util_env_clear(struct test_util_env *env);

/*
 * Fills c as cluster name with VIP 10.77.0.100/24 on eth0, master
 * 10.77.0.11:3306 and replica 10.77.0.12:3306 in nodes (which c borrows,
 * as it borrows every string: nothing to free).
 */
void test_util_cluster(struct registry_cluster *c, struct registry_node nodes[2], const char *name,
    enum registry_state state, enum registry_desired desired);

/*
 * Opens env's registry, creates its schema, adds the test_util_cluster
 * called name (with a cluster.added event) and closes it again.
 */
void test_util_add_cluster(const struct test_util_env *env, const char *name,
    enum registry_state state, enum registry_desired desired);

#endif
