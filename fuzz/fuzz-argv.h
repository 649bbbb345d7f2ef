/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the argv fuzzers: turns a fuzz input into an argv (NUL-separated words). */
#ifndef MHAADM_FUZZ_ARGV_H
#define MHAADM_FUZZ_ARGV_H

#include <stddef.h>
#include <stdint.h>

/* At most this many words; more are dropped (real command lines are short). */
#define FUZZ_ARGV_MAX 64

/*
 * Splits data at NUL bytes into at most FUZZ_ARGV_MAX newly allocated words
 * after the fixed words in prefix[0..nprefix). *argv is NULL-terminated and
 * freed with fuzz_argv_free(). Returns argc.
 */
int fuzz_argv_split(
    const uint8_t *data, size_t size, const char *const *prefix, int nprefix, char ***argv);
void fuzz_argv_free(int argc, char **argv);

#endif
