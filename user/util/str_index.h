/* SPDX-License-Identifier: MIT */
/*
 * A set of strings numbered in order of first addition (0, 1, 2...): the
 * pprof string table, the files of a process, the files of a coverage map.
 */
#ifndef TRACER_STR_INDEX_H
#define TRACER_STR_INDEX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct str_index {
	char **strs;		/* strs[i]: string i (owned) */
	size_t n, cap;
	struct hashmap *by_hash;	/* FNV-1a hash (probed on collision) -> index + 1 */
};

/* 0 or -ENOMEM */
int str_index__init(struct str_index *x);
void str_index__free(struct str_index *x);
/* the index of S, -1 if absent */
long str_index__find(const struct str_index *x, const char *s);
/* the index of S, a copy added when new (*IS_NEW, may be NULL); -ENOMEM */
long str_index__add(struct str_index *x, const char *s, bool *is_new);
#endif
