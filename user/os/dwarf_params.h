/* SPDX-License-Identifier: MIT */
/* Where a function's parameter is at its entry, from DWARF (libdw). */
#ifndef TRACER_DWARF_PARAMS_H
#define TRACER_DWARF_PARAMS_H
#include <stdint.h>

enum dwarf_param_where {
	DWARF_PARAM_ARG,	/* in an integer argument register: *value = 0..5 */
	DWARF_PARAM_CONST,	/* a constant of this copy (GCC clone): *value */
	DWARF_PARAM_UNKNOWN,	/* described, but neither (e.g. optimized out) */
};

/*
 * Parameter PARAM of the function whose code starts at FUNC_VADDR in the
 * ELF file PATH (a concrete instance: a clone like collect.constprop.0 has
 * its own). 0 and *WHERE; -ENODATA without DWARF; -ENOENT when no
 * function starts there or it has no such parameter.
 */
int dwarf_params__find(const char *path, uint64_t func_vaddr, const char *param,
		       enum dwarf_param_where *where, int64_t *value);

/* The x86-64 integer argument index (0..5) of DWARF register REG, or -1. */
int dwarf_params__arg_of_reg(unsigned reg);
#endif
