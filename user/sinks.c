// SPDX-License-Identifier: MIT
/* The table of output formats, chosen by the suffix of the -o file name. */
#include <string.h>
#include "sinks.h"

const struct sink_ops *const sinks__all[] = {
	&sink_chrome,
	NULL,
};

const struct sink_ops *sinks__for_path(const char *path)
{
	size_t len = path ? strlen(path) : 0;

	for (size_t i = 0; sinks__all[i]; i++) {
		const char *suffix = sinks__all[i]->suffix;
		size_t n = suffix ? strlen(suffix) : 0;

		if (n && len > n && !strcmp(path + len - n, suffix))
			return sinks__all[i];
	}
	return NULL;
}
