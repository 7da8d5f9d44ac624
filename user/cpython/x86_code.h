/* SPDX-License-Identifier: MIT */
/*
 * Machine code of the interpreter, disassembled (capstone) into an array of
 * the caller's own instruction records: the one reader behind the dispatch
 * planner (dispatch_sites.c) and the exit_unwind finder (unwind_site.c),
 * which each keep what they need of an instruction. A record must begin
 * with its address, a uint64_t.
 */
#ifndef TRACER_CPYTHON_X86_CODE_H
#define TRACER_CPYTHON_X86_CODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>

struct elf_file;

/* fills the record OUT (ELEM bytes, zeroed before) for instruction IN */
typedef void (*x86_code_describe)(csh cs, const cs_insn *in, void *out);

struct x86_code {
	void *v;		/* n records of elem bytes, in the order read */
	size_t n, cap, elem;
	csh cs;			/* capstone, x86-64, with details */
	struct elf_file *ef;
	x86_code_describe describe;
};

/* called for each instruction in turn; nonzero stops */
typedef int (*x86_code_visit)(csh cs, const cs_insn *in, void *ctx);
/* disassemble SIZE bytes of BUF, the code at ADDR, one instruction at a time
 * (capstone's iterator: one record reused) until one does not decode or
 * VISIT says stop: the number visited */
size_t x86_code__each(csh cs, const unsigned char *buf, size_t size, uint64_t addr,
		      x86_code_visit visit, void *ctx);

/* ready to read EF's code into records of ELEM bytes (ELEM >= 8) */
int x86_code__init(struct x86_code *c, struct elf_file *ef, size_t elem,
		   x86_code_describe describe);
/* disassemble [START, START + SIZE) and append its records: 0 or -errno */
int x86_code__read(struct x86_code *c, uint64_t start, uint64_t size);
/* the records in address order (for x86_code__find) */
void x86_code__sort(struct x86_code *c);
/* index of the record of the instruction at ADDR (sorted), or -1 */
long x86_code__find(const struct x86_code *c, uint64_t addr);
void x86_code__free(struct x86_code *c);
/* Does a uprobe on the x86-64 instruction B[0..LEN) get emulated by the
 * kernel (no single-step)? */
bool x86_code__kernel_emulates(const unsigned char *b, size_t len);

/* capstone's register R -> the number of the 64-bit register it is part of
 * in the x86 encoding (rax 0 ... r15 15), its width in *BITS (64, 32, 16,
 * 8; BITS may be NULL); -1 for anything else */
int x86_code__gpr(x86_reg r, int *bits);
#endif
