// SPDX-License-Identifier: MIT
/*
 * unwind_site__find on every pyenv build 3.11+ of the machine, checked
 * against the DWARF label exit_unwind, and on a copy of each stripped with
 * `strip --strip-all` (no DWARF, no .symtab: the same address must come
 * out). Debian's python3.11 has no DWARF: one place must be found, and it
 * must not be one of the handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/opcode_table.h"
#include "cpython/py_layout.h"
#include "cpython/unwind_site.h"
#include "os/dwarf_labels.h"
#include "os/elf_file.h"
#include "pyenv_builds.h"
#include "strip_copy.h"

/* the label found from the code of PATH (3.MINOR) */
static int find(const char *path, unsigned minor, uint64_t *label, struct opcode_table *t)
{
	struct elf_file *ef = elf_file__open(path);
	struct tr_py_layout L;
	struct py_runtime_layout rt;
	uint64_t fv, fsz;
	char err[256] = "";
	int ret;

	if (!ef)
		return -errno;
	ret = py_layout__for_version(3, minor, &L, &rt);
	if (!ret)
		ret = elf_file__find_symbol(ef, "_PyEval_EvalFrameDefault", &fv, &fsz);
	if (!ret)
		ret = opcode_table__find(ef, fv, fsz, t, err, sizeof(err));
	if (!ret)
		ret = unwind_site__find(ef, fv, fsz, t->handlers, L.frame_back, label, err,
					sizeof(err));
	if (err[0])
		printf("  %s\n", err);
	elf_file__close(ef);
	return ret;
}

static void check_build(const char *lib, unsigned minor)
{
	static struct opcode_table t;
	uint64_t want = 0, got = 0, stripped = 0;
	char copy[64];

	CHECK_EQ(dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &want), 0);
	CHECK_EQ(find(lib, minor, &got, &t), 0);
	printf("  %s: DWARF 0x%llx, found 0x%llx\n", lib, (unsigned long long)want,
	       (unsigned long long)got);
	CHECK_EQ(got, want);
	if (strip_copy(lib, copy, sizeof(copy))) {
		printf("  SKIP stripped copy: strip failed\n");
		unlink(copy);
		return;
	}
	CHECK_EQ(dwarf_labels__find(copy, "_PyEval_EvalFrameDefault", "exit_unwind", &stripped),
		 -ENODATA);
	CHECK_EQ(find(copy, minor, &stripped, &t), 0);
	CHECK_EQ(stripped, want);
	unlink(copy);
}

TEST(unwind_site_pyenv_builds_and_stripped_copies)
{
	/* 3.11+ have exit_unwind */
	pyenv_builds__each(11, PY_LAYOUT_MAX_MINOR, true, check_build);
}

TEST(unwind_site_debian_python311)
{
	static struct opcode_table t;
	uint64_t label = 0;

	if (access("/usr/bin/python3.11", R_OK)) {
		printf("SKIP: /usr/bin/python3.11 not present\n");
		return;
	}
	CHECK_EQ(find("/usr/bin/python3.11", 11, &label, &t), 0);
	printf("  exit_unwind at 0x%llx\n", (unsigned long long)label);
	for (int i = 0; i < 256; i++)
		CHECK(t.handlers[i] != label);
}

TEST(unwind_site_refuses_a_function_without_one)
{
	static uint64_t handlers[256];
	struct elf_file *ef = elf_file__open("/usr/bin/python3.11");
	uint64_t fv, fsz, label;
	char err[256] = "";

	if (!ef) {
		printf("SKIP: /usr/bin/python3.11 not present\n");
		return;
	}
	/* a function that neither pops frames nor has exit_unwind */
	CHECK_EQ(elf_file__find_symbol(ef, "PyObject_Repr", &fv, &fsz), 0);
	for (int i = 0; i < 256; i++)
		handlers[i] = fv;
	CHECK_EQ(unwind_site__find(ef, fv, fsz, handlers, 0x30, &label, err, sizeof(err)),
		 -ENOENT);
	CHECK(strstr(err, "exit_unwind") != NULL);
	elf_file__close(ef);
}
