// SPDX-License-Identifier: MIT
/* The table of output formats, chosen by the suffix of the -o file name. */
#include <string.h>
#include "sinks.h"

/* TEMPORARY (while the formats of issue 4 are written in parallel): a format
 * whose file is not there yet is a NULL entry, skipped. */
#define SINK_PENDING __attribute__((weak))
extern const struct sink_ops sink_folded SINK_PENDING;
extern const struct sink_ops sink_svg SINK_PENDING;
extern const struct sink_ops sink_speedscope SINK_PENDING;
extern const struct sink_ops sink_pprof SINK_PENDING;
extern const struct sink_ops sink_pftrace SINK_PENDING;

static const struct sink_ops *const table[] = {
	&sink_chrome, &sink_pftrace, &sink_folded, &sink_svg, &sink_speedscope, &sink_pprof,
};

const struct sink_ops *sinks__at(size_t i)
{
	for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++)
		if (table[k] && !i--)
			return table[k];
	return NULL;
}

/* the format whose suffix is the longest one PATH ends with
 * (".speedscope.json" before ".json") */
const struct sink_ops *sinks__for_path(const char *path)
{
	size_t len = path ? strlen(path) : 0, best_n = 0;
	const struct sink_ops *best = NULL;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *suffix = table[i] ? table[i]->suffix : NULL;
		size_t n = suffix ? strlen(suffix) : 0;

		if (n > best_n && len > n && !strcmp(path + len - n, suffix)) {
			best = table[i];
			best_n = n;
		}
	}
	return best;
}
