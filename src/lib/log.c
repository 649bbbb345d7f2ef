/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging to stderr with a verbosity level, with journald priority prefixes when asked. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static enum log_level log_level = LOG_LEVEL_WARN;
static int log_journal;

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_enabled(enum log_level level)
{
	return level <= log_level;
}

int
log_journal_wanted(int stderr_is_tty, const char *journal_stream)
{
	return journal_stream != NULL || !stderr_is_tty;
}

void
log_journal_auto(void)
{
	log_journal = log_journal_wanted(isatty(STDERR_FILENO), getenv("JOURNAL_STREAM"));
}

void
log_journal_set(int on)
{
	log_journal = on;
}

int
log_journal_on(void)
{
	return log_journal;
}

const char *
log_prefix(int priority)
{
	static const char *prefixes[] = {"<0>", "<1>", "<2>", "<3>", "<4>", "<5>", "<6>", "<7>"};

	if (!log_journal || priority < 0 || priority > 7)
		return "";
	return prefixes[priority];
}

int
log_level_priority(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return LOG_PRIO_ERR;
	case LOG_LEVEL_WARN:
		return LOG_PRIO_WARNING;
	case LOG_LEVEL_INFO:
		return LOG_PRIO_INFO;
	case LOG_LEVEL_DEBUG:
		return LOG_PRIO_DEBUG;
	}
	return LOG_PRIO_ERR;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	va_list ap;

	if (level > log_level)
		return;
	/* One line at a time: the daemon's HTTP threads log too. */
	flockfile(stderr);
	fprintf(stderr, "%smhaadm: %s: ", log_prefix(log_level_priority(level)), names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
