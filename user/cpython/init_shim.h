/* SPDX-License-Identifier: MIT */
/* CPython 3.13's _Py_InitCleanup code object found in .data when the
 * build has no symbol for it (see init_shim.c). */
#ifndef TRACER_INIT_SHIM_H
#define TRACER_INIT_SHIM_H
#include <stdint.h>
#include "os/elf_file.h"
#include "tracer.h"

/* The address of the shim's code object in EF, whose code object layout
 * is L, RESUME and RETURN_VALUE the opcode numbers. 0; -ENOENT when no
 * object qualifies, -EEXIST when several do. */
int init_shim__find(struct elf_file *ef, const struct tr_py_layout *L, int resume,
		    int return_value, uint64_t *vaddr);
#endif
