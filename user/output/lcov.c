// SPDX-License-Identifier: MIT
/*
 * LCOV tracefiles (.lcov, .info), as geninfo writes them and genhtml and
 * CI services read them: per source file SF, FN/FNDA (every function with
 * its exact number of calls), FNF/FNH, DA (0 or 1: whether the line ran;
 * only for files whose lines were measured), LF/LH, end_of_record.
 * Format: geninfo(1), "TRACEFILE FORMAT". Paths and names are the traced
 * program's and LCOV has no escaping: they are written by
 * text_escape__lcov (controls as \xHH, a comma in a name too), so each
 * stays one field of one record.
 */
#include <errno.h>
#include "output/coverage.h"
#include "output/sinks.h"
#include "util/text_escape.h"

static int lcov_write(FILE *f, const struct cov_report *r, const struct session_stats *st)
{
	for (uint32_t i = 0; i < r->n_files; i++) {
		const struct cov_file *cf = &r->files[i];

		fputs("TN:\nSF:", f);
		text_escape__lcov(f, cf->path, false);
		fputc('\n', f);
		for (uint32_t j = 0; j < cf->n_funcs; j++) {
			fprintf(f, "FN:%u,", cf->funcs[j].line);
			text_escape__lcov(f, cf->funcs[j].name, true);
			fputc('\n', f);
		}
		for (uint32_t j = 0; j < cf->n_funcs; j++) {
			fprintf(f, "FNDA:%llu,", (unsigned long long)cf->funcs[j].calls);
			text_escape__lcov(f, cf->funcs[j].name, true);
			fputc('\n', f);
		}
		fprintf(f, "FNF:%u\nFNH:%u\n", cf->n_funcs, cf->funcs_hit);
		for (uint32_t j = 0; j < cf->n_lines; j++)
			fprintf(f, "DA:%u,%u\n", cf->lines[j], cf->hit[j]);
		fprintf(f, "LF:%u\nLH:%u\nend_of_record\n", cf->n_lines, cf->lines_hit);
	}
	return ferror(f) ? -EIO : 0;
}

static struct sink *lcov_open(const char *path)
{
	return coverage__open(&sink_lcov, path, lcov_write);
}

static struct sink *lcov_info_open(const char *path)
{
	return coverage__open(&sink_lcov_info, path, lcov_write);
}

const struct sink_ops sink_lcov = {
	.name = "lcov",
	.suffix = ".lcov",
	.help = "LCOV coverage tracefile: calls per function, lines run (genhtml, CI)",
	.open = lcov_open,
	COVERAGE_SINK_OPS,
};

const struct sink_ops sink_lcov_info = {
	.name = "lcov",
	.suffix = ".info",
	.help = "the same, under LCOV's usual suffix",
	.open = lcov_info_open,
	COVERAGE_SINK_OPS,
};
