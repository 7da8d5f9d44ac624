// SPDX-License-Identifier: MIT
/* dwarf_params: a parameter's register at entry, read from this test
 * binary's own DWARF (the Makefile builds it with -g -O2). */
#include <errno.h>
#include "unit.h"
#include "os/dwarf_params.h"
#include "os/elf_file.h"

/* the ABI puts GENERATION in the second argument register (rsi) */
__attribute__((noinline, used)) int dwarf_params_probe_me(long tstate, int generation)
{
	return (int)tstate * 3 + generation;
}

TEST(dwarf_params_register_of_parameter)
{
	struct elf_file *ef = elf_file__open("/proc/self/exe");
	enum dwarf_param_where where;
	uint64_t v, sz;
	int64_t val = -1;

	CHECK(ef);
	CHECK_EQ(elf_file__find_symbol(ef, "dwarf_params_probe_me", &v, &sz), 0);
	CHECK_EQ(dwarf_params__find("/proc/self/exe", v, "generation", &where, &val), 0);
	CHECK_EQ(where, DWARF_PARAM_ARG);
	CHECK_EQ(val, 1);
	CHECK_EQ(dwarf_params__find("/proc/self/exe", v, "tstate", &where, &val), 0);
	CHECK_EQ(where, DWARF_PARAM_ARG);
	CHECK_EQ(val, 0);
	CHECK_EQ(dwarf_params__find("/proc/self/exe", v, "nothing", &where, &val), -ENOENT);
	CHECK_EQ(dwarf_params__find("/proc/self/exe", v + 1, "generation", &where, &val), -ENOENT);
	elf_file__close(ef);
	CHECK_EQ(dwarf_params__arg_of_reg(5), 0);
	CHECK_EQ(dwarf_params__arg_of_reg(9), 5);
	CHECK_EQ(dwarf_params__arg_of_reg(0), -1);
}
