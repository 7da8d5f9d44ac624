// SPDX-License-Identifier: MIT
/*
 * LCOV tracefiles (.lcov, .info), as geninfo writes them and genhtml and
 * CI services read them: per source file SF, FN/FNDA (every function with
 * its exact number of calls), FNF/FNH, DA (0 or 1: whether the line ran;
 * LF/LH, end_of_record. A file whose lines were not measured (functions
 * only) has as DA its functions' first lines, 1 when one starting there
 * was called, and a comment line that says so ("# tracer: functions
 * only..."; lcov ignores lines it does not know): lcov 1.16 drops a record
 * without DA lines, and then rejects a tracefile of such records ("no valid
 * records").
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
		if (!cf->lines_measured)
			fputs("# tracer: " COV_FUNC_LINES_NOTE "\n", f);
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
