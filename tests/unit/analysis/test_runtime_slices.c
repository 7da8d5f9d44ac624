// SPDX-License-Identifier: MIT
/* runtime_slices: nesting, which import statements are reported, names. */
#include "unit.h"
#include "analysis/runtime_slices.h"
#include "model/rec_labels.h"

static struct tr_ev_runtime rs_begin(uint8_t kind, uint8_t flags, int64_t value,
				     const char *name, uint64_t ts)
{
	struct tr_ev_runtime e;

	memset(&e, 0, sizeof(e));
	e.hdr = (struct tr_ev_hdr){ .type = TR_EV_RUNTIME, .flags = flags, .size = sizeof(e),
				    .ts = ts };
	e.kind = kind;
	e.value = value;
	if (name) {
		e.name_enc = 1 | TR_STR_ASCII;
		e.name_len = strlen(name);
		memcpy(e.name, name, e.name_len);
	}
	return e;
}

TEST(runtime_slices_nesting_and_loads)
{
	struct rt_slices s = { 0 };
	struct runtime_rec r;
	char buf[64];
	struct tr_ev_runtime e;

	/* import pkg (statement, loads) > GC gen 1 > from . import x (cached) */
	e = rs_begin(TR_RT_IMPORT, TR_RT_STATEMENT, 0, "pkg", 100);
	CHECK_EQ(rt_slices__open(&s, &e, 2), 0);
	rt_slices__loading(&s);
	e = rs_begin(TR_RT_GC, 0, 1, NULL, 110);
	CHECK_EQ(rt_slices__open(&s, &e, 5), 0);
	e = rs_begin(TR_RT_IMPORT, TR_RT_STATEMENT, 2, "x", 120);
	CHECK_EQ(rt_slices__open(&s, &e, 5), 0);
	CHECK_EQ(rt_slices__find(&s, TR_RT_GC), 2);
	CHECK_EQ(rt_slices__find(&s, TR_RT_IMPORT), 3);
	CHECK_EQ(rt_slices__top(&s)->depth, 5);
	rt_slices__shift(&s, 1);
	CHECK_EQ(rt_slices__top(&s)->depth, 6);

	/* the cached statement is closed but not reported; its name has dots */
	CHECK(!rt_slices__close_top(&s, 125, 1, 0, &r));
	CHECK_STR(r.name, "..x");
	/* GC: generation from the begin, result from the end */
	CHECK(rt_slices__close_top(&s, 130, 42, CALL_END_INFERRED, &r));
	CHECK_EQ(r.kind, TR_RT_GC);
	CHECK_EQ(r.generation, 1);
	CHECK_EQ(r.result, 42);
	CHECK_EQ(r.start_ns, 110);
	CHECK_EQ(r.end_ns, 130);
	CHECK_EQ(r.flags, CALL_END_INFERRED);
	CHECK_STR(runtime_rec__label(&r, buf, sizeof(buf)), "GC (generation 1)");
	/* the loading statement is reported; an end before its start is clamped */
	CHECK(rt_slices__close_top(&s, 50, 1, 0, &r));
	CHECK_EQ(r.end_ns, 100);
	CHECK_EQ(r.depth, 3);
	CHECK_STR(runtime_rec__label(&r, buf, sizeof(buf)), "import pkg");
	CHECK(!rt_slices__close_top(&s, 200, 0, 0, &r));	/* nothing open */
	CHECK_EQ(rt_slices__find(&s, TR_RT_IMPORT), 0);
	rt_slices__free(&s);
}

TEST(runtime_slices_usdt_imports_and_names)
{
	struct rt_slices s = { 0 };
	struct runtime_rec r;
	char buf[64];
	struct tr_ev_runtime e = rs_begin(TR_RT_IMPORT, TR_RT_NAME_TRUNC, -1, "a.b", 1);

	/* a USDT import (not a statement) is always reported; a name the BPF
	 * side cut says so */
	e.name_enc = TR_STR_UTF8;
	CHECK_EQ(rt_slices__open(&s, &e, 0), 0);
	CHECK(rt_slices__close_top(&s, 2, 0, 0, &r));
	CHECK_STR(r.name, "a.b...");
	CHECK_EQ(r.result, 0);
	/* no name at all, a GC of unknown generation */
	e = rs_begin(TR_RT_IMPORT, 0, -1, NULL, 3);
	CHECK_EQ(rt_slices__open(&s, &e, 0), 0);
	CHECK(rt_slices__close_top(&s, 4, -1, 0, &r));
	CHECK_STR(r.name, "<unknown module>");
	e = rs_begin(TR_RT_GC, 0, -1, NULL, 5);
	CHECK_EQ(rt_slices__open(&s, &e, 0), 0);
	CHECK(rt_slices__close_top(&s, 6, -1, 0, &r));
	CHECK_STR(runtime_rec__label(&r, buf, sizeof(buf)), "GC");
	rt_slices__free(&s);
}

TEST(runtime_slices_generation_told_later)
{
	struct rt_slices s = { 0 };
	struct runtime_rec r;
	struct tr_ev_runtime e = rs_begin(TR_RT_GC, TR_RT_GEN_LATER, -1, NULL, 1);

	/* 3.13: an automatic collection that picks generation 1 */
	CHECK_EQ(rt_slices__open(&s, &e, 0), 0);
	rt_slices__generation(&s, 1);
	rt_slices__generation(&s, 2);	/* a known generation stays */
	CHECK(rt_slices__close_top(&s, 2, 5, 0, &r));
	CHECK_EQ(r.generation, 1);
	/* one that picks none has collected nothing: not reported */
	CHECK_EQ(rt_slices__open(&s, &e, 0), 0);
	CHECK(!rt_slices__close_top(&s, 3, 0, 0, &r));
	/* without an open collection, a told generation changes nothing */
	rt_slices__generation(&s, 0);
	CHECK_EQ(s.n, 0);
	rt_slices__free(&s);
}
