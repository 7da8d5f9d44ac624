// SPDX-License-Identifier: MIT
/*
 * Finding the computed-goto table of _PyEval_EvalFrameDefault without a
 * symbol.
 *
 * CPython built with computed gotos (every GCC and clang build up to 3.13,
 * and 3.14 unless the tail-calling interpreter was chosen) dispatches each
 * instruction with `goto *opcode_targets[opcode]`: a static array of 256
 * label addresses. Its symbol (`opcode_targets.N`, a local) is in .symtab
 * only, which distribution and container builds strip. The table is still
 * there, and the code says where:
 *
 *   position-independent code (libpython, a PIE executable):
 *       lea  TABLE(%rip), %rT        ...  jmp *(%rT,%rI,8)
 *     the table's words are 0 in the file, each with an R_X86_64_RELATIVE
 *     relocation whose addend is the label's address;
 *   a non-PIE executable (Debian's /usr/bin/python3.11):
 *       jmp *TABLE(,%rI,8)   or   mov TABLE(,%rI,8), %rX ... jmp *%rX
 *     the words are the labels' absolute addresses.
 *
 * So every rip-relative `lea` target and every absolute displacement of a
 * memory operand indexed by 8 in the function is a candidate. A candidate
 * is the table when each of its 256 words (relocations applied) points
 * into executable code and at least half point into the function itself:
 * unused opcodes share one error label, and GCC moves rarely run handlers
 * into a separate `.cold` fragment outside the function's symbol (Debian's
 * PGO+LTO 3.11: 81 of 256 entries are outside), so not all need be inside. The
 * other rip-relative data the function names (strings, small constant
 * tables, jump tables of switch statements, which hold 32-bit offsets, not
 * pointers) fails that test. Exactly one candidate may pass; none means the
 * build does not dispatch through such a table (say so: a tail-calling 3.14
 * dispatches through a table of functions, each outside the function), two
 * means we cannot tell, and the caller refuses rather than guess.
 *
 * The result is checked against the symbol on every build that has it
 * (tests/unit/cpython/test_opcode_table.c), stripped copies included.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "cpython/opcode_table.h"
#include "cpython/x86_code.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)
#define MAX_CANDIDATES 4096

struct candidates {
	uint64_t v[MAX_CANDIDATES];
	int n;
};

static void add_candidate(struct candidates *c, uint64_t vaddr)
{
	for (int i = 0; i < c->n; i++)
		if (c->v[i] == vaddr)
			return;
	if (c->n < MAX_CANDIDATES)
		c->v[c->n++] = vaddr;
}

static int collect_insn(csh cs, const cs_insn *in, void *ctx)
{
	const cs_x86 *x = &in->detail->x86;

	for (int k = 0; k < x->op_count; k++) {
		const cs_x86_op *o = &x->operands[k];

		if (o->type != X86_OP_MEM)
			continue;
		if (in->id == X86_INS_LEA && o->mem.base == X86_REG_RIP &&
		    o->mem.index == X86_REG_INVALID)
			add_candidate(ctx, in->address + in->size + (int64_t)o->mem.disp);
		else if (o->mem.base == X86_REG_INVALID && o->mem.index != X86_REG_INVALID &&
			 o->mem.scale == 8 && o->mem.disp > 0)
			add_candidate(ctx, (uint64_t)o->mem.disp);
	}
	return 0;
}

/* the addresses the function's instructions name that could be the table */
static int collect(struct elf_file *ef, uint64_t start, uint64_t size, struct candidates *c)
{
	unsigned char *buf;
	csh cs;
	int ret = 0;

	buf = elf_file__copy(ef, start, size, &ret);
	if (!buf)
		return ret;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		free(buf);
		return -ENOSYS;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	if (!x86_code__each(cs, buf, size, start, collect_insn, c))
		ret = -EINVAL;
	cs_close(&cs);
	free(buf);
	return ret;
}

/* Is the table at VADDR the dispatch table? Fills OUT's handlers. */
static bool qualifies(struct elf_file *ef, uint64_t vaddr, uint64_t start, uint64_t size,
		      struct opcode_table *out)
{
	uint64_t raw[256];
	int inside = 0;

	/* cheap first: the file's words are all 0 (relocated later) or all
	 * code addresses (absolute) */
	if (elf_file__read_vaddr(ef, vaddr, raw, sizeof(raw)) != (ssize_t)sizeof(raw))
		return false;
	for (int i = 0; i < 256; i++)
		if (raw[i] && !elf_file__vaddr_is_exec(ef, raw[i]))
			return false;
	if (elf_file__read_pointers(ef, vaddr, out->handlers, 256))
		return false;
	for (int i = 0; i < 256; i++) {
		if (!elf_file__vaddr_is_exec(ef, out->handlers[i]))
			return false;
		inside += out->handlers[i] >= start && out->handlers[i] - start < size;
	}
	if (inside < 128)
		return false;
	out->vaddr = vaddr;
	out->n_inside = inside;
	return true;
}

int opcode_table__find(struct elf_file *ef, uint64_t eval_vaddr, uint64_t eval_size,
		       struct opcode_table *out, char *err, size_t errlen)
{
	struct candidates *c = calloc(1, sizeof(*c));
	struct opcode_table t;
	int found = 0, ret;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -ENOMEM;
	ret = collect(ef, eval_vaddr, eval_size, c);
	if (ret) {
		ERR("cannot disassemble the eval function: %s", strerror(-ret));
		goto cleanup;
	}
	for (int i = 0; i < c->n; i++) {
		if (!qualifies(ef, c->v[i], eval_vaddr, eval_size, &t))
			continue;
		if (found++) {
			ret = -EEXIST;
			ERR("two tables qualify as the eval loop's dispatch table (0x%llx, 0x%llx)",
			    (unsigned long long)out->vaddr, (unsigned long long)t.vaddr);
			goto cleanup;
		}
		*out = t;
	}
	out->n_candidates = c->n;
	if (!found) {
		ret = -ENOENT;
		ERR("no computed-goto table in the eval function (%d tables looked at): a build "
		    "without computed gotos, or with the tail-calling interpreter", c->n);
	}
cleanup:
	free(c);
	return ret;
}
