// SPDX-License-Identifier: MIT
/*
 * init_shim__find on pyenv's 3.13 libpython, checked against the
 * _Py_InitCleanup symbol, and on a copy stripped with `strip --strip-all`
 * (the same address must come out). The opcode numbers are the
 * interpreter's own (its opcode module).
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/init_shim.h"
#include "cpython/py_layout.h"
#include "os/elf_file.h"
#include "strip_copy.h"

static int find(const char *path, int resume, int ret_value, uint64_t *v)
{
	struct elf_file *ef = elf_file__open(path);
	struct tr_py_layout L;
	struct py_runtime_layout rt;
	int ret;

	if (!ef)
		return -errno;
	ret = py_layout__for_version(3, 13, &L, &rt);
	if (!ret)
		ret = init_shim__find(ef, &L, resume, ret_value, v);
	elf_file__close(ef);
	return ret;
}

TEST(init_shim_pyenv_313_and_stripped_copy)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char pat[512], cmd[700], copy[64];
	int resume = -1, ret_value = -1;
	uint64_t want = 0, sz, got = 0, stripped = 0;
	struct elf_file *ef;
	glob_t g;
	FILE *p;

	snprintf(pat, sizeof(pat), "%s/versions/3.13.*/lib/libpython3.13.so.1.0", root);
	if (glob(pat, 0, NULL, &g)) {
		printf("SKIP: no pyenv 3.13 under %s\n", root);
		return;
	}
	const char *lib = g.gl_pathv[0];
	snprintf(cmd, sizeof(cmd), "%.*s/bin/python3.13 -c \"import opcode; "
		 "print(opcode.opmap['RESUME'], opcode.opmap['RETURN_VALUE'])\"",
		 (int)(strstr(lib, "/lib/libpython") - lib), lib);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(fscanf(p, "%d %d", &resume, &ret_value), 2);
		pclose(p);
	}
	ef = elf_file__open(lib);
	CHECK(ef != NULL);
	CHECK_EQ(elf_file__find_symbol(ef, "_Py_InitCleanup", &want, &sz), 0);
	elf_file__close(ef);
	CHECK_EQ(find(lib, resume, ret_value, &got), 0);
	printf("  %s: symbol 0x%llx, found 0x%llx\n", lib, (unsigned long long)want,
	       (unsigned long long)got);
	CHECK_EQ(got, want);
	/* other numbers: nothing else looks like it */
	CHECK_EQ(find(lib, ret_value, resume, &got), -ENOENT);
	if (!strip_copy(lib, copy, sizeof(copy))) {
		ef = elf_file__open(copy);
		CHECK(ef != NULL);
		CHECK_EQ(elf_file__find_symbol(ef, "_Py_InitCleanup", &stripped, &sz), -ENOENT);
		elf_file__close(ef);
		CHECK_EQ(find(copy, resume, ret_value, &stripped), 0);
		CHECK_EQ(stripped, want);
	} else {
		printf("  SKIP stripped copy: strip failed\n");
	}
	unlink(copy);
	globfree(&g);
}
