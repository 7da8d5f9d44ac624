// SPDX-License-Identifier: MIT
/*
 * The eval function's instructions as the dispatch-site planners see them
 * (dispatch_sites.c, throw_site.c, ccall_sites.c): each instruction's kind
 * and direct target, its successors, families of handlers, what code
 * outside a family reaches, and the first emulated instruction of a
 * handler's straight line (see dispatch_internal.h and the essay in
 * dispatch_sites.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "cpython/dispatch_internal.h"
#include "cpython/x86_code.h"
#include "os/elf_file.h"

void classify(csh cs, const cs_insn *in, void *rec)
{
	struct ins *out = rec;
	const cs_x86 *x = &in->detail->x86;
	bool imm = x->op_count == 1 && x->operands[0].type == X86_OP_IMM;

	out->addr = in->address;
	out->size = in->size;
	out->target = imm ? (uint64_t)x->operands[0].imm : 0;
	out->emulated = x86_code__kernel_emulates(in->bytes, in->size);
	out->kind = K_OTHER;
	if (in->id == X86_INS_UD2 || in->id == X86_INS_HLT || in->id == X86_INS_INT3)
		out->kind = K_STOP;
	else if (cs_insn_group(cs, in, X86_GRP_RET))
		out->kind = K_RET;
	else if (cs_insn_group(cs, in, X86_GRP_CALL))
		out->kind = imm ? K_CALL : K_OTHER;	/* an indirect call returns */
	else if (in->id == X86_INS_JMP || in->id == X86_INS_LJMP)
		out->kind = imm ? K_JMP : K_JMP_IND;
	else if (cs_insn_group(cs, in, X86_GRP_JUMP))
		out->kind = imm ? K_JCC : K_JMP_IND;
}

int disassemble(struct code *c, uint64_t start, uint64_t size)
{
	int ret = x86_code__read(&c->x, start, size);

	c->v = c->x.v;
	c->n = c->x.n;
	return ret;
}

/* index of the instruction starting at ADDR, or -1 */
long find_ins(const struct code *c, uint64_t addr)
{
	return x86_code__find(&c->x, addr);
}

size_t disasm_at(const struct code *c, uint64_t addr, size_t len, cs_insn **in)
{
	unsigned char buf[1024];

	if (len > sizeof(buf) || elf_file__read_vaddr(c->x.ef, addr, buf, len) < 0)
		return 0;
	return cs_disasm(c->x.cs, buf, len, addr, 0, in);
}

/* successors of instruction I: fall-through and/or direct target (-1: none) */
void successors(const struct code *c, size_t i, long *fall, long *jump)
{
	const struct ins *in = &c->v[i];

	*fall = *jump = -1;
	if (in->kind == K_OTHER || in->kind == K_CALL || in->kind == K_JCC)
		if (i + 1 < c->n && c->v[i + 1].addr == in->addr + in->size)
			*fall = (long)i + 1;
	if (in->kind == K_JMP || in->kind == K_JCC)
		*jump = find_ins(c, in->target);
}

void family_add(struct family *f, uint64_t addr, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (f->entry[i] == addr)
			return;	/* two opcodes sharing one handler */
	if (f->n < (int)(sizeof(f->entry) / sizeof(f->entry[0]))) {
		f->entry[f->n] = addr;
		snprintf(f->name[f->n], sizeof(f->name[0]), "%s", name);
		f->n++;
	}
}

bool in_family(const struct family *f, uint64_t addr)
{
	for (int i = 0; i < f->n; i++)
		if (f->entry[i] == addr)
			return true;
	return false;
}

/* MARK every instruction that code outside family F reaches (from STARTS,
 * following fall-through and direct jumps, not going through F's entries) */
int reach_outside(const struct code *c, const struct family *f, const uint64_t *starts,
			 size_t n_starts, uint8_t *mark)
{
	long *stack = malloc(c->n * sizeof(*stack));
	size_t sp = 0;

	if (!stack)
		return -ENOMEM;
	memset(mark, 0, c->n);
	for (size_t i = 0; i < n_starts; i++) {
		long k = find_ins(c, starts[i]);
		if (k >= 0 && !in_family(f, starts[i]) && !mark[k]) {
			mark[k] = 1;
			stack[sp++] = k;
		}
	}
	while (sp) {
		long i = stack[--sp], next[2];

		successors(c, (size_t)i, &next[0], &next[1]);
		for (int j = 0; j < 2; j++) {
			long k = next[j];
			if (k < 0 || mark[k] || in_family(f, c->v[k].addr))
				continue;
			mark[k] = 1;
			stack[sp++] = k;
		}
	}
	free(stack);
	return 0;
}

/* The site of the handler at index E: the first emulated instruction of its
 * straight-line path, or the handler's first instruction (slow) when there
 * is none that only F reaches, or -1 when even that is reached by others. */
long entry_site(const struct code *c, const uint8_t *outside, long e, bool *emulated)
{
	long i = e;

	*emulated = false;
	for (int k = 0; k < PREFIX_MAX; k++) {
		const struct ins *in = &c->v[i];
		long fall, jump;

		if (i != e && outside[i])
			break;	/* other code joins the path here */
		if (in->emulated) {
			*emulated = true;
			return i;
		}
		if (in->kind != K_OTHER)
			break;	/* a branch the kernel does not emulate */
		successors(c, (size_t)i, &fall, &jump);
		if (fall < 0)
			break;
		i = fall;
	}
	return outside[e] ? -1 : e;
}
