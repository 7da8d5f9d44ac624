// SPDX-License-Identifier: MIT
/*
 * Exit sites after the frame switch: which register holds the exiting frame.
 *
 * An exit handler (RETURN_VALUE, YIELD_VALUE, the exit_unwind label) makes
 * the caller the current frame (`frame = tstate->current_frame =
 * dying->previous`) early, often before any instruction the kernel emulates:
 * a uprobe before the switch is single-stepped (~10-17 µs a hit here). The
 * first emulated instruction after it (the `call _PyEval_FrameClearAndPop`
 * of a return, the jump of a yield) is cheap, but there the thread state
 * names the caller; the BPF program must take the exiting frame from a
 * register instead (bpf/tracer.bpf.c, dispatch_return). This file says
 * which one, from the straight-line code [ENTRY, SITE) that every execution
 * of the handler runs, by three rules, first that applies:
 *
 *  1. Value numbering. Each register starts with a value of its own; a
 *     64-bit register-to-register move copies the value, every other write
 *     makes a new one. The switch is the store to memory of a value loaded
 *     from X->previous (`mov off(B), R` with off = FRAME_BACK); the exiting
 *     frame is the value B had at that load. A register that still holds
 *     that value at SITE is the answer (3.13 RETURN_VALUE: `mov %rbp,%rsi`
 *     before `mov 0x8(%rbp),%r12`; 3.14 YIELD_VALUE: %rbx).
 *  2. The ABI. SITE is a direct call of _PyEval_FrameClearAndPop (3.13+,
 *     exported: through its PLT stub, whose GOT word's relocation names it,
 *     which strip keeps) or _PyEvalFrameClearAndPop (3.12, static: by its
 *     .symtab symbol):
 *     `(tstate, frame)`, the frame being popped in %rsi. A name without a
 *     GCC clone suffix (.isra, .constprop) keeps the standard calling
 *     convention. (3.12/3.13 exit_unwind: %rsi is set by the code that
 *     jumps to the label, out of sight of rule 1.) Stripped 3.12 has no
 *     name for its static callee: there exit_preds.c follows every way
 *     into the label back and gives rule 1 the registers equal at ENTRY
 *     (exit_reg__find_eq: `mov %rbx,%rsi` before each jump to it).
 *  3. YIELD_VALUE clears the yielding frame's link (`gen_frame->previous =
 *     NULL`): a store of 0 to off(B) with off = FRAME_BACK, B not itself a
 *     link just read (the caller); a register still holding B's
 *     value at SITE holds the exiting frame (3.12 YIELD_VALUE: %rbp, which
 *     GCC keeps equal to the frame there). The frame's link is NULL then.
 *
 * No rule is trusted blindly: the BPF program checks every hit (the frame's
 * link must be the thread's current frame, or NULL where the analysis saw it
 * cleared) and counts a mismatch as a lost event.
 */
#include <errno.h>
#include <string.h>
#include <capstone/capstone.h>
#include "cpython/exit_reg.h"
#include "cpython/x86_code.h"
#include "os/elf_file.h"

#define SPAN_MAX 1024	/* bytes of straight-line code analysed */

static int gpr_of(x86_reg r)
{
	return x86_code__gpr(r, NULL);
}

static bool is_gpr64(x86_reg r)
{
	int g = gpr_of(r);
	static const x86_reg full[16] = {
		X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
		X86_REG_RSI, X86_REG_RDI, X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
		X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
	};
	return g >= 0 && full[g] == r;
}

/* a plain `disp(base)` operand of 8 bytes at offset BACK (no index, no
 * segment, no rip): the base's number, else -1 */
static int back_slot(const cs_x86_op *o, int back)
{
	if (o->type != X86_OP_MEM || o->size != 8 || o->mem.disp != back ||
	    o->mem.index != X86_REG_INVALID || o->mem.segment != X86_REG_INVALID ||
	    !is_gpr64(o->mem.base) || o->mem.base == X86_REG_RSP)
		return -1;	/* (a stack slot is no frame's link) */
	return gpr_of(o->mem.base);
}

struct vn {
	unsigned val[16];	/* each register's value number */
	unsigned from_back[16];	/* value X when the register holds X->previous */
	unsigned next;
	unsigned dying;		/* the exiting frame's value (0: no switch seen) */
	unsigned cleared;	/* a value whose ->previous was set to 0 after the switch */
};

static void vn_write(struct vn *v, int g)
{
	if (g >= 0) {
		v->val[g] = v->next++;
		v->from_back[g] = 0;
	}
}

/* one instruction of the straight-line code */
static void vn_step(struct vn *v, csh cs, const cs_insn *in, int back)
{
	const cs_x86 *x = &in->detail->x86;
	const cs_x86_op *o = x->operands;

	if (in->id == X86_INS_MOV && x->op_count == 2) {
		int d = o[0].type == X86_OP_REG ? gpr_of(o[0].reg) : -1;

		if (o[0].type == X86_OP_REG && o[1].type == X86_OP_REG &&
		    is_gpr64(o[0].reg) && is_gpr64(o[1].reg)) {
			int s = gpr_of(o[1].reg);
			v->val[d] = v->val[s];
			v->from_back[d] = v->from_back[s];
			return;
		}
		if (o[0].type == X86_OP_REG && is_gpr64(o[0].reg) && back_slot(&o[1], back) >= 0) {
			unsigned base = v->val[back_slot(&o[1], back)];
			vn_write(v, d);
			v->from_back[d] = base;
			return;
		}
		if (o[0].type == X86_OP_MEM && o[1].type == X86_OP_REG && is_gpr64(o[1].reg)) {
			int s = gpr_of(o[1].reg);
			if (v->from_back[s] && !v->dying) {
				v->dying = v->from_back[s];
			}
			return;	/* a store writes no register */
		}
		if (o[0].type == X86_OP_MEM && o[1].type == X86_OP_IMM && o[1].imm == 0 &&
		    back_slot(&o[0], back) >= 0) {
			int b = back_slot(&o[0], back);
			if (!v->from_back[b])	/* (not a link just read: the caller) */
				v->cleared = v->val[b];
			return;
		}
	}
	if (in->id == X86_INS_CALL) {
		/* the callee may change every caller-saved register (SysV ABI) */
		static const int clobbered[] = { 0, 1, 2, 6, 7, 8, 9, 10, 11 };
		for (size_t k = 0; k < sizeof(clobbered) / sizeof(clobbered[0]); k++)
			vn_write(v, clobbered[k]);
	}
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) == CS_ERR_OK)
		for (uint8_t k = 0; k < nwr; k++)
			vn_write(v, gpr_of(wr[k]));
	else
		for (int g = 0; g < 16; g++)
			vn_write(v, g);	/* cannot tell: forget everything */
}

static int holder(const struct vn *v, unsigned value)
{
	/* the ABI's argument registers last: a callee-saved one survives */
	static const int order[] = { 3, 5, 12, 13, 14, 15, 6, 7, 0, 1, 2, 8, 9, 10, 11 };

	for (size_t i = 0; value && i < sizeof(order) / sizeof(order[0]); i++)
		if (v->val[order[i]] == value)
			return order[i];
	return -1;
}

static const char *const clear_and_pop[] = { "_PyEval_FrameClearAndPop",
					      "_PyEvalFrameClearAndPop" };

/* the dynamic symbol a PLT stub at T jumps to (`[endbr64;] [bnd] jmp
 * *slot(%rip)`, the GOT word bound by a relocation), or NULL */
static const char *plt_symbol(struct elf_file *ef, csh cs, uint64_t t)
{
	unsigned char b[16];
	const char *name = NULL;
	cs_insn *in = NULL;
	size_t cnt;

	if (elf_file__read_vaddr(ef, t, b, sizeof(b)) != (ssize_t)sizeof(b))
		return NULL;
	cnt = cs_disasm(cs, b, sizeof(b), t, 2, &in);
	for (size_t i = 0; i < cnt; i++) {
		const cs_x86 *x = &in[i].detail->x86;

		if (in[i].id == X86_INS_ENDBR64 && i == 0)
			continue;
		if (in[i].id == X86_INS_JMP && x->op_count == 1 &&
		    x->operands[0].type == X86_OP_MEM && x->operands[0].mem.base == X86_REG_RIP &&
		    x->operands[0].mem.index == X86_REG_INVALID &&
		    elf_file__slot_symbol(ef, in[i].address + in[i].size +
					  (uint64_t)x->operands[0].mem.disp, &name))
			name = NULL;
		break;
	}
	if (cnt)
		cs_free(in, cnt);
	return name;
}

/* is SITE a direct call of the frame-clearing function (by its symbol, or
 * through its PLT stub)? */
static bool calls_clear_and_pop(struct elf_file *ef, csh cs, const cs_insn *site)
{
	const cs_x86 *x = &site->detail->x86;
	const char *plt;
	uint64_t a, sz, t;

	if (site->id != X86_INS_CALL || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	t = (uint64_t)x->operands[0].imm;
	for (size_t i = 0; i < sizeof(clear_and_pop) / sizeof(clear_and_pop[0]); i++)
		if (!elf_file__find_symbol(ef, clear_and_pop[i], &a, &sz) && a == t)
			return true;
	plt = plt_symbol(ef, cs, t);
	for (size_t i = 0; plt && i < sizeof(clear_and_pop) / sizeof(clear_and_pop[0]); i++)
		if (!strcmp(plt, clear_and_pop[i]))
			return true;
	return false;
}

void exit_reg__eq_none(struct exit_reg_eq *eq)
{
	for (int g = 0; g < 16; g++)
		eq->same[g] = (int8_t)g;
}

int exit_reg__eq_meet(struct elf_file *ef, csh cs, uint64_t from, uint64_t to,
		      struct exit_reg_eq *eq, bool first)
{
	unsigned char buf[SPAN_MAX];
	struct vn v = { .next = 17 };
	cs_insn *in = NULL;
	size_t cnt, i;
	uint64_t end = from;

	if (to < from || to - from > SPAN_MAX ||
	    (to > from && elf_file__read_vaddr(ef, from, buf, to - from) != (ssize_t)(to - from)))
		return -ENOENT;
	for (int g = 0; g < 16; g++)
		v.val[g] = g + 1;
	cnt = to > from ? cs_disasm(cs, buf, to - from, from, 0, &in) : 0;
	for (i = 0; i < cnt; i++) {
		vn_step(&v, cs, &in[i], 0);
		end = in[i].address + in[i].size;
	}
	if (cnt)
		cs_free(in, cnt);
	if (end != to)
		return -ENOENT;	/* not one straight run of instructions */
	/* register g's class: the lowest register equal to it here and, unless
	 * FIRST, in every block met before */
	for (int g = 0; g < 16; g++) {
		int same = g;

		for (int h = 0; h < g; h++)
			if (v.val[h] == v.val[g] && (first || eq->same[h] == eq->same[g])) {
				same = h;
				break;
			}
		eq->same[g] = (int8_t)same;
	}
	return 0;
}

int exit_reg__find(struct elf_file *ef, csh cs, uint64_t entry, uint64_t site, int back,
		   struct exit_reg *out)
{
	return exit_reg__find_eq(ef, cs, entry, site, back, NULL, out);
}

int exit_reg__find_eq(struct elf_file *ef, csh cs, uint64_t entry, uint64_t site, int back,
		      const struct exit_reg_eq *eq, struct exit_reg *out)
{
	unsigned char buf[SPAN_MAX + 16];
	struct vn v = { .next = 17 };
	cs_insn *in = NULL;
	size_t cnt, i;
	int ret = -ENOENT;

	memset(out, 0, sizeof(*out));
	out->reg = -1;
	if (site < entry || site - entry > SPAN_MAX ||
	    elf_file__read_vaddr(ef, entry, buf, site - entry + 16) != (ssize_t)(site - entry + 16))
		return -ENOENT;
	for (int g = 0; g < 16; g++)	/* (registers equal at ENTRY: one value) */
		v.val[g] = (eq ? (unsigned)eq->same[g] : (unsigned)g) + 1;
	cnt = cs_disasm(cs, buf, site - entry + 16, entry, 0, &in);
	for (i = 0; i < cnt && in[i].address < site; i++)
		vn_step(&v, cs, &in[i], back);
	if (i == cnt || in[i].address != site)
		goto out;	/* not one straight run of instructions */
	if ((out->reg = holder(&v, v.dying)) >= 0) {
		out->rule = eq ? "value numbering through every jump to the label"
			       : "value numbering";
		out->cleared = v.cleared && v.cleared == v.dying;
		ret = 0;
	} else if (calls_clear_and_pop(ef, cs, &in[i])) {
		out->reg = 6;	/* %rsi: the second argument */
		out->rule = "the callee's arguments";
		ret = 0;
	} else if (v.dying && (out->reg = holder(&v, v.cleared)) >= 0) {
		out->rule = "the cleared link";
		out->cleared = true;
		ret = 0;
	}
out:
	if (cnt)
		cs_free(in, cnt);
	return ret;
}
