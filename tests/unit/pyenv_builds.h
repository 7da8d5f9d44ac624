/* SPDX-License-Identifier: MIT */
/* The pyenv builds of the machine, for the tests that check what the
 * tracer finds in each interpreter file against its symbols and DWARF. */
#ifndef TRACER_UNIT_PYENV_BUILDS_H
#define TRACER_UNIT_PYENV_BUILDS_H
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FN(libpython, minor) for every pyenv libpython3.MINOR with MIN <= MINOR
 * <= MAX ($PYENV_ROOT, else /root/.pyenv), free-threaded builds (3.Xt)
 * only with FREE_THREADED: how many; -1, said, when there is none. */
static inline int pyenv_builds__each(unsigned min, unsigned max, bool free_threaded,
				     void (*fn)(const char *lib, unsigned minor))
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char pat[512];
	glob_t g;
	int n = 0;

	snprintf(pat, sizeof(pat), "%s/versions/3.*/lib/libpython3.*.so.1.0", root);
	if (glob(pat, 0, NULL, &g)) {
		printf("SKIP: no pyenv libpython under %s\n", root);
		return -1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		unsigned minor = 0;
		const char *v = strstr(g.gl_pathv[i], "/versions/3.");

		if (!v || sscanf(v, "/versions/3.%u", &minor) != 1 || minor < min || minor > max ||
		    (!free_threaded && strstr(g.gl_pathv[i], "t/lib/")))
			continue;
		fn(g.gl_pathv[i], minor);
		n++;
	}
	globfree(&g);
	printf("  %d builds\n", n);
	if (!n) {
		printf("SKIP: no pyenv build 3.%u to 3.%u under %s\n", min, max, root);
		return -1;
	}
	return n;
}
#endif
