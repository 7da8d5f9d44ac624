// SPDX-License-Identifier: MIT
/*
 * Where a C call's result is at its end site (--c-calls' c_exception).
 *
 * sys.setprofile reports a C function that raised as c_exception: in 3.12+
 * the instrumented CALL raises C_RAISE when the call's result is NULL. The
 * end site (ccall_sites.c) is the first instruction the kernel emulates on
 * the straight line after the call, before the handler tests the result,
 * so the result is still in a register there, but not always in rax: GCC
 * moves it away to reload rax (measured, pyenv 3.12.1: after `call *%rcx`
 * the line runs `mov %rax,%rbp; mov 0x8(%rsp),%rax; ... test %eax,%eax;
 * js`, the result then in rbp). So the line from the call to the site is
 * followed here, one instruction at a time, keeping the set of registers
 * that hold the result: a register-to-register move of a holder of the
 * full width adds its destination; any other write of a register takes it
 * out. At the site, rax if it still holds it, else the lowest-numbered
 * holder. A store of a full holder to memory at a register plus a
 * displacement (a spill: pyenv 3.14.7 stores one result to -0x248(%rbp))
 * keeps that slot too, until the slot is stored to again or its base
 * register written; used when no register holds it. None left: the
 * site's cookie says unknown, the BPF side counts
 * the C calls ended there (ccall_exc_unknown) and the user is told.
 *
 * What "raised" is depends on the callee: NULL for a PyObject * (the C
 * function through a register or ml_meth, PyObject_Vectorcall,
 * PyObject_Call, _PyObject_MakeTpCall), < 0 for len's PyObject_Size and
 * PyMapping_Size (a Py_ssize_t) and isinstance's PyObject_IsInstance (an
 * int: its low 32 bits), named by the PLT or, in a non-PIE executable, by
 * their own addresses. A register-indirect call has no name: where LTO
 * inlined PyObject_Size into the LEN form (Debian's 3.11), `call *%rax` is
 * the length slot, a Py_ssize_t. Such a call's kind is that of the family
 * members whose code reaches it (ccall_sites.c, region_kinds): the
 * LEN forms' own code, ISINSTANCE's, or the others'; reached by two kinds,
 * unknown. Two calls may share one end site (3.12's CALL_FUNCTION_EX, plain
 * and instrumented): their findings must agree, else unknown.
 */
#include <string.h>
#include "cpython/ccall_internal.h"
#include "tracer.h"

/* the kind of result of the call at I by the function it calls, when a
 * name or a known address says (TR_CCALL_RES_SSIZE, _INT, 0: a PyObject *;
 * DIRECT: the end callees' own addresses, ccall_sites.c), else -1 */
static int64_t result_kind(const struct code *c, size_t i, const struct cc_callees *direct)
{
	cs_insn *in;
	size_t n = disasm_at(c, c->v[i].addr, c->v[i].size, &in);
	int64_t kind = -1;
	char name[128] = "";

	if (n == 1 && in->detail->x86.op_count == 1 &&
	    in->detail->x86.operands[0].type == X86_OP_IMM) {
		uint64_t t = (uint64_t)in->detail->x86.operands[0].imm;

		if (!plt_name(c, t, name, sizeof(name)))
			for (int e = 0; e < direct->n; e++)
				if (direct->addr[e] && direct->addr[e] == t)
					snprintf(name, sizeof(name), "%s", direct->name[e]);
		if (name[0])
			kind = !strcmp(name, "PyObject_Size") || !strcmp(name, "PyObject_Length") ||
				       !strcmp(name, "PyMapping_Size") ? TR_CCALL_RES_SSIZE :
			       !strcmp(name, "PyObject_IsInstance") ? TR_CCALL_RES_INT : 0;
	}
	if (n)
		cs_free(in, n);
	return kind;
}

/* the cookie of SITE after the call at CALL (0: unknown), the result of
 * kind KIND */
static uint32_t result_at(const struct code *c, size_t call, size_t site, uint32_t kind)
{
	/* the width the result needs: an int's 32 bits, else 64 */
	int need = kind == TR_CCALL_RES_INT ? 32 : 64;
	uint16_t holds = 1;	/* rax */
	int slot_base = -1;	/* a spill slot holding it: base register */
	int64_t slot_disp = 0;
	uint64_t from = c->v[call].addr + c->v[call].size, to = c->v[site].addr;
	cs_insn *in = NULL;
	size_t n = 0;

	if (to < from || to - from > 256)
		return 0;
	if (to > from && !(n = disasm_at(c, from, to - from, &in)))
		return 0;
	for (size_t i = 0; i < n && (holds || slot_base >= 0); i++) {
		const cs_x86 *x = &in[i].detail->x86;
		cs_regs rd, wr;
		uint8_t nrd = 0, nwr = 0;
		int src = -1, dst = -1, sb = 0, db = 0;

		if (in[i].id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[1].type == X86_OP_REG) {
			dst = x86_code__gpr(x->operands[0].reg, &db);
			src = x86_code__gpr(x->operands[1].reg, &sb);
		}
		/* a store to memory: a spill of a holder, or over the slot */
		if (in[i].id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_MEM) {
			const x86_op_mem *m = &x->operands[0].mem;
			int b, base = x86_code__gpr(m->base, &b);

			if (base == slot_base && m->disp == slot_disp)
				slot_base = -1;
			if (x->operands[1].type == X86_OP_REG && base >= 0 &&
			    m->index == X86_REG_INVALID && m->disp >= INT16_MIN && m->disp <= INT16_MAX &&
			    (src = x86_code__gpr(x->operands[1].reg, &sb)) >= 0 && sb >= need &&
			    sb == 64 && (holds & (1u << src)) && !(holds & (1u << base))) {
				slot_base = base;
				slot_disp = m->disp;
			}
			src = -1;
		}
		/* a full copy of a holder (read before the write below) */
		bool copy = src >= 0 && dst >= 0 && src != dst && sb >= need && db == sb &&
			    (holds & (1u << src));

		if (cs_regs_access(c->x.cs, &in[i], rd, &nrd, wr, &nwr) != CS_ERR_OK) {
			holds = 0;
			slot_base = -1;
			break;
		}
		for (uint8_t k = 0; k < nwr; k++) {
			int b, r = x86_code__gpr(wr[k], &b);

			if (r >= 0)
				holds &= ~(1u << r);
			if (r >= 0 && r == slot_base)
				slot_base = -1;
		}
		if (copy)
			holds |= 1u << dst;
	}
	if (n)
		cs_free(in, n);
	if (!holds && slot_base >= 0)
		return TR_CCALL_RES_KNOWN | TR_CCALL_RES_MEM | kind | (uint32_t)slot_base |
		       (uint32_t)(uint16_t)(int16_t)slot_disp << 16;
	if (!holds)
		return 0;
	int reg = holds & 1 ? 0 : __builtin_ctz(holds);
	return TR_CCALL_RES_KNOWN | kind | (uint32_t)reg;
}

void ccall_result__merge(const struct code *c, size_t call, size_t site, int64_t region_kind,
			 const struct cc_callees *direct, struct cc_site *end)
{
	int64_t kind = result_kind(c, call, direct);
	uint32_t r;

	if (kind < 0)
		kind = region_kind;	/* a register-indirect call: by who reaches it */
	r = kind < 0 ? 0 : result_at(c, call, site, (uint32_t)kind);

	if (!end->result_set) {
		end->result = r;
		end->result_set = true;
	} else if (end->result != r) {
		end->result = 0;
	}
}
