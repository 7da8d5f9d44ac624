// SPDX-License-Identifier: MIT
/*
 * The coverage report for a terminal or a CI log, as coverage.py's
 * `report -m` prints it: per file its statements (the lines that can run),
 * those missed, the percent covered and the missed lines as ranges (a range
 * runs over lines that cannot run: "3-7" when 4-6 are blank or comments),
 * then the total. Written to stdout with `-o -` beside a coverage output
 * (or --coverage), by `tracer report REC --coverage`, or to a FILE.cov.txt.
 *
 * A file whose lines were not measured (functions only) is marked so: its
 * statements are its functions' first lines, a miss a function never
 * called (coverage.h), and a note under the table says it.
 *
 * Percentages are rounded as coverage.py does: never 100% while a line is
 * missed, never 0% while one ran. The total is what --fail-under compares.
 * Paths come from the traced program: written through text_escape__term
 * (no control character reaches the terminal); shown relative to the
 * current directory when under it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output/coverage.h"
#include "output/sinks.h"
#include "util/text_escape.h"

#define NAME_MIN 30

int cov_report__shown_percent(uint64_t hit, uint64_t all)
{
	double pc = all ? 100.0 * hit / all : 100.0;

	if (pc > 0 && pc < 1)
		return 1;
	if (pc > 99 && pc < 100)
		return 99;
	return (int)(pc + 0.5);
}

/* PATH as shown: relative to CWD (with its '/') when under it */
static const char *shown_path(const char *path, const char *cwd, size_t cwd_len)
{
	if (cwd_len > 1 && !strncmp(path, cwd, cwd_len) && path[cwd_len] == '/' &&
	    path[cwd_len + 1])
		return path + cwd_len + 1;
	return path;
}

/* the missed lines of CF as ranges of consecutive statements */
static void put_missing(FILE *f, const struct cov_file *cf)
{
	bool first = true;

	for (uint32_t i = 0; i < cf->n_lines; i++) {
		uint32_t j = i;

		if (cf->hit[i])
			continue;
		while (j + 1 < cf->n_lines && !cf->hit[j + 1])
			j++;
		fprintf(f, "%s%u", first ? "" : ", ", cf->lines[i]);
		if (j > i)
			fprintf(f, "-%u", cf->lines[j]);
		first = false;
		i = j;
	}
}

/* the width of the name column: the longest name shown, escaped */
static size_t name_width(const struct cov_report *r, const char *cwd, size_t cwd_len)
{
	size_t w = NAME_MIN;

	for (uint32_t i = 0; i < r->n_files; i++) {
		const char *p = shown_path(r->files[i].path, cwd, cwd_len);
		size_t n = strlen(p) + (r->files[i].lines_measured ? 0 : 4);

		if (n > w)
			w = n;
	}
	return w < 120 ? w : 120;
}

static int cov_report_write(FILE *f, const struct cov_report *r, const struct session_stats *st)
{
	char cwd[4096];
	size_t cwd_len = getcwd(cwd, sizeof(cwd)) ? strlen(cwd) : 0;
	size_t w = name_width(r, cwd, cwd_len);
	char rule[200];

	memset(rule, '-', sizeof(rule) - 1);
	rule[sizeof(rule) - 1] = 0;
	if (f == stdout)	/* after the summary */
		fputc('\n', f);
	fprintf(f, "%-*s  %7s %7s %6s   Missing\n", (int)w, "Name", "Stmts", "Miss", "Cover");
	fprintf(f, "%.*s\n", (int)(w + 2 + 7 + 1 + 7 + 1 + 6 + 10), rule);
	for (uint32_t i = 0; i < r->n_files; i++) {
		const struct cov_file *cf = &r->files[i];
		const char *p = shown_path(cf->path, cwd, cwd_len);
		char *name = NULL;
		size_t n = 0;
		FILE *m = open_memstream(&name, &n);

		/* the name, escaped, padded to the column */
		if (!m)
			return -ENOMEM;
		text_escape__term(m, p);
		if (!cf->lines_measured)
			fputs(" (*)", m);
		if (fclose(m)) {
			free(name);
			return -ENOMEM;
		}
		fprintf(f, "%s%*s", name, n < w ? (int)(w - n) : 0, "");
		free(name);
		fprintf(f, "  %7u %7u %5d%%", cf->n_lines, cf->n_lines - cf->lines_hit,
			cov_report__shown_percent(cf->lines_hit, cf->n_lines));
		if (cf->lines_hit < cf->n_lines)
			fputs("   ", f);
		put_missing(f, cf);
		fputc('\n', f);
	}
	fprintf(f, "%.*s\n", (int)(w + 2 + 7 + 1 + 7 + 1 + 6 + 10), rule);
	fprintf(f, "%-*s  %7" PRIu64 " %7" PRIu64 " %5d%%\n", (int)w, "TOTAL", r->lines,
		r->lines - r->lines_hit, cov_report__shown_percent(r->lines_hit, r->lines));
	fprintf(f, "functions: %" PRIu64 " of %" PRIu64 " called\n", r->funcs_hit, r->funcs);
	if (r->files_func_lines)
		fprintf(f, "(*) %s\n", COV_FUNC_LINES_NOTE);
	if (st->lost_total)
		fprintf(f, "warning: %llu events lost: lines or calls may be missing\n",
			(unsigned long long)st->lost_total);
	return ferror(f) ? -EIO : 0;
}

static struct sink *cov_report_open(const char *path)
{
	return coverage__open(&sink_cov_report, path, cov_report_write);
}

const struct sink_ops sink_cov_report = {
	.name = "coverage-report",
	.suffix = ".cov.txt",
	.help = "coverage report as coverage.py's report -m (also on stdout with -o - and a coverage output)",
	.open = cov_report_open,
	COVERAGE_SINK_OPS,
};
