/* SPDX-License-Identifier: MIT */
/* The line-coverage bootstrap of launched CPython 3.12+ (user/cover_boot.c). */
#ifndef TRACER_COVER_BOOT_H
#define TRACER_COVER_BOOT_H
#include <stddef.h>

#define COVER_MAX_GLOBS 32

/* --include / --omit */
struct cover_filter {
	const char *include[COVER_MAX_GLOBS];
	int n_include;
	const char *omit[COVER_MAX_GLOBS];
	int n_omit;
};

struct cover_boot;

/* Make the bootstrap (a memfd held until cover_boot__close): 0, or -errno
 * with ERR set. */
int cover_boot__open(const struct cover_filter *f, struct cover_boot **out, char *err,
		     size_t errlen);
/* the NAME=VALUE entries a launched command gets (NULL-terminated) */
char *const *cover_boot__env(const struct cover_boot *b);
void cover_boot__close(struct cover_boot *b);
#endif
