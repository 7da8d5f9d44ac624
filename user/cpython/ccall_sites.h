/* SPDX-License-Identifier: MIT */
/* Where --c-calls probes CPython 3.12's eval loop (see ccall_sites.c). */
#ifndef TRACER_CCALL_SITES_H
#define TRACER_CCALL_SITES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "os/elf_file.h"
#include "cpython/py_opcodes.h"

#define CC_MAX_STARTS 32
#define CC_MAX_ENDS 64

struct cc_site {
	uint64_t vaddr;		/* where the uprobe goes */
	bool emulated;		/* the kernel emulates the probed instruction */
	bool list_append;	/* a start site of LIST_APPEND (TR_CCALL_SITE_LIST_APPEND) */
	bool precall;		/* 3.11: a start site of PRECALL's family (TR_CCALL_SITE_PRECALL) */
	bool kw;		/* 3.13+: a start site of CALL_KW's family (TR_CCALL_SITE_KW) */
	char what[48];
	/* an end site: where the call's result is there (TR_CCALL_RES_*, its
	 * BPF cookie; 0 unknown), user/cpython/ccall_result.c */
	uint32_t result;
	bool result_set;
};

struct cc_plan {
	struct cc_site starts[CC_MAX_STARTS];
	int n_starts;
	struct cc_site ends[CC_MAX_ENDS];
	int n_ends;
	int sp_reg;		/* enum tr_reg: the value stack pointer */
	int n_slow;		/* sites the kernel single-steps */
	uint8_t call_ops[32];	/* bitmap: the opcodes of the call family */
};

/* Plan the C-call sites of the ELF file PATH (open as EF) for opcodes OPS;
 * PREV_INSTR is the offset of a frame's prev_instr. 0, or -errno with a
 * one-line reason in ERR. */
int ccall_sites__plan(struct elf_file *ef, const char *path, const struct py_opcodes *ops,
		      int prev_instr, struct cc_plan *plan, char *err, size_t errlen);
#endif
