// SPDX-License-Identifier: MIT
/*
 * tracer -v, the dispatch strategy: every probe site of the interpreter's
 * plan (user/cpython/dispatch_sites.h), one line each, before tracing:
 *
 *   tracer: dispatch probe sites in FILE (N sites, exit_unwind from DWARF):
 *   tracer:   call RESUME at 0x190a5e (file offset 0x90a5e), emulated
 *   tracer:   return RETURN_VALUE at 0x190c8b (file offset 0x90c8b), emulated, frame in rdi
 *   tracer:   throw gen.throw() entry at 0x18b98a (file offset 0x8b98a), emulated
 *   tracer:   evaluator entry _PyEval_EvalFrameDefault at 0x18b8e0 (file offset 0x8b8e0), not
 *             probed: gen.throw() has a site of its own
 *
 * A user sees which instructions carry a trap per call and which of them
 * the kernel single-steps (the slow ones); tools/bench.py puts its bare
 * kernel probes (tracefs uprobe events) on exactly these file offsets, so
 * the format is kept stable: kind, name, " at 0x", " (file offset 0x".
 * The names come from the target's interpreter (its opcode names) and the
 * file from its mount namespace: escaped, and each name read no further
 * than its field.
 */
#include <string.h>
#include "capture/dispatch_say.h"
#include "util/text_escape.h"

/* x86-64 register encoding numbers (cpython/exit_reg.h) */
static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

void dispatch_say__sites(FILE *f, const struct target *t)
{
	const struct ds_plan *plan = &t->bin.plan;
	int n = plan->n < 0 ? 0 : plan->n > DS_MAX_SITES ? DS_MAX_SITES : plan->n;
	bool has_throw = false;

	if (t->cfg.strategy != TR_STRATEGY_DISPATCH)
		return;
	fputs("tracer: dispatch probe sites in ", f);
	text_escape__term(f, t->file);
	fprintf(f, " (%d site%s", n, n == 1 ? "" : "s");
	if (plan->unwind_from)
		fprintf(f, ", exit_unwind from %s", plan->unwind_from);
	fputs("):\n", f);
	for (int i = 0; i < n; i++) {
		const struct ds_site *s = &plan->sites[i];

		has_throw |= s->kind == DS_THROW;
		fprintf(f, "tracer:   %s ", dispatch_sites__kind_name(s->kind));
		text_escape__visible(f, s->what, strnlen(s->what, sizeof(s->what)), NULL);
		fprintf(f, " at 0x%llx (file offset 0x%llx), %s", (unsigned long long)s->vaddr,
			(unsigned long long)t->bin.site_offset[i],
			s->emulated ? "emulated" : "single-stepped");
		/* (exit sites only: the planner sets neither for a start) */
		if (s->frame_reg >= 0)
			fprintf(f, ", frame in %s", s->frame_reg < 16 ? reg_names[s->frame_reg] : "?");
		if (s->link_cleared)
			fputs(", its link cleared", f);
		fputc('\n', f);
	}
	/* probed only where gen.throw()'s branch has no site (probes.c) */
	fprintf(f, "tracer:   evaluator entry _PyEval_EvalFrameDefault at 0x%llx "
		"(file offset 0x%llx), %s\n", (unsigned long long)t->bin.eval_vaddr,
		(unsigned long long)t->bin.eval_offset,
		has_throw ? "not probed: gen.throw() has a site of its own"
			  : "probed for gen.throw() (no site of its own found): a trap on every "
			    "entry");
}
