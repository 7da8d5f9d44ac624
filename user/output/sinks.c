// SPDX-License-Identifier: MIT
/* The table of output formats, chosen by the suffix of the -o file name. */
#include <errno.h>
#include <string.h>
#include "output/sinks.h"

static const struct sink_ops *const table[] = {
	&sink_chrome, &sink_pftrace, &sink_folded, &sink_svg, &sink_speedscope, &sink_pprof,
	&sink_lcov, &sink_lcov_info, &sink_cobertura, &sink_cov_report, &sink_cov_html,
};

const struct sink_ops *sinks__at(size_t i)
{
	return i < sizeof(table) / sizeof(table[0]) ? table[i] : NULL;
}

/* the format whose suffix is the longest one PATH ends with
 * (".speedscope.json" before ".json") */
const struct sink_ops *sinks__for_path(const char *path)
{
	size_t len = path ? strlen(path) : 0, best_n = 0;
	const struct sink_ops *best = NULL;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t n = strlen(table[i]->suffix);

		if (n > best_n && len > n && !strcmp(path + len - n, table[i]->suffix)) {
			best = table[i];
			best_n = n;
		}
	}
	return best;
}

FILE *sink__open_file(const char *path, struct out_file **file)
{
	return out_file__open(path, file) ? NULL : out_file__stream(*file);
}

int sink__close_file(struct out_file **file, FILE **f, int err)
{
	*f = NULL;
	return out_file__commit(file, err);
}
