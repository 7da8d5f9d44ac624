// SPDX-License-Identifier: MIT
/*
 * opcode_table__find on every interpreter build of the machine, checked
 * against the `opcode_targets` symbol where the build has one, and on a
 * copy of each stripped with `strip --strip-all` (which must give the same
 * table). Debian's python3.11 has no symbol: the table must be found, once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/opcode_table.h"
#include "os/elf_file.h"
#include "pyenv_builds.h"
#include "strip_copy.h"

static int find(const char *path, struct opcode_table *t, char *err, size_t n)
{
	struct elf_file *ef = elf_file__open(path);
	uint64_t fv, fsz;
	int ret;

	if (!ef)
		return -errno;
	ret = elf_file__find_symbol(ef, "_PyEval_EvalFrameDefault", &fv, &fsz);
	if (!ret)
		ret = opcode_table__find(ef, fv, fsz, t, err, n);
	elf_file__close(ef);
	return ret;
}

/* the table named by the symbol, or -ENOENT */
static int by_symbol(const char *path, struct opcode_table *t)
{
	struct elf_file *ef = elf_file__open(path);
	uint64_t tab, sz;
	int ret;

	if (!ef)
		return -errno;
	ret = elf_file__find_symbol_prefix(ef, "opcode_targets", &tab, &sz);
	if (!ret && sz != 2048)
		ret = -EINVAL;
	if (!ret) {
		t->vaddr = tab;
		ret = elf_file__read_pointers(ef, tab, t->handlers, 256);
	}
	elf_file__close(ef);
	return ret;
}

static void check_build(const char *lib, unsigned minor)
{
	static struct opcode_table want, got, stripped;
	char err[256] = "", copy[64];

	printf("  %s\n", lib);
	CHECK_EQ(by_symbol(lib, &want), 0);
	CHECK_EQ(find(lib, &got, err, sizeof(err)), 0);
	if (err[0])
		printf("  %s\n", err);
	CHECK_EQ(got.vaddr, want.vaddr);
	CHECK(!memcmp(got.handlers, want.handlers, sizeof(want.handlers)));
	CHECK(got.n_inside >= 128);
	if (strip_copy(lib, copy, sizeof(copy))) {
		printf("  SKIP stripped copy: strip failed\n");
		unlink(copy);
		return;
	}
	CHECK_EQ(by_symbol(copy, &stripped), -ENOENT);	/* it is stripped */
	CHECK_EQ(find(copy, &stripped, err, sizeof(err)), 0);
	CHECK_EQ(stripped.vaddr, want.vaddr);
	CHECK(!memcmp(stripped.handlers, want.handlers, sizeof(want.handlers)));
	unlink(copy);
}

TEST(opcode_table_pyenv_builds_and_stripped_copies)
{
	/* 3.6/3.7: not supported */
	pyenv_builds__each(8, 99, true, check_build);
}

TEST(opcode_table_debian_non_pie)
{
	static struct opcode_table t;
	char err[256] = "";
	int distinct = 0;

	if (access("/usr/bin/python3.11", R_OK)) {
		printf("SKIP: /usr/bin/python3.11 not present\n");
		return;
	}
	CHECK_EQ(by_symbol("/usr/bin/python3.11", &t), -ENOENT);
	CHECK_EQ(find("/usr/bin/python3.11", &t, err, sizeof(err)), 0);
	if (err[0])
		printf("  %s\n", err);
	/* absolute addresses of a non-PIE executable: handlers of the ~170
	 * opcodes 3.11 has, the rest its one error label */
	for (int i = 0; i < 256; i++) {
		bool first = true;
		for (int j = 0; j < i; j++)
			first &= t.handlers[j] != t.handlers[i];
		distinct += first;
	}
	printf("  table 0x%llx, %d distinct handlers, %d inside\n",
	       (unsigned long long)t.vaddr, distinct, t.n_inside);
	CHECK(distinct > 150);
	CHECK(t.n_inside >= 128);
}

TEST(opcode_table_refuses_a_function_without_one)
{
	static struct opcode_table t;
	struct elf_file *ef = elf_file__open("/usr/bin/python3.11");
	uint64_t fv, fsz;
	char err[256] = "";

	if (!ef) {
		printf("SKIP: /usr/bin/python3.11 not present\n");
		return;
	}
	/* a function that does not dispatch: no table qualifies */
	CHECK_EQ(elf_file__find_symbol(ef, "PyObject_Repr", &fv, &fsz), 0);
	CHECK_EQ(opcode_table__find(ef, fv, fsz, &t, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "no computed-goto table") != NULL);
	elf_file__close(ef);
}
