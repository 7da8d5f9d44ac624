// SPDX-License-Identifier: MIT
/*
 * --c-calls' probe sites in CPython 3.11 (user/cpython/ccall_sites.c):
 * pyenv 3.11.7 (symbols) and Debian's /usr/bin/python3.11 (PGO+LTO,
 * stripped, non-PIE: the deopt table from the interpreter's dis.deoptmap).
 */
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/ccall_sites.h"
#include "os/elf_file.h"
#include "cpython/py_opcodes.h"
#include "tracer.h"

/* 3.11's numbers (the same in both builds: dis._all_opmap), with the
 * call families' part of dis.deoptmap */
#define OPS311 \
	"RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 86\nCALL 171\nCALL_FUNCTION_EX 142\n" \
	"EXTENDED_ARG 144\nPOP_TOP 1\nPRECALL 166\nPRECALL_NO_KW_LIST_APPEND 79\n" \
	"deopt 22 171\ndeopt 23 171\ndeopt 24 171\ndeopt 64 166\ndeopt 65 166\n" \
	"deopt 66 166\ndeopt 67 166\ndeopt 72 166\ndeopt 73 166\ndeopt 76 166\n" \
	"deopt 77 166\ndeopt 78 166\ndeopt 79 166\ndeopt 80 166\ndeopt 81 166\n" \
	"deopt 113 166\ndeopt 121 166\ndeopt 127 166\ndeopt 141 166\ndeopt 143 166\n"

static void dump(const struct cc_plan *p)
{
	if (!getenv("CCALL_SITES_DUMP"))
		return;
	fprintf(stderr, "sp %d, %d starts, %d ends, %d slow\n", p->sp_reg, p->n_starts,
		p->n_ends, p->n_slow);
	for (int i = 0; i < p->n_starts; i++)
		fprintf(stderr, "  start 0x%llx %d %d %d %s\n",
			(unsigned long long)p->starts[i].vaddr, p->starts[i].emulated,
			p->starts[i].list_append, p->starts[i].precall, p->starts[i].what);
	for (int i = 0; i < p->n_ends; i++)
		fprintf(stderr, "  end 0x%llx %d %s\n", (unsigned long long)p->ends[i].vaddr,
			p->ends[i].emulated, p->ends[i].what);
}

static struct cc_plan *plan_of(const char *path, struct elf_file **ef, int *ret)
{
	struct py_opcodes o;
	struct cc_plan *p;
	char err[256] = "";

	*ef = NULL;
	if (access(path, R_OK) || !(*ef = elf_file__open(path))) {
		fprintf(stderr, "  (skipped: no %s)\n", path);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	CHECK_EQ(py_opcodes__parse(OPS311, &o), 0);
	*ret = ccall_sites__plan(*ef, path, &o, 0x38, p, err, sizeof(err));
	if (*ret)
		fprintf(stderr, "  %s\n", err);
	dump(p);
	return p;
}

#define LIB311 "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0"

TEST(ccall_sites_311_pyenv)
{
	struct elf_file *ef;
	int ret = -1;
	struct cc_plan *p = plan_of(LIB311, &ef, &ret);

	if (!p)
		return;
	CHECK_EQ(ret, 0);
	elf_file__close(ef);
	free(p);
}

#define DEB311 "/usr/bin/python3.11"

TEST(ccall_sites_311_debian)
{
	struct elf_file *ef;
	int ret = -1;
	struct cc_plan *p = plan_of(DEB311, &ef, &ret);

	if (!p)
		return;
	CHECK_EQ(ret, 0);
	elf_file__close(ef);
	free(p);
}

/* (temporary) 3.14.7's plan, dumped */
TEST(ccall_sites_314_dump)
{
	struct elf_file *ef;
	struct py_opcodes o;
	struct cc_plan *p = calloc(1, sizeof(*p));
	char err[256] = "";
	const char *lib = "/root/.pyenv/versions/3.14.7/lib/libpython3.14.so.1.0";

	if (access(lib, R_OK) || !(ef = elf_file__open(lib))) { free(p); return; }
	CHECK_EQ(py_opcodes__parse("RESUME 128\nRETURN_VALUE 35\nYIELD_VALUE 120\nCALL 52\n"
				   "CALL_FUNCTION_EX 4\nCALL_KW 55\nINSTRUMENTED_CALL 250\n"
				   "INSTRUMENTED_CALL_KW 251\nINSTRUMENTED_CALL_FUNCTION_EX 252\n"
				   "EXTENDED_ARG 69\nPOP_TOP 31\nCALL_LIST_APPEND 155\n", &o), 0);
	int r = ccall_sites__plan(ef, lib, &o, 0x38, p, err, sizeof(err));
	if (r) fprintf(stderr, "%s\n", err);
	dump(p);
	elf_file__close(ef);
	free(p);
}
