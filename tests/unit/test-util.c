/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What several unit tests set up the same way (test-util.h). */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "registry.h"
#include "test-util.h"
#include "xmalloc.h"

void
test_util_env_init(struct test_util_env *env, const char *name)
{
	char *text, *cause = NULL;

	memset(env, 0, sizeof(*env));
	snprintf(env->dir, sizeof(env->dir), "/tmp/mhaadm-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(env->dir));
	env->db = xasprintf("%s/registry.db", env->dir);
	text = xasprintf("ha_user = mha\nregistry_path = %s\nworkdir = %s\nlog_dir = %s\n", env->db,
	    env->dir, env->dir);
	env->cfg = config_parse_string(text, "test.cnf", &cause);
	if (env->cfg == NULL)
		fail_msg("test config: %s", cause);
	free(text);
}

static int
test_util_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

void
test_util_env_clear(struct test_util_env *env)
{
	/* The test's directory and all it left there (registry, spool, journals). */
	if (env->dir[0] != '\0')
		nftw(env->dir, test_util_rm, 16, FTW_DEPTH | FTW_PHYS);
	config_free(env->cfg);
	free(env->db);
	memset(env, 0, sizeof(*env));
}

void
test_util_cluster(struct registry_cluster *c, struct registry_node nodes[2], const char *name,
    enum registry_state state, enum registry_desired desired)
{
	memset(c, 0, sizeof(*c));
	memset(nodes, 0, 2 * sizeof(*nodes));
	nodes[0].host = (char *)"10.77.0.11";
	nodes[0].port = 3306;
	nodes[0].role = REGISTRY_ROLE_MASTER;
	nodes[1].host = (char *)"10.77.0.12";
	nodes[1].port = 3306;
	nodes[1].role = REGISTRY_ROLE_REPLICA;
	c->name = (char *)name;
	c->vip = (char *)"10.77.0.100";
	c->vip_prefix = 24;
	c->iface = (char *)"eth0";
	c->state = state;
	c->desired = desired;
	c->nodes = nodes;
	c->n_nodes = 2;
}

void
test_util_add_cluster(const struct test_util_env *env, const char *name, enum registry_state state,
    enum registry_desired desired)
{
	struct registry_cluster c;
	struct registry_node nodes[2];
	struct registry_event ev = {0};
	struct registry *reg;
	char *cause = NULL;

	reg = registry_open(env->cfg, 0, &cause);
	if (reg == NULL)
		fail_msg("test registry: %s", cause);
	assert_int_equal(registry_init(reg, &cause), 0);
	test_util_cluster(&c, nodes, name, state, desired);
	ev.type = (char *)"cluster.added";
	ev.message = (char *)"added";
	assert_int_equal(registry_cluster_add(reg, &c, &ev, &cause), 0);
	registry_close(reg);
}
