// SPDX-License-Identifier: MIT
/*
 * The opcode query: the "deopt" lines parsed, and, asked of every pyenv
 * interpreter 3.11+ (run as the sleeping process's own user), a deopt map
 * equal to the binary's _PyOpcode_Deopt for every specialized instruction:
 * what a stripped build, which has no such symbol, relies on.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "pyenv_builds.h"
#include "sleeper.h"
#include "cpython/py_opcodes.h"
#include "os/elf_file.h"
#include "os/proc_status.h"
#include "os/run_as.h"

TEST(py_opcodes_parse_deopt_lines)
{
	struct py_opcodes o;

	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "deopt 152 151\ndeopt 9 0\n", &o), 0);
	CHECK_EQ(o.n_deopt, 2);
	CHECK_EQ(o.deopt[152], 151);
	CHECK_EQ(o.deopt[9], 0);
	CHECK_EQ(o.deopt[151], 151);	/* a base is its own */
	CHECK_EQ(o.profile_bound, -1);	/* not printed */
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "profile_bound 5\n", &o), 0);
	CHECK_EQ(o.profile_bound, PY_PROFILE_BOUND_CFUNC | PY_PROFILE_BOUND_CFUNC_EX);
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "profile_bound 16\n", &o), -EINVAL);
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "deopt 300 151\n", &o), -EINVAL);
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "deopt 152\n", &o), -EINVAL);
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "deopt 152 151 7\n", &o), -EINVAL);
}

static int deopt_checked;

/* the deopt map the interpreter LIB's python gives equals its
 * _PyOpcode_Deopt table (where it has the symbol) */
static void check_deopt(const char *lib, unsigned minor)
{
	static struct py_opcodes o;
	static struct proc_creds creds;
	unsigned char table[256];
	char py[600], err[256] = "";
	const char *file = strrchr(lib, '/'), *dir = file;
	uint64_t v, sz;
	struct elf_file *ef;
	int specialized = 0;
	pid_t pid;

	/* PREFIX/lib/libpython3.M.so.1.0 -> PREFIX/bin/python3.M */
	while (dir && dir > lib && dir[-1] != '/')
		dir--;
	if (!dir || dir - 1 <= lib)
		return;
	snprintf(py, sizeof(py), "%.*s/bin/python3.%u", (int)(dir - 1 - lib), lib, minor);
	if (access(py, X_OK) || !(ef = elf_file__open(lib)))
		return;
	if (elf_file__find_symbol(ef, "_PyOpcode_Deopt", &v, &sz) || sz != 256 ||
	    elf_file__read_vaddr(ef, v, table, 256) != 256) {
		printf("  %s: no _PyOpcode_Deopt symbol, skipped\n", lib);
		elf_file__close(ef);
		return;
	}
	elf_file__close(ef);
	pid = start_sleeper(py);
	CHECK(pid > 0);
	CHECK_EQ(proc_status__creds(pid, &creds), 0);
	CHECK_EQ(py_opcodes__query(pid, &creds, &o, err, sizeof(err)), 0);
	stop_sleeper(pid);
	CHECK(o.n_deopt > 30);
	/* how its profiler reports bound methods: said (--c-calls) */
	printf("  3.%u: profile_bound %d\n", minor, o.profile_bound);
	CHECK(o.profile_bound >= 0);
	for (int op = 0; op < 256; op++) {
		if (o.deopt[op] == op)
			continue;
		specialized++;
		if (table[op] != o.deopt[op])
			printf("  3.%u opcode %d: dis says %d, _PyOpcode_Deopt %d\n", minor, op,
			       o.deopt[op], table[op]);
		CHECK_EQ(table[op], o.deopt[op]);
	}
	/* RESUME's specialized forms: RESUME_QUICK (3.11), none (3.12),
	 * RESUME_CHECK (3.13) */
	int resume_forms = 0;
	for (int op = 0; op < 256; op++)
		resume_forms += op != o.num[PY_OP_RESUME] && o.deopt[op] == o.num[PY_OP_RESUME];
	printf("  3.%u: %d specialized instructions, %d forms of RESUME\n", minor,
	       specialized, resume_forms);
	CHECK(resume_forms >= (minor == 12 ? 0 : 1));
	deopt_checked++;
}

TEST(py_opcodes_deopt_equals_the_binary_table)
{
	deopt_checked = 0;
	if (pyenv_builds__each(11, 99, false, check_deopt) > 0)
		CHECK(deopt_checked > 0);
}
