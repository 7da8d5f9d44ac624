// SPDX-License-Identifier: MIT
/* dispatch_say__sites (tracer -v): one line per site of the plan, in its
 * order, with the file offset the probe goes to (tools/bench.py parses
 * these), the evaluator's entry last; names from the target escaped and
 * read no further than their field; nothing for another strategy */
#include <string.h>
#include "capture/dispatch_say.h"
#include "unit.h"

static char *said(const struct target *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	dispatch_say__sites(f, t);
	fclose(f);
	return text;
}

static void site(struct target *t, uint8_t kind, const char *what, uint64_t vaddr,
		 uint64_t offset, bool emulated, int8_t reg)
{
	struct ds_site *s = &t->bin.plan.sites[t->bin.plan.n];

	s->kind = kind;
	s->vaddr = vaddr;
	s->emulated = emulated;
	s->frame_reg = reg;
	s->link_cleared = false;
	memset(s->what, 0, sizeof(s->what));
	memcpy(s->what, what, strnlen(what, sizeof(s->what)));
	t->bin.site_offset[t->bin.plan.n++] = offset;
}

TEST(dispatch_say_lists_every_site)
{
	static struct target t;
	char *text;

	/* no NUL after any field but those written */
	memset(t.bin.plan.sites, 'Z', sizeof(t.bin.plan.sites));
	t.cfg.strategy = TR_STRATEGY_DISPATCH;
	snprintf(t.file, sizeof(t.file), "/lib/libpython3.13.so\n");
	t.bin.plan.unwind_from = "DWARF";
	t.bin.eval_vaddr = 0x18b8e0;
	t.bin.eval_offset = 0x8b8e0;
	site(&t, DS_CALL, "RESUME", 0x190a5e, 0x90a5e, true, -1);
	site(&t, DS_RETURN, "RETURN_VALUE", 0x190c8b, 0x90c8b, true, 6);
	site(&t, DS_RETURN, "YIELD\x1b[2J", 0x191c75, 0x91c75, false, -1);
	/* a name filling its field, no NUL: the next field is not read */
	site(&t, DS_UNWIND, "exit_unwind_exit_unwind_exit_unwind_exiX", 0x18bf15, 0x8bf15,
	     true, 15);
	t.bin.plan.sites[3].link_cleared = true;
	text = said(&t);
	CHECK_STR(text,
		  "tracer: dispatch probe sites in /lib/libpython3.13.so\\x0a "
		  "(4 sites, exit_unwind from DWARF):\n"
		  "tracer:   call RESUME at 0x190a5e (file offset 0x90a5e), emulated\n"
		  "tracer:   return RETURN_VALUE at 0x190c8b (file offset 0x90c8b), emulated, "
		  "frame in rsi\n"
		  "tracer:   return YIELD\\x1b[2J at 0x191c75 (file offset 0x91c75), "
		  "single-stepped\n"
		  "tracer:   unwind exit_unwind_exit_unwind_exit_unwind_exiX at 0x18bf15 "
		  "(file offset 0x8bf15), emulated, frame in r15, its link cleared\n"
		  "tracer:   evaluator entry _PyEval_EvalFrameDefault at 0x18b8e0 "
		  "(file offset 0x8b8e0), probed for gen.throw() (no site of its own found): "
		  "a trap on every entry\n");
	free(text);

	/* gen.throw()'s branch has a site: the entry is not probed */
	site(&t, DS_THROW, "gen.throw() entry", 0x18b98a, 0x8b98a, true, -1);
	text = said(&t);
	CHECK(strstr(text, "(5 sites, exit_unwind from DWARF):\n") != NULL);
	CHECK(strstr(text, "tracer:   throw gen.throw() entry at 0x18b98a (file offset 0x8b98a), "
			   "emulated\n"
			   "tracer:   evaluator entry _PyEval_EvalFrameDefault at 0x18b8e0 "
			   "(file offset 0x8b8e0), not probed: gen.throw() has a site of its "
			   "own\n") != NULL);
	free(text);

	t.cfg.strategy = TR_STRATEGY_EVAL;
	text = said(&t);
	CHECK_STR(text, "");
	free(text);
}
