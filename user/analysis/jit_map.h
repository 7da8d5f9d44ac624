/* SPDX-License-Identifier: MIT */
/*
 * The JIT code of one process: address ranges and their names, as
 * registered (TR_EV_JIT) up to the current point of the event stream. A
 * new registration overlapping older ones replaces them (the memory was
 * reused for other code), so a lookup made while the stream is consumed
 * names an address with the code it held at that time.
 */
#ifndef TRACER_JIT_MAP_H
#define TRACER_JIT_MAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"	/* enum jit_source */

struct jit_range {
	uint64_t start, end;	/* [start, end) */
	char *name;		/* UTF-8 as registered, NUL-terminated (owned) */
	uint32_t func;		/* a func_info.id + 1 the user caches, 0 none */
	bool from_perf_map;	/* read from the perf map at attach, not yet
				 * seen live */
};

struct jit_map {
	struct jit_range *v;	/* sorted by start, disjoint */
	size_t n, cap;
};

enum jit_add_result {
	JIT_ADDED = 0,		/* a new range (older overlapping ones removed) */
	JIT_SEEN_BEFORE = 1,	/* a live registration identical to a range read
				 * from the perf map and not seen live yet: the
				 * same registration (made while attaching) */
	JIT_EMPTY = 2,		/* size 0: no range */
};

/* Register [START, START + SIZE) as NAME (LEN bytes), from SRC (only a live
 * registration can be JIT_SEEN_BEFORE: a jitdump is read once, in order,
 * and is no perf map). A JIT_ADD_* result (with JIT_ADDED, the
 * new range in *ADDED when ADDED is not NULL; valid until the next add), or
 * -ENOMEM / -EINVAL (the range wraps around). */
int jit_map__add(struct jit_map *m, uint64_t start, uint64_t size, const char *name,
		 size_t len, enum jit_source src, struct jit_range **added);
/* The range holding ADDR, or NULL */
struct jit_range *jit_map__find(struct jit_map *m, uint64_t addr);
void jit_map__free(struct jit_map *m);
#endif
