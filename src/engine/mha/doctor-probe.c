/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mhaadm doctor: the one command per host that finds the programs, the Debian packages and the
 * Perl modules doctor checks, and the parser of its output.
 */
#include "doctor-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/*
 * One command per host finds everything the SSH checks need (SSH commands
 * cost a round trip each). $1 is the Perl probe below, $2 "text" when the
 * modules' text should be printed too (on a node, where there is no other
 * cheap way to read them), the rest the programs to look for. Fixed text:
 * everything variable comes as positional parameters.
 */
static const char doctor_probe_sh[] =
    "probe=$1 want=$2\n"
    "shift 2\n"
    "PATH=\"$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n"
    "for b do\n"
    "\tif p=$(command -v \"$b\" 2>/dev/null); then echo \"bin $b $p\"; else echo \"bin $b -\"; fi\n"
    "done\n"
    "if command -v dpkg-query >/dev/null 2>&1; then\n"
    "\tdpkg-query -W -f='pkg ${Package} ${db:Status-Abbrev} ${Version}\\n' mha4mysql-manager "
    "mha4mysql-node arping iputils-arping 2>/dev/null\n"
    "fi\n"
    "if command -v arping >/dev/null 2>&1; then\n"
    "\tarping --help 2>&1 | head -n 5 | sed 's/^/arping /'\n"
    "fi\n"
    "if command -v perl >/dev/null 2>&1; then\n"
    "\tperl -e \"$probe\" \"$want\"\n"
    "\techo \"perl-exit $?\"\n"
    "else\n"
    "\techo \"perl-exit 127\"\n"
    "fi\n"
    "exit 0\n";

/*
 * Finds the modules mhaadm patches (MHA::NodeUtil, SlaveUtil, NodeConst,
 * ManagerConst, MasterFailover) the way MHA's programs do (through perl's @INC), calls the version
 * parsers on a version string with more numbers than their formats, and with "text" prints each
 * module's bytes as "text MODULE LENGTH\n" + LENGTH bytes + "\n".
 */
static const char doctor_perl_probe[] =
    "my @found;\n"
    "for my $m (\"MHA::NodeUtil\", \"MHA::SlaveUtil\", \"MHA::NodeConst\",\n"
    "    \"MHA::ManagerConst\", \"MHA::MasterFailover\", \"MHA::HealthCheck\") {\n"
    "  (my $f = $m) =~ s{::}{/}g;\n"
    "  $f .= \".pm\";\n"
    "  if (eval { require $f; 1 }) { print \"mod $m $INC{$f}\\n\"; push @found, [$m, $INC{$f}]; }\n"
    "  else { (my $e = $@) =~ s/\\s+/ /g; print \"nomod $m $e\\n\"; }\n"
    "}\n"
    "if ($INC{\"MHA/NodeUtil.pm\"}) {\n"
    "  my $v = \"" DOCTOR_SAMPLE_VERSION "\";\n"
    "  my $r = eval { MHA::NodeUtil::parse_mysql_version($v) . \" \" .\n"
    "    MHA::NodeUtil::parse_mysql_major_version($v) };\n"
    "  if (defined $r) { print \"sprintf ok $r\\n\"; }\n"
    "  else { (my $e = $@) =~ s/\\s+/ /g; print \"sprintf fail $e\\n\"; }\n"
    "}\n"
    "exit 0 unless ($ARGV[0] // '') eq 'text';\n"
    "for (@found) {\n"
    "  my ($m, $f) = @$_;\n"
    "  if (open(my $fh, '<:raw', $f)) { local $/; my $t = <$fh> // '';\n"
    "    print \"text $m \", length($t), \"\\n\", $t, \"\\n\"; }\n"
    "  else { print \"unreadable $m $!\\n\"; }\n"
    "}\n";

void
doctor_probe_clear(struct doctor_probe *pr)
{
	size_t i;

	for (i = 0; i < pr->n; i++)
		free(pr->paths[i]);
	free(pr->arping_help);
	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		free(pr->path[i]);
		free(pr->error[i]);
		free(pr->text[i]);
		free(pr->read_error[i]);
	}
	free(pr->sprintf_msg);
	memset(pr, 0, sizeof(*pr));
}

const char *
doctor_probe_bin(const struct doctor_probe *pr, const char *name)
{
	size_t i;

	for (i = 0; i < pr->n; i++) {
		if (strcmp(pr->names[i], name) == 0)
			return pr->paths[i];
	}
	return NULL;
}

/* Index of the module whose name starts s and is followed by a blank, or -1. */
static int
doctor_probe_module(const char *s, const char **rest)
{
	const char *m;
	size_t len;
	int i;

	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		m = doctor_patch_module((enum doctor_patch)i);
		len = strlen(m);
		if (strncmp(s, m, len) == 0 && s[len] == ' ') {
			*rest = s + len + 1;
			return i;
		}
	}
	return -1;
}

/* Takes one line of the probe's output (NUL-terminated, without its newline). */
static void
doctor_probe_line(struct doctor_probe *pr, const char *line)
{
	const char *rest, *sp, *tmp;
	size_t i, len;
	int m;
	char *s;

	if (strncmp(line, "bin ", 4) == 0) {
		for (i = 0; i < pr->n; i++) {
			len = strlen(pr->names[i]);
			if (strncmp(line + 4, pr->names[i], len) == 0 && line[4 + len] == ' ' &&
			    strcmp(line + 5 + len, "-") != 0 && pr->paths[i] == NULL)
				pr->paths[i] = xstrdup(line + 5 + len);
		}
	} else if (strncmp(line, "pkg mha4mysql-node ", 19) == 0) {
		pr->pkg_node = strncmp(line + 19, "ii", 2) == 0;
	} else if (strncmp(line, "pkg iputils-arping ", 19) == 0) {
		pr->pkg_iputils_arping = strncmp(line + 19, "ii", 2) == 0;
	} else if (strncmp(line, "arping ", 7) == 0) {
		tmp = pr->arping_help;
		s = tmp == NULL ? xstrdup(line + 7) : xasprintf("%s\n%s", tmp, line + 7);
		free(pr->arping_help);
		pr->arping_help = s;
	} else if (strncmp(line, "perl-exit ", 10) == 0) {
		pr->perl_exit = atoi(line + 10);
	} else if (strncmp(line, "mod ", 4) == 0 &&
	           (m = doctor_probe_module(line + 4, &rest)) >= 0) {
		if (pr->path[m] == NULL)
			pr->path[m] = xstrdup(rest);
	} else if (strncmp(line, "nomod ", 6) == 0 &&
	           (m = doctor_probe_module(line + 6, &rest)) >= 0) {
		if (pr->error[m] == NULL)
			pr->error[m] = xstrdup(rest);
	} else if (strncmp(line, "unreadable ", 11) == 0 &&
	           (m = doctor_probe_module(line + 11, &rest)) >= 0) {
		if (pr->read_error[m] == NULL)
			pr->read_error[m] = xasprintf("cannot read it: %s", rest);
	} else if (strncmp(line, "sprintf ", 8) == 0 && (sp = strchr(line + 8, ' ')) != NULL) {
		pr->sprintf_ok = strncmp(line + 8, "ok ", 3) == 0;
		free(pr->sprintf_msg);
		pr->sprintf_msg = xstrdup(sp + 1);
	}
}

/*
 * Takes the probe's whole output (changed in place): its lines, and each
 * module's text, which arrives as "text MODULE LENGTH\n" + LENGTH bytes.
 */
static void
doctor_probe_parse(struct doctor_probe *pr, char *out)
{
	unsigned long long len;
	char *p, *nl, *end;
	const char *rest;
	int m;

	for (p = out; *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		if (strncmp(p, "text ", 5) != 0 || (m = doctor_probe_module(p + 5, &rest)) < 0) {
			doctor_probe_line(pr, p);
			continue;
		}
		/* A module's bytes: exactly LENGTH of them follow, then a newline. */
		errno = 0;
		len = strtoull(rest, &end, 10);
		if (errno != 0 || *end != '\0' || len > DOCTOR_MODULE_MAX || len > strlen(nl)) {
			if (pr->read_error[m] == NULL)
				pr->read_error[m] = xstrdup("its text arrived truncated");
			break;
		}
		if (memchr(nl, '\0', (size_t)len) == NULL && pr->text[m] == NULL)
			pr->text[m] = xstrndup(nl, (size_t)len);
		nl += len;
		if (*nl == '\n')
			nl++;
	}
}

/*
 * Runs the probe on the host, looking for the n programs in names (at
 * most DOCTOR_MAX_BINS). Module texts are read in-band on a node and with
 * read(2) here. Returns 0, or -1 with *cause when the probe could not run.
 */
int
doctor_probe_run(struct doctor_exec *x, const char *const *names, size_t n, struct doctor_probe *pr,
    char **cause)
{
	const char *argv[6 + DOCTOR_MAX_BINS + 1];
	char *out = NULL, *err = NULL, *e;
	size_t i;
	int code;

	memset(pr, 0, sizeof(*pr));
	pr->sprintf_ok = -1;
	pr->perl_exit = -1;
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = doctor_probe_sh;
	argv[3] = "sh";
	argv[4] = doctor_perl_probe;
	argv[5] = x->ssh != NULL ? "text" : "notext";
	for (i = 0; i < n && i < DOCTOR_MAX_BINS; i++)
		argv[6 + i] = pr->names[i] = names[i];
	pr->n = i;
	argv[6 + i] = NULL;
	if (doctor_exec_run(x, argv, NULL, &out, &err, &code, cause) != 0)
		return -1;
	if (code != 0) {
		e = doctor_oneline(err);
		*cause = xasprintf("sh failed (exit %d): %s", code, e);
		free(e);
		free(out);
		free(err);
		return -1;
	}
	doctor_probe_parse(pr, out);
	if (pr->perl_exit != 0) {
		for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
			if (pr->path[i] == NULL && pr->error[i] == NULL) {
				e = doctor_oneline(*err != '\0' ? err : NULL);
				pr->error[i] = xasprintf(
				    "perl exited %d%s%s", pr->perl_exit, *e != '\0' ? ": " : "", e);
				free(e);
			}
		}
	}
	free(out);
	free(err);

	for (i = 0; i < DOCTOR_PATCH_COUNT; i++) {
		if (pr->path[i] == NULL || pr->text[i] != NULL || pr->read_error[i] != NULL)
			continue;
		if (pr->path[i][0] != '/')
			pr->read_error[i] = xasprintf("perl found it at a relative path");
		else if (x->ssh != NULL)
			pr->read_error[i] = xstrdup("its text did not arrive");
		else if (doctor_local_read(pr->path[i], &pr->text[i], &e) != 0)
			pr->read_error[i] = e;
	}
	return 0;
}
