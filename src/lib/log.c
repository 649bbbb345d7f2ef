/* Logging to stderr with a verbosity level. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level log_level = LOG_LEVEL_WARN;

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

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > log_level)
		return;
	/* One line at a time: the daemon's HTTP threads log too. */
	flockfile(stderr);
	fprintf(stderr, "mhaadm: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
