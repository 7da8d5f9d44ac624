// SPDX-License-Identifier: MIT
/*
 * The opcode query: the "deopt" lines parsed, and, asked of every pyenv
 * interpreter 3.11+ (run as the sleeping process's own user), a deopt map
 * equal to the binary's _PyOpcode_Deopt for every specialized instruction:
 * what a stripped build, which has no such symbol, relies on.
 */
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
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

TEST(py_opcodes_deopt_equals_the_binary_table)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char pat[512];
	glob_t g;
	int n = 0;

	snprintf(pat, sizeof(pat), "%s/versions/3.1[1-9].*", root);
	if (glob(pat, 0, NULL, &g)) {
		printf("SKIP: no pyenv 3.11+ under %s\n", root);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		static struct py_opcodes o;
		static struct proc_creds creds;
		unsigned char table[256];
		char lib[600], py[600], err[256] = "";
		const char *ver = strrchr(g.gl_pathv[i], '/') + 1;
		uint64_t v, sz;
		struct elf_file *ef;
		unsigned minor;
		int specialized = 0;
		pid_t pid;

		if (sscanf(ver, "3.%u", &minor) != 1)
			continue;
		snprintf(lib, sizeof(lib), "%s/lib/libpython3.%u.so.1.0", g.gl_pathv[i], minor);
		snprintf(py, sizeof(py), "%s/bin/python3.%u", g.gl_pathv[i], minor);
		if (access(lib, R_OK) || access(py, X_OK) || !(ef = elf_file__open(lib)))
			continue;
		if (elf_file__find_symbol(ef, "_PyOpcode_Deopt", &v, &sz) || sz != 256 ||
		    elf_file__read_vaddr(ef, v, table, 256) != 256) {
			printf("  %s: no _PyOpcode_Deopt symbol, skipped\n", lib);
			elf_file__close(ef);
			continue;
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
		n++;
	}
	globfree(&g);
	CHECK(n > 0);
}
