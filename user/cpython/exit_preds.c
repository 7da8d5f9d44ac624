// SPDX-License-Identifier: MIT
/*
 * An exit site whose frame register is set before the label: the paths into
 * the label, followed back.
 *
 * exit_reg.c finds the register that holds the exiting frame at a site from
 * the straight-line code [ENTRY, SITE) alone. At 3.12/3.13's exit_unwind
 * that is not enough: the code that jumps to the label has already put the
 * dying frame in %rsi for the call of _PyEval(Frame)ClearAndPop, e.g. 3.12.1:
 *
 *     10c1d8  mov %rbx,%rsi   ...  10c1e5  jmp 10c432     (an error path)
 *     10c42f  mov %rbx,%rsi                               (falls into it)
 *     10c432  exit_unwind: ...  mov 0x8(%rbx),%rbx (the switch) ...
 *     10c446  call _PyEvalFrameClearAndPop               (the site)
 *
 * Where the callee has a name, the ABI says it (exit_reg.c, rule 2); in a
 * stripped 3.12 the callee is static and nameless. So here every way into
 * ENTRY is followed back instead: each direct jump to it, and the
 * instruction before it when that one runs on into it. The eval function's
 * only indirect jumps are the computed goto, whose targets are the
 * handlers (and calls return to the instruction after them, which is a
 * fall-through): an ENTRY that is a handler or the function's entry is
 * refused, and so is a set of instructions from which a direct jump leaves
 * for code not read (a path we could not see might come back through it).
 * From each way in, the straight-line block that ends there is walked back
 * to its first instruction (stopping where another jump lands: nothing
 * enters the block after its start) and value-numbered forward
 * (exit_reg__eq_meet: a register copy keeps a value, anything else makes a
 * new one, a call forgets the caller-saved registers); registers that hold
 * one value at the end of every such block hold one value at ENTRY. With
 * that, exit_reg's value numbering sees `mov %rbx,%rsi` before every jump
 * and `mov 0x8(%rbx),%rbx` after the label: %rsi holds the frame whose link
 * was read, the dying one. A block that does not show the copy (it happened
 * earlier, before another jump target) leaves the site single-stepped, as
 * before. The BPF program still checks every hit (the frame's link is the
 * current frame) and counts a mismatch as a lost event.
 */
#include <errno.h>
#include <stdlib.h>
#include "cpython/exit_preds.h"

#define BLOCK_MAX 128	/* instructions walked back from a way in */

int exit_preds__find(const struct code *c, const uint64_t *indirect, size_t n_indirect,
		     uint64_t entry, uint64_t site, int frame_back, struct exit_reg *out)
{
	long e = find_ins(c, entry);
	uint8_t *target = NULL;
	struct exit_reg_eq eq;
	int n_ways = 0, ret = -ENOENT;

	exit_reg__eq_none(&eq);
	if (e < 0)
		return -ENOENT;
	for (size_t i = 0; i < n_indirect; i++)
		if (indirect[i] == entry)
			return -ENOENT;	/* reached by the computed goto */
	target = calloc(c->n, 1);
	if (!target)
		return -ENOMEM;
	for (size_t i = 0; i < n_indirect; i++) {
		long k = find_ins(c, indirect[i]);
		if (k >= 0)
			target[k] = 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct ins *in = &c->v[i];
		long k;

		if (in->kind != K_JMP && in->kind != K_JCC)
			continue;
		k = find_ins(c, in->target);
		if (k < 0)
			goto out;	/* a jump to code not read */
		target[k] = 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct ins *in = &c->v[i];
		bool jumps = (in->kind == K_JMP || in->kind == K_JCC) && in->target == entry;
		long fall, jump, j = (long)i;

		successors(c, i, &fall, &jump);
		if (!jumps && fall != e)
			continue;
		/* the block that ends at this way in: back to its first
		 * instruction, or to where another jump lands */
		for (int k = 0; k < BLOCK_MAX && j > 0 && !target[j]; k++) {
			long f2, j2;

			successors(c, (size_t)j - 1, &f2, &j2);
			if (f2 != j)
				break;
			j--;
		}
		if (j > 0 && !target[j]) {
			long f2, j2;

			successors(c, (size_t)j - 1, &f2, &j2);
			if (f2 == j)
				goto out;	/* longer than BLOCK_MAX: not followed */
		}
		/* a jump writes no register: the block's code before it */
		if (exit_reg__eq_meet(c->x.ef, c->x.cs, c->v[j].addr,
				      jumps ? in->addr : in->addr + in->size, &eq, n_ways == 0))
			goto out;
		n_ways++;
	}
	if (n_ways)
		ret = exit_reg__find_eq(c->x.ef, c->x.cs, entry, site, frame_back, &eq, out);
out:
	free(target);
	return ret;
}
