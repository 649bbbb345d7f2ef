/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging to stderr with a verbosity level; every line about a cluster carries cluster=NAME. */
#ifndef MHAADM_LOG_H
#define MHAADM_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* syslog priorities, as journald reads them from a "<N>" line prefix (sd-daemon(3)). */
#define LOG_PRIO_ERR 3
#define LOG_PRIO_WARNING 4
#define LOG_PRIO_NOTICE 5
#define LOG_PRIO_INFO 6
#define LOG_PRIO_DEBUG 7

/* Sets the most verbose level that is printed (default LOG_LEVEL_WARN). */
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether messages at level are printed. */
int log_enabled(enum log_level level);

/*
 * Journal mode: every line starts with its priority as "<N>", which
 * journald (and any syslog reader of a service's stderr) turns into the
 * line's priority. The rule, a pure function: on when $JOURNAL_STREAM is
 * set (systemd connected stderr to the journal) or stderr is not a
 * terminal (a log file or pipe); off on a terminal, where people read.
 */
int log_journal_wanted(int stderr_is_tty, const char *journal_stream);
/* Decides journal mode for this process by log_journal_wanted (the daemon and its helpers). */
void log_journal_auto(void);
void log_journal_set(int on);
int log_journal_on(void);
/* "<N>" for priority in journal mode, else "" (a static string). */
const char *log_prefix(int priority);
/* The syslog priority of a log level. */
int log_level_priority(enum log_level level);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
