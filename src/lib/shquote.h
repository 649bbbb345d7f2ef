/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one audited quoting function: argv → a POSIX shell command line. */
#ifndef MHAADM_SHQUOTE_H
#define MHAADM_SHQUOTE_H

/*
 * Quotes one argument for a POSIX shell: the result, read by sh, is exactly
 * s. Every argument is wrapped in single quotes; a single quote inside
 * becomes '\''. Returns a newly allocated string.
 */
char *shquote(const char *s);

/*
 * Quotes each element of a NULL-terminated argv and joins them with spaces.
 * Returns a newly allocated string; NULL argv or an empty one gives "".
 */
char *shquote_argv(const char *const *argv);

#endif
