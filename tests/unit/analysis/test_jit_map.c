// SPDX-License-Identifier: MIT
/* jit_map: lookups, replacement of overlapped ranges (reused memory), the
 * perf-map entry seen again live (not from a jitdump), bad ranges. */
#include <errno.h>
#include "unit.h"
#include "analysis/jit_map.h"

static int add(struct jit_map *m, uint64_t start, uint64_t size, const char *name,
	       enum jit_source src)
{
	return jit_map__add(m, start, size, name, strlen(name), src, NULL);
}

static const char *at(struct jit_map *m, uint64_t addr)
{
	struct jit_range *r = jit_map__find(m, addr);

	return r ? r->name : NULL;
}

TEST(jit_map_lookup)
{
	struct jit_map m = {};

	CHECK(!jit_map__find(&m, 0x1000));
	CHECK_EQ(add(&m, 0x3000, 0x100, "c", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_EQ(add(&m, 0x1000, 0x100, "a", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_EQ(add(&m, 0x2000, 0x100, "b", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_EQ(m.n, 3);
	CHECK_STR(at(&m, 0x1000), "a");
	CHECK_STR(at(&m, 0x10ff), "a");
	CHECK(!at(&m, 0x1100));		/* end excluded */
	CHECK(!at(&m, 0xfff));
	CHECK_STR(at(&m, 0x2080), "b");
	CHECK_STR(at(&m, 0x30ff), "c");
	CHECK(!at(&m, 0x3100));
	CHECK_EQ(add(&m, 0x5000, 0, "empty", JIT_SRC_LIVE), JIT_EMPTY);
	CHECK_EQ(add(&m, ~0ull - 1, 4, "wraps", JIT_SRC_LIVE), -EINVAL);
	CHECK_EQ(m.n, 3);
	jit_map__free(&m);
}

TEST(jit_map_reuse_replaces)
{
	struct jit_map m = {};

	add(&m, 0x1000, 0x100, "a", JIT_SRC_LIVE);
	add(&m, 0x1100, 0x100, "b", JIT_SRC_LIVE);
	add(&m, 0x1200, 0x100, "c", JIT_SRC_LIVE);
	add(&m, 0x2000, 0x100, "d", JIT_SRC_LIVE);
	/* the memory of a and b now holds e */
	CHECK_EQ(add(&m, 0x1080, 0x100, "e", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_EQ(m.n, 3);
	CHECK(!at(&m, 0x1000));		/* a is gone entirely */
	CHECK_STR(at(&m, 0x1080), "e");
	CHECK_STR(at(&m, 0x117f), "e");
	CHECK(!at(&m, 0x1180));		/* b is gone */
	CHECK_STR(at(&m, 0x1200), "c");
	/* one range over everything */
	CHECK_EQ(add(&m, 0x0, 0x10000, "all", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_EQ(m.n, 1);
	CHECK_STR(at(&m, 0x2000), "all");
	/* the same address again, another unit: the newest name */
	CHECK_EQ(add(&m, 0x0, 0x10000, "all2", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_STR(at(&m, 0x2000), "all2");
	jit_map__free(&m);
}

TEST(jit_map_perf_map_seen_live)
{
	struct jit_map m = {};

	CHECK_EQ(add(&m, 0x1000, 0x10, "x", JIT_SRC_PERF_MAP), JIT_ADDED);
	CHECK(jit_map__find(&m, 0x1000)->from_perf_map);
	/* another name: another registration */
	CHECK_EQ(add(&m, 0x2000, 0x10, "y", JIT_SRC_PERF_MAP), JIT_ADDED);
	CHECK_EQ(add(&m, 0x2000, 0x10, "z", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_STR(at(&m, 0x2000), "z");
	/* the same registration seen live: once */
	CHECK_EQ(add(&m, 0x1000, 0x10, "x", JIT_SRC_LIVE), JIT_SEEN_BEFORE);
	CHECK(!jit_map__find(&m, 0x1000)->from_perf_map);
	/* made again later: a new registration */
	CHECK_EQ(add(&m, 0x1000, 0x10, "x", JIT_SRC_LIVE), JIT_ADDED);
	CHECK_EQ(m.n, 2);
	/* a jitdump's load identical to a perf map's line: its own (the
	 * file is read once; it is no live sight of the perf map's) */
	CHECK_EQ(add(&m, 0x3000, 0x10, "w", JIT_SRC_PERF_MAP), JIT_ADDED);
	CHECK_EQ(add(&m, 0x3000, 0x10, "w", JIT_SRC_JITDUMP), JIT_ADDED);
	CHECK(!jit_map__find(&m, 0x3000)->from_perf_map);
	CHECK_EQ(m.n, 3);
	jit_map__free(&m);
}
