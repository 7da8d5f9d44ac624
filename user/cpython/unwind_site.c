// SPDX-License-Identifier: MIT
/*
 * exit_unwind, found from the code of the eval function: how, and why it is
 * the right place.
 *
 * The dispatch strategy (user/cpython/dispatch_sites.c) sees a frame that an
 * exception leaves at the C label `exit_unwind` of _PyEval_EvalFrameDefault
 * (3.11–3.13). A label has no symbol; only DWARF names it, and the builds
 * production runs (Debian's python3.11, every distro libpython) have none.
 * What the label's code does is the same in every one of those versions:
 *
 *     exit_unwind:                               3.11 (and Debian's)
 *         _Py_LeaveRecursiveCallTstate(tstate);
 *         if (frame->is_entry) { ...; return NULL; }
 *         frame = cframe.current_frame = pop_frame(tstate, frame);
 *         goto resume_with_error;
 *
 *     exit_unwind:                               3.12, 3.13
 *         _Py_LeaveRecursiveCallPy(tstate);
 *         dying = frame; frame = tstate->...current_frame = dying->previous;
 *         _PyEval(Frame)ClearAndPop(tstate, dying);
 *         frame->return_offset = 0;
 *         if (frame == &entry_frame) { ...; return NULL; }
 *         goto resume_with_error;
 *
 * It is the only place in the function that returns NULL (every other
 * return, INTERPRETER_EXIT's or 3.11's RETURN_VALUE's, returns a value it
 * checked), and the only place that both pops a frame and can return NULL.
 * So the code analysis looks for exactly that shape:
 *
 *  1. A conditional jump J one of whose ways returns NULL: followed on
 *     straight-line code and unconditional jumps, it reaches the function's
 *     `ret` with %rax zero (a small constant tracking: `xor r,r` makes a
 *     register zero, a register copy carries it, any other write, and a
 *     call for the registers a call clobbers, forgets it), and whose other
 *     way does not.
 *  2. The label is the first instruction of the straight-line code that
 *     ends at J: walking back from J while the instruction is no jump
 *     target (of any direct jump in the function and its `.cold` fragments,
 *     or of the computed goto: the handlers) and the one before it runs on
 *     into it (no branch). Every execution that reaches the label reaches
 *     J, once, and nothing reaches J without passing the label. This is
 *     where GCC puts the label too: where the paths that `goto exit_unwind`
 *     meet (a compiler may copy the first instructions, e.g. the recursion
 *     counter's increment of 3.11, into some of those paths; the label then
 *     is after them, and so is the place where they meet).
 *  3. Between the label and J, or on J's other way before its next branch,
 *     the frame is popped: a load of `X->previous` (the frame's back
 *     pointer, whose offset the layout gives) and then a call.
 * Exactly one place must qualify; none or several is an error, said before
 * tracing, and the strategy is not used (a compiler that copied the whole
 * label into several paths would give several: we would rather refuse than
 * probe one of them and miss the others).
 *
 * The unit tests check that the place is the DWARF label on every pyenv
 * build 3.11–3.13 and on their stripped copies; on Debian's python3.11,
 * which has no DWARF to check against, the e2e exactness tests check what
 * the label is for: every frame an exception leaves is seen, once.
 *
 * The `.cold` fragments of the function are found from its own jumps, with
 * their extents from the unwind tables (user/os/eh_frame.c), until no jump
 * leads to code not yet read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "cpython/unwind_site.h"
#include "os/eh_frame.h"
#include "cpython/x86_code.h"

#define MAX_RANGES 32
#define WALK_MAX 64	/* instructions followed on a way */

enum { I_OTHER, I_CALL, I_JMP, I_JCC, I_END };	/* I_END: ret, indirect jump, trap */

struct uins {
	uint64_t addr, target;
	uint8_t size, kind;
	bool ret;		/* a `ret` (kind I_END) */
	bool leader;		/* a jump lands here */
	int8_t zero_reg;	/* `xor r,r`: the register it zeroes */
	int8_t mov_dst, mov_src;/* `mov r,r` (32/64-bit) */
	uint16_t writes;	/* general registers written */
	int disp_load;		/* a load from memory: its displacement, else -1 */
};

/* the code read (x86_code.c; v and n are x.v and x.n) and its ranges */
struct ucode {
	struct uins *v;
	size_t n;
	uint64_t ranges[MAX_RANGES][2];
	int n_ranges;
	struct x86_code x;
};

/* general register R as 0..15 (rax..r15, any width), or -1 */
static int gpr(unsigned r)
{
	static const unsigned regs[][16] = {
		{ X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
		  X86_REG_RSI, X86_REG_RDI, X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
		  X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15 },
		{ X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX, X86_REG_ESP, X86_REG_EBP,
		  X86_REG_ESI, X86_REG_EDI, X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D,
		  X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D },
		{ X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX, X86_REG_SP, X86_REG_BP,
		  X86_REG_SI, X86_REG_DI, X86_REG_R8W, X86_REG_R9W, X86_REG_R10W, X86_REG_R11W,
		  X86_REG_R12W, X86_REG_R13W, X86_REG_R14W, X86_REG_R15W },
		{ X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL, X86_REG_SPL, X86_REG_BPL,
		  X86_REG_SIL, X86_REG_DIL, X86_REG_R8B, X86_REG_R9B, X86_REG_R10B, X86_REG_R11B,
		  X86_REG_R12B, X86_REG_R13B, X86_REG_R14B, X86_REG_R15B },
	};

	for (int w = 0; w < 4; w++)
		for (int i = 0; i < 16; i++)
			if (regs[w][i] == r)
				return i;
	if (r == X86_REG_AH || r == X86_REG_CH || r == X86_REG_DH || r == X86_REG_BH)
		return r == X86_REG_AH ? 0 : r == X86_REG_CH ? 1 : r == X86_REG_DH ? 2 : 3;
	return -1;
}

/* a 32- or 64-bit general register (whose write sets all 64 bits) */
static int gpr_full(const cs_x86_op *o)
{
	return o->type == X86_OP_REG && (o->size == 4 || o->size == 8) ? gpr(o->reg) : -1;
}

static void describe(csh cs, const cs_insn *in, void *rec)
{
	struct uins *u = rec;
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *o = x->operands;
	bool imm = x->op_count == 1 && o[0].type == X86_OP_IMM;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	memset(u, 0, sizeof(*u));
	u->addr = in->address;
	u->size = in->size;
	u->target = imm ? (uint64_t)o[0].imm : 0;
	u->zero_reg = u->mov_dst = u->mov_src = -1;
	u->disp_load = -1;
	u->kind = I_OTHER;
	if (in->id == X86_INS_UD2 || in->id == X86_INS_HLT || in->id == X86_INS_INT3) {
		u->kind = I_END;
	} else if (cs_insn_group(cs, in, X86_GRP_RET)) {
		u->kind = I_END;
		u->ret = true;
	} else if (cs_insn_group(cs, in, X86_GRP_CALL)) {
		u->kind = I_CALL;	/* direct or not, it returns */
	} else if (in->id == X86_INS_JMP || in->id == X86_INS_LJMP) {
		u->kind = imm ? I_JMP : I_END;
	} else if (cs_insn_group(cs, in, X86_GRP_JUMP)) {
		u->kind = imm ? I_JCC : I_END;
	}
	if (x->op_count == 2 && (in->id == X86_INS_XOR || in->id == X86_INS_SUB) &&
	    o[0].type == X86_OP_REG && o[1].type == X86_OP_REG && o[0].reg == o[1].reg)
		u->zero_reg = (int8_t)gpr_full(&o[0]);
	if (x->op_count == 2 && in->id == X86_INS_MOV && gpr_full(&o[0]) >= 0) {
		if (gpr_full(&o[1]) >= 0 && o[0].size == o[1].size) {
			u->mov_dst = (int8_t)gpr_full(&o[0]);
			u->mov_src = (int8_t)gpr_full(&o[1]);
		} else if (o[1].type == X86_OP_MEM && o[1].mem.disp >= 0 &&
			   o[1].mem.disp < 1 << 16 && o[1].mem.index == X86_REG_INVALID) {
			u->disp_load = (int)o[1].mem.disp;
		}
	}
	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) == CS_ERR_OK)
		for (uint8_t k = 0; k < nwr; k++)
			if (gpr(wr[k]) >= 0)
				u->writes |= (uint16_t)(1u << gpr(wr[k]));
}

static bool covered(const struct ucode *c, uint64_t a)
{
	for (int i = 0; i < c->n_ranges; i++)
		if (a >= c->ranges[i][0] && a < c->ranges[i][1])
			return true;
	return false;
}

static int read_range(struct ucode *c, uint64_t start, uint64_t end)
{
	int ret;

	if (c->n_ranges == MAX_RANGES)
		return -E2BIG;
	c->ranges[c->n_ranges][0] = start;
	c->ranges[c->n_ranges++][1] = end;
	ret = x86_code__read(&c->x, start, end - start);
	c->v = c->x.v;
	c->n = c->x.n;
	return ret;
}

/* The function and every fragment its jumps (or the handlers) lead to. */
static int read_function(struct ucode *c, uint64_t fv, uint64_t fsz, const uint64_t *handlers)
{
	struct eh_frame eh;
	bool have_eh = !eh_frame__from_elf(c->x.ef, &eh);
	size_t done = 0;
	int ret = read_range(c, fv, fv + fsz);

	for (int h = 0; !ret && h < 256; h++) {
		uint64_t s, e;
		if (covered(c, handlers[h]))
			continue;
		if (!have_eh || eh_frame__extent(&eh, handlers[h], &s, &e))
			return -ENOENT;
		ret = read_range(c, s, e);
	}
	while (!ret && done < c->n) {
		const struct uins *u = &c->v[done++];
		uint64_t s, e;

		if ((u->kind != I_JMP && u->kind != I_JCC) || covered(c, u->target))
			continue;
		if (!have_eh || eh_frame__extent(&eh, u->target, &s, &e))
			continue;	/* not code of a function: nothing jumps from it to us */
		ret = read_range(c, s, e);
	}
	return ret;
}

static long find_uins(const struct ucode *c, uint64_t addr)
{
	return x86_code__find(&c->x, addr);
}

static bool runs_on(const struct ucode *c, size_t i)
{
	return i + 1 < c->n && c->v[i + 1].addr == c->v[i].addr + c->v[i].size &&
	       (c->v[i].kind == I_OTHER || c->v[i].kind == I_CALL || c->v[i].kind == I_JCC);
}

/* Does the way from instruction I return NULL? (step 1 of the comment) */
static bool returns_null(const struct ucode *c, long i)
{
	const uint16_t clobbered = 0x0fc7;	/* rax rcx rdx rsi rdi r8-r11 */
	uint16_t zero = 0;

	for (int k = 0; k < WALK_MAX && i >= 0; k++) {
		const struct uins *u = &c->v[i];

		if (u->kind == I_END)
			return u->ret && (zero & 1);
		if (u->kind == I_JCC)
			return false;
		if (u->kind == I_JMP) {
			i = find_uins(c, u->target);
			continue;
		}
		if (u->zero_reg >= 0) {
			zero |= (uint16_t)(1u << u->zero_reg);
		} else if (u->mov_dst >= 0) {
			bool z = zero & (1u << u->mov_src);
			zero &= (uint16_t)~(1u << u->mov_dst);
			zero |= (uint16_t)(z << u->mov_dst);
		} else {
			zero &= (uint16_t)~u->writes;
		}
		if (u->kind == I_CALL)
			zero &= (uint16_t)~clobbered;
		if (!runs_on(c, (size_t)i))
			return false;
		i++;
	}
	return false;
}

/* Is a frame popped between FROM and J, or on the way from P? (step 3) */
static bool pops_frame(const struct ucode *c, long from, long j, long p, int back)
{
	bool loaded = false;

	for (long i = from; i <= j; i++) {
		loaded |= c->v[i].disp_load == back;
		if (loaded && c->v[i].kind == I_CALL)
			return true;
	}
	for (int k = 0; k < WALK_MAX && p >= 0; k++) {
		const struct uins *u = &c->v[p];

		loaded |= u->disp_load == back;
		if (loaded && u->kind == I_CALL)
			return true;
		if (u->kind == I_JMP) {
			p = find_uins(c, u->target);
			continue;
		}
		if (u->kind == I_JCC || !runs_on(c, (size_t)p))
			return false;
		p++;
	}
	return false;
}

#define ERR(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

int unwind_site__find(struct elf_file *ef, uint64_t fv, uint64_t fsz, const uint64_t handlers[256],
		      int frame_back, uint64_t *label, char *err, size_t errlen)
{
	struct ucode c = { 0 };
	uint64_t found[4];
	int n_found = 0, ret;

	if (x86_code__init(&c.x, ef, sizeof(struct uins), describe)) {
		ERR("capstone: cannot open an x86-64 disassembler");
		return -ENOTSUP;
	}
	ret = read_function(&c, fv, fsz, handlers);
	if (ret) {
		ERR("cannot read the eval function's code and fragments (%s)", strerror(-ret));
		goto out;
	}
	x86_code__sort(&c.x);
	for (size_t i = 0; i < c.n; i++) {
		long t = (c.v[i].kind == I_JMP || c.v[i].kind == I_JCC) ?
			 find_uins(&c, c.v[i].target) : -1;
		if (t >= 0)
			c.v[t].leader = true;
	}
	for (int h = 0; h < 256; h++) {
		long t = find_uins(&c, handlers[h]);
		if (t >= 0)
			c.v[t].leader = true;
	}
	for (size_t j = 0; j < c.n; j++) {
		long taken, fall, from = (long)j;
		bool null_taken, null_fall;

		if (c.v[j].kind != I_JCC || !runs_on(&c, j))
			continue;
		taken = find_uins(&c, c.v[j].target);
		fall = (long)j + 1;
		null_taken = returns_null(&c, taken);
		null_fall = returns_null(&c, fall);
		if (null_taken == null_fall)
			continue;
		while (from > 0 && !c.v[from].leader && c.v[from - 1].kind != I_JCC &&
		       runs_on(&c, (size_t)from - 1))
			from--;
		if (!pops_frame(&c, from, (long)j, null_taken ? fall : taken, frame_back))
			continue;
		bool dup = false;
		for (int k = 0; k < n_found; k++)
			dup |= found[k] == c.v[from].addr;
		if (!dup && n_found < 4)
			found[n_found++] = c.v[from].addr;
	}
	if (n_found == 1) {
		*label = found[0];
	} else if (!n_found) {
		ret = -ENOENT;
		ERR("no code in the eval function pops a frame and returns NULL (exit_unwind)");
	} else {
		ret = -EEXIST;
		ERR("%d places in the eval function pop a frame and return NULL (0x%llx, 0x%llx%s): "
		    "cannot tell exit_unwind", n_found, (unsigned long long)found[0],
		    (unsigned long long)found[1], n_found > 2 ? ", ..." : "");
	}
out:
	x86_code__free(&c.x);
	return ret;
}
