/* SPDX-License-Identifier: MIT */
/* Where to put uprobes in CPython 3.11+'s eval loop (see dispatch_sites.c). */
#ifndef TRACER_DISPATCH_SITES_H
#define TRACER_DISPATCH_SITES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "os/elf_file.h"
#include "cpython/py_opcodes.h"

enum ds_kind {
	DS_CALL = 1,	/* a frame starts or resumes (RESUME and its forms) */
	DS_RETURN = 2,	/* a frame returns or yields */
	DS_UNWIND = 3,	/* a frame exits by an exception (the exit_unwind label) */
	DS_THROW = 4,	/* a frame resumes by gen.throw() (throw_site.c) */
};

/* a site where a frame starts or resumes (the others: where one exits) */
static inline bool ds_kind_starts(uint8_t kind)
{
	return kind == DS_CALL || kind == DS_THROW;
}

struct ds_site {
	uint64_t vaddr;		/* where the uprobe goes (virtual address in the file) */
	uint64_t entry;		/* the handler or label it stands for */
	uint8_t kind;		/* enum ds_kind */
	bool emulated;		/* the kernel emulates the probed instruction */
	int8_t frame_reg;	/* -1: the exiting frame is the thread state's current
				 * one; else the register holding it (after the
				 * switch: cpython/exit_reg.h) */
	bool link_cleared;	/* its `previous` is NULL there (a yield) */
	char what[40];		/* the instruction's or label's name */
};

#define DS_MAX_SITES 32

struct ds_plan {
	struct ds_site sites[DS_MAX_SITES];
	int n;
	int n_slow;		/* sites on instructions the kernel single-steps */
	const char *unwind_from;/* where exit_unwind came from: "DWARF", "code analysis" */
};

/* Choose the probe sites in the ELF file PATH (already open as EF) for the
 * opcode numbers OPS; FRAME_BACK is the offset of a frame's `previous`
 * pointer. 0, or -errno with a one-line reason in ERR. */
int dispatch_sites__plan(struct elf_file *ef, const char *path, const struct py_opcodes *ops,
			 int frame_back, struct ds_plan *plan, char *err, size_t errlen);

/* The same in two steps, so that the opcode numbers can be asked for
 * meanwhile: what does not depend on them (the handlers' table,
 * exit_unwind, the eval function's code disassembled), into *OUT (EF must
 * stay open while it lives); then the sites for OPS. Each: 0, or -errno
 * with a one-line reason in ERR. */
struct ds_prep;
int dispatch_sites__prepare(struct elf_file *ef, const char *path, int frame_back,
			    struct ds_prep **out, char *err, size_t errlen);
int dispatch_sites__plan_prepared(struct ds_prep *p, const struct py_opcodes *ops,
				  struct ds_plan *plan, char *err, size_t errlen);
void dispatch_sites__prep_free(struct ds_prep *p);

const char *dispatch_sites__kind_name(uint8_t kind);

#endif
