/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The registry's DDL per dialect and version (registry-schema.c). */
#ifndef MHAADM_REGISTRY_SCHEMA_H
#define MHAADM_REGISTRY_SCHEMA_H

#include "db.h"
#include "registry.h"

/*
 * The statements that take a registry of dialect from version-1 to version,
 * NULL-terminated; NULL for a version this mhaadm does not know.
 */
const char *const *registry_schema_migration(enum db_dialect dialect, int version);

#endif
