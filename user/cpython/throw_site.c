// SPDX-License-Identifier: MIT
/*
 * Where gen.throw() enters a frame: the branch of _PyEval_EvalFrameDefault
 * that only a throw takes.
 *
 * A frame resumed by gen.throw() or gen.close() does not run its RESUME:
 * _PyEval_EvalFrameDefault(tstate, frame, throwflag) is entered with
 * throwflag set, pushes the frame (from then on the thread state's current
 * frame is FRAME), and, in every version 3.11-3.14, then tests it:
 *     if (throwflag) { ...; goto resume_with_error; }   (3.14: goto error)
 * A probe on the function's entry sees the throw too, but it costs a trap
 * on every entry of the evaluator (every call from C into Python, and on
 * 3.11 every generator resumption) to report a rare event. So we look for
 * the branch in the code.
 *
 * throwflag arrives in %edx, the third integer argument. From the entry we
 * follow the code (direct jumps both ways, fall-throughs, over calls, which
 * clobber the caller-saved registers) and track the registers a copy of it
 * is in (`mov %edx,%ebx`; any other write to a register ends its copy),
 * until a `test r,r` or `cmp $0,r` of such a register whose flags reach a
 * je/jne with only moves and leas between: the side taken when throwflag is
 * non-zero is the throw branch. A path ends when no register holds a copy
 * (nothing more to learn), at a return or an indirect jump, or at code
 * outside the function. Every such test found must name one and the same
 * branch; a copy stored to memory, another kind of jump on those flags, or
 * a walk too long, and the answer is "not found": the caller keeps the
 * entry probe, exact at the cost of its trap. And only a throw may get
 * there: no instruction but those jumps may lead to the branch's first
 * instruction, and none but its straight-line predecessor to any
 * instruction from the test to its jump (other code could arrive there
 * with other flags); none of them may be the target of an indirect jump
 * (a handler, STARTS). Else "not found" too.
 *
 * The observed code: pyenv 3.11.7 `test %edx,%edx; jne` (throw: the
 * target); 3.12.1 `mov %edx,%ebp ... test %ebp,%ebp; jne`; 3.13.0 `mov
 * %edx,%ebx ... test %ebx,%ebx; je` (throw: the fall-through); 3.14.7 and
 * 3.14.7t through %r12d/%ebx past the recursion check's calls; Debian's
 * 3.11 `test %edx,%edx`, eleven moves, then `jne`.
 */
#include <errno.h>
#include <stdlib.h>
#include <capstone/capstone.h>
#include "cpython/dispatch_internal.h"
#include "cpython/x86_code.h"

#define WALK_MAX 4096	/* instructions visited in all */

/* the registers a call may change (System V): rax rcx rdx rsi rdi r8-r11 */
#define CALLER_SAVED (0x0fc7u)

#define TESTS_MAX 4	/* tests of throwflag found (all jumping one way) */

struct walk_state {
	long i;			/* instruction index */
	long test;		/* the test the flags come from (when TESTED) */
	uint16_t copies;	/* registers holding throwflag (bit = x86 number) */
	bool tested;		/* the flags say whether throwflag is zero */
};

/* instructions that leave the flags alone, seen between the test and its
 * jump (a whitelist: anything else ends the test) */
static bool keeps_flags(unsigned id)
{
	switch (id) {
	case X86_INS_MOV: case X86_INS_MOVABS: case X86_INS_MOVZX: case X86_INS_MOVSX:
	case X86_INS_MOVSXD: case X86_INS_LEA: case X86_INS_MOVQ: case X86_INS_MOVD:
	case X86_INS_MOVUPS: case X86_INS_MOVAPS: case X86_INS_MOVDQU: case X86_INS_MOVDQA:
	case X86_INS_MOVHPS: case X86_INS_MOVLPS: case X86_INS_PUNPCKLQDQ: case X86_INS_NOP:
	case X86_INS_CDQE:
		return true;
	default:
		return false;
	}
}

/* the register number of a 32- or 64-bit register operand, else -1 */
static int wide_reg(const cs_x86_op *o)
{
	int bits, r;

	if (o->type != X86_OP_REG)
		return -1;
	r = x86_code__gpr(o->reg, &bits);
	return r >= 0 && bits >= 32 ? r : -1;
}

/* does IN test a copy of throwflag against zero? */
static bool tests_copy(const cs_insn *in, uint16_t copies)
{
	const cs_x86 *x = &in->detail->x86;
	int a, b;

	if (x->op_count != 2)
		return false;
	a = wide_reg(&x->operands[0]);
	if (a < 0 || !(copies & (1u << a)))
		return false;
	if (in->id == X86_INS_TEST) {
		b = wide_reg(&x->operands[1]);
		return b == a;
	}
	return in->id == X86_INS_CMP && x->operands[1].type == X86_OP_IMM &&
	       x->operands[1].imm == 0;
}

/* the copies after IN: a move of a copy makes one, any other write to a
 * register ends its copy; -1 when a copy is stored to memory (we do not
 * follow it there) */
static int copies_after(csh cs, const cs_insn *in, uint16_t copies)
{
	const cs_x86 *x = &in->detail->x86;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	int src = -1, dst = -1;
	bool copy;

	if (in->id == X86_INS_MOV && x->op_count == 2) {
		src = wide_reg(&x->operands[1]);
		if (x->operands[0].type == X86_OP_MEM && src >= 0 && (copies & (1u << src)))
			return -1;
		dst = wide_reg(&x->operands[0]);
	}
	copy = src >= 0 && dst >= 0 && (copies & (1u << src));
	if (cs_insn_group(cs, in, X86_GRP_CALL))
		copies &= (uint16_t)~CALLER_SAVED;
	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return 0;
	for (uint8_t k = 0; k < nwr; k++) {
		int r = x86_code__gpr(wr[k], NULL);
		if (r >= 0)
			copies &= (uint16_t)~(1u << r);
	}
	if (copy)
		copies |= (uint16_t)(1u << dst);
	return copies;
}

/* Do only the jumps JCC[0..N) lead to the instruction at T, and does only
 * straight-line code lead from each test TEST[k] to its jump? Of the code
 * that runs at all (what STARTS, the targets of indirect jumps, reach:
 * not the alignment padding after a `jmp *`), and none of them one of
 * STARTS. */
static bool only_a_throw_gets_there(const struct code *c, long t, const long *test,
				    const long *jcc, int n, const uint64_t *starts,
				    size_t n_starts)
{
	struct family none = { .n = 0 };
	uint8_t *runs = malloc(c->n);
	bool ok = t >= 0 && runs && !reach_outside(c, &none, starts, n_starts, runs);

	for (size_t i = 0; ok && i < c->n; i++) {
		long next[2];

		if (!runs[i])
			continue;
		successors(c, i, &next[0], &next[1]);
		for (int j = 0; ok && j < 2; j++) {
			if (next[j] < 0)
				continue;
			if (next[j] == t) {
				ok = false;
				for (int k = 0; k < n; k++)
					ok |= (long)i == jcc[k];
			}
			for (int k = 0; k < n; k++)
				if (next[j] > test[k] && next[j] <= jcc[k])
					ok = ok && next[j] == (long)i + 1;
		}
	}
	for (size_t i = 0; ok && i < n_starts; i++) {
		long s = find_ins(c, starts[i]);

		ok = s != t;
		for (int k = 0; k < n; k++)
			if (s > test[k] && s <= jcc[k])
				ok = false;
	}
	free(runs);
	return ok;
}

int throw_site__find(const struct code *c, uint64_t fv, const uint64_t *starts,
		     size_t n_starts, uint64_t *target)
{
	long test_at[TESTS_MAX], jcc_at[TESTS_MAX];
	int n_tests = 0;
	struct walk_state *stack = malloc(WALK_MAX * sizeof(*stack));
	uint32_t *seen = calloc(c->n, sizeof(*seen));
	long entry = find_ins(c, fv);
	size_t sp = 0, steps = 0;
	uint64_t found = 0;
	int ret = -ENOENT;

	if (!stack || !seen) {
		ret = -ENOMEM;
		goto out;
	}
	if (entry < 0)
		goto out;
	stack[sp++] = (struct walk_state){ .i = entry, .copies = 1u << 2 };	/* %rdx */
	while (sp) {
		struct walk_state s = stack[--sp];
		uint32_t key = (uint32_t)s.copies << 1 | s.tested;
		long fall, jump;
		cs_insn *one;
		int after, k;

		if (seen[s.i] == key + 1)
			continue;
		seen[s.i] = key + 1;
		if (++steps > WALK_MAX)
			goto fail;
		if (disasm_at(c, c->v[s.i].addr, c->v[s.i].size, &one) != 1)
			goto fail;
		successors(c, (size_t)s.i, &fall, &jump);
		if (s.tested && c->v[s.i].kind == K_JCC) {
			bool jne = one->id == X86_INS_JNE, je = one->id == X86_INS_JE;
			uint64_t thr;

			if (!jne && !je) {
				cs_free(one, 1);
				goto fail;
			}
			thr = jne ? c->v[s.i].target : c->v[s.i].addr + c->v[s.i].size;
			if (found && found != thr) {
				cs_free(one, 1);
				goto fail;
			}
			found = thr;
			for (k = 0; k < n_tests; k++)
				if (test_at[k] == s.test && jcc_at[k] == s.i)
					break;
			if (k == n_tests) {
				if (n_tests == TESTS_MAX) {
					cs_free(one, 1);
					goto fail;
				}
				test_at[n_tests] = s.test;
				jcc_at[n_tests++] = s.i;
			}
			/* go on along the other side only */
			if (jne)
				jump = -1;
			else
				fall = -1;
			s.tested = false;
			after = s.copies;
		} else {
			bool test = tests_copy(one, s.copies);

			after = copies_after(c->x.cs, one, s.copies);
			s.tested = test || (s.tested && keeps_flags(one->id));
			if (test)
				s.test = s.i;
		}
		cs_free(one, 1);
		if (after < 0)
			goto fail;	/* a copy went to memory */
		if (!after && !s.tested)
			continue;	/* nothing more to learn on this path */
		for (int k = 0; k < 2; k++) {
			long next = k ? jump : fall;

			if (next < 0)
				continue;
			if (sp == WALK_MAX)
				goto fail;
			stack[sp++] = (struct walk_state){ .i = next, .test = s.test,
							   .copies = (uint16_t)after,
							   .tested = s.tested };
		}
	}
	if (found && only_a_throw_gets_there(c, find_ins(c, found), test_at, jcc_at, n_tests,
					     starts, n_starts)) {
		*target = found;
		ret = 0;
	}
	goto out;
fail:
	ret = -ENOENT;
out:
	free(stack);
	free(seen);
	return ret;
}
