/* Small filesystem helpers. */
#include "fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xmalloc.h"

int
fs_mkdirs(const char *dir, mode_t mode, char **cause)
{
	char *p = xstrdup(dir), *s, c;
	int rc = 0;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (*p != '\0' && mkdir(p, mode) != 0 && errno != EEXIST) {
			*cause = xasprintf("cannot create %s: %s", p, strerror(errno));
			rc = -1;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}
