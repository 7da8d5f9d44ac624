// SPDX-License-Identifier: MIT
/*
 * The location of a named parameter at a function's first instruction.
 *
 * A uprobe at a function's entry sees the argument registers. Which one
 * holds a parameter follows from the ABI for a function GCC left alone,
 * but not for its clones: collect.constprop.0 of CPython 3.8 drops the
 * `generation` parameter altogether (it is the constant 2 there), and
 * other clones shift the rest. DWARF describes every concrete instance: its
 * DW_TAG_formal_parameter children point back to the abstract instance for
 * their names (DW_AT_abstract_origin) and carry either a location list,
 * whose entry at the function's start names a register, or a constant.
 */
#include <errno.h>
#include <string.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "os/dwarf_file.h"
#include "os/dwarf_params.h"

int dwarf_params__arg_of_reg(unsigned reg)
{
	/* System V x86-64: rdi rsi rdx rcx r8 r9 are DWARF registers 5 4 1 2 8 9 */
	static const unsigned regs[] = { 5, 4, 1, 2, 8, 9 };

	for (int i = 0; i < 6; i++)
		if (regs[i] == reg)
			return i;
	return -1;
}

static int param_where(Dwarf_Die *p, uint64_t pc, enum dwarf_param_where *where,
		       int64_t *value)
{
	Dwarf_Attribute at;
	Dwarf_Op *expr;
	size_t len;
	Dwarf_Sword sv;

	*where = DWARF_PARAM_UNKNOWN;
	if (dwarf_attr(p, DW_AT_const_value, &at) && dwarf_formsdata(&at, &sv) == 0) {
		*where = DWARF_PARAM_CONST;
		*value = sv;
		return 0;
	}
	if (dwarf_attr(p, DW_AT_location, &at) &&
	    dwarf_getlocation_addr(&at, pc, &expr, &len, 1) == 1 && len == 1 &&
	    expr[0].atom >= DW_OP_reg0 && expr[0].atom <= DW_OP_reg31) {
		int arg = dwarf_params__arg_of_reg(expr[0].atom - DW_OP_reg0);
		if (arg >= 0) {
			*where = DWARF_PARAM_ARG;
			*value = arg;
		}
	}
	return 0;
}

/* the parameter PARAM among the direct children of function F */
static int find_param(Dwarf_Die *f, uint64_t pc, const char *param,
		      enum dwarf_param_where *where, int64_t *value)
{
	Dwarf_Die c;

	if (dwarf_child(f, &c) != 0)
		return -ENOENT;
	do {
		const char *n;

		if (dwarf_tag(&c) != DW_TAG_formal_parameter)
			continue;
		n = dwarf_file__die_name(&c);
		if (n && !strcmp(n, param))
			return param_where(&c, pc, where, value);
	} while (dwarf_siblingof(&c, &c) == 0);
	return -ENOENT;
}

int dwarf_params__find(const char *path, uint64_t func_vaddr, const char *param,
		       enum dwarf_param_where *where, int64_t *value)
{
	Dwarf_Die cu, c;
	struct dwarf_file *df;
	Dwarf *dw;
	int ret = -ENOENT;

	ret = dwarf_file__open(path, &df);
	if (ret)
		return ret;
	dw = dwarf_file__dwarf(df);
	ret = -ENOENT;
	/* the compile unit covering the address (.debug_aranges), then the
	 * subprogram of that unit that starts there */
	if (dwarf_addrdie(dw, func_vaddr, &cu) && dwarf_child(&cu, &c) == 0) {
		do {
			Dwarf_Addr lo;

			if (dwarf_tag(&c) == DW_TAG_subprogram && dwarf_lowpc(&c, &lo) == 0 &&
			    lo == func_vaddr) {
				ret = find_param(&c, func_vaddr, param, where, value);
				break;
			}
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	dwarf_file__close(df);
	return ret;
}
