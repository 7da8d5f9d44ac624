// SPDX-License-Identifier: MIT
/*
 * --c-calls on the builds the 3.12 tests (test_ccall_sites.c) do not
 * cover: the probe sites of CPython 3.11 (user/cpython/ccall_sites.c),
 * pyenv 3.11.7 (symbols) and Debian's /usr/bin/python3.11 (PGO+LTO,
 * stripped, non-PIE: the deopt table from the interpreter's dis.deoptmap).
 * Expected addresses read by hand (objdump -d):
 *   pyenv 3.11.7 libpython3.11.so.1.0: the value stack in rbx (POP_TOP at
 *     0xff41f: mov -0x8(%rbx),%rdi); CALL (0xfd8f7): mov %r14,0x38(%rbp)
 *     (prev_instr), first emulated 0xfd93a je; call PyObject_Vectorcall@plt
 *     at 0xfd9be, then 0xfd9cb jne. PRECALL_NO_KW_LEN (0x100c81): site
 *     0x100caf, call PyObject_Size@plt at 0x100ce8, then 0x100cf3.
 *   Debian /usr/bin/python3.11: the value stack in r13; CALL's site 0x52bb0f
 *     je; call PyObject_Vectorcall@@Base (direct, no PLT) at 0x52b9db, then
 *     0x52b9ec je; PRECALL_NO_KW_LEN's site 0x52d291, PyObject_Size inlined:
 *     call *%rax (sq_length) at 0x52d2e9, then 0x52d2f6 js, and call
 *     PyMapping_Size at 0x534c90, then 0x534ca0 jns.
 */
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/ccall_sites.h"
#include "cpython/ccall_syms.h"
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

static bool has_start(const struct cc_plan *p, uint64_t at, bool precall, bool list_append)
{
	for (int i = 0; i < p->n_starts; i++)
		if (p->starts[i].vaddr == at)
			return p->starts[i].precall == precall &&
			       p->starts[i].list_append == list_append && !p->starts[i].kw;
	return false;
}

static bool has_site(const struct cc_plan *p, uint64_t at)
{
	for (int i = 0; i < p->n_starts; i++)
		if (p->starts[i].vaddr == at)
			return true;
	return false;
}

static bool has_end(const struct cc_plan *p, uint64_t at)
{
	for (int i = 0; i < p->n_ends; i++)
		if (p->ends[i].vaddr == at)
			return true;
	return false;
}

/* every site of PRECALL's family, none of CALL's, says PRECALL; one
 * LIST_APPEND (PRECALL's) */
static void check_flags(const struct cc_plan *p)
{
	int append = 0;

	for (int i = 0; i < p->n_starts; i++) {
		CHECK_EQ(p->starts[i].precall, !strncmp(p->starts[i].what, "PRECALL", 7));
		CHECK(!p->starts[i].kw);
		append += p->starts[i].list_append;
		if (p->starts[i].list_append)
			CHECK(p->starts[i].precall);
	}
	CHECK_EQ(append, 1);
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
	CHECK_EQ(p->sp_reg, TR_REG_RBX);
	CHECK(has_start(p, 0xfd93a, false, false));
	CHECK(has_start(p, 0x100caf, true, false));
	CHECK(has_end(p, 0xfd9cb) && has_end(p, 0x100cf3));
	/* pruned (ccall_prune.c): PRECALL_PYFUNC's 0xfeb17, CALL_PY_EXACT_ARGS's
	 * 0x1016fd and PRECALL's 0xfe9db reach no C call but through CALL's
	 * site: 13 of the 23 handlers keep theirs */
	CHECK(!has_site(p, 0xfeb17) && !has_site(p, 0x1016fd) && !has_site(p, 0xfe9db));
	CHECK_EQ(p->n_starts, 13);
	check_flags(p);
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
	CHECK_EQ(p->sp_reg, TR_REG_R13);
	CHECK(has_start(p, 0x52bb0f, false, false));
	CHECK(has_start(p, 0x52d291, true, false));
	CHECK(has_end(p, 0x52b9ec) && has_end(p, 0x52d2f6) && has_end(p, 0x534ca0));
	check_flags(p);
	elf_file__close(ef);
	free(p);
}

/* 3.14 specializes CALL_KW (CALL_KW_BOUND_METHOD, _NON_PY, _PY): the sites
 * of its handlers that may call a C function (CALL_KW, CALL_KW_NON_PY at
 * 0x99d87, INSTRUMENTED_CALL_KW: _PY and _BOUND_METHOD push a Python frame,
 * their sites are pruned) say kwnames are on the stack, no other does */
TEST(ccall_sites_314_kw)
{
	struct elf_file *ef;
	struct py_opcodes o;
	struct cc_plan *p;
	char err[256] = "";
	const char *lib = "/root/.pyenv/versions/3.14.7/lib/libpython3.14.so.1.0";
	int kw = 0, pre = 0, non_py = 0;

	if (access(lib, R_OK) || !(ef = elf_file__open(lib))) {
		fprintf(stderr, "  (skipped: no %s)\n", lib);
		return;
	}
	p = calloc(1, sizeof(*p));
	/* 3.14.7's numbers (dis._all_opmap) */
	CHECK_EQ(py_opcodes__parse("RESUME 128\nRETURN_VALUE 35\nYIELD_VALUE 120\nCALL 52\n"
				   "CALL_FUNCTION_EX 4\nCALL_KW 55\nINSTRUMENTED_CALL 250\n"
				   "INSTRUMENTED_CALL_KW 251\nINSTRUMENTED_CALL_FUNCTION_EX 252\n"
				   "EXTENDED_ARG 69\nPOP_TOP 31\nCALL_LIST_APPEND 155\n", &o), 0);
	int r = ccall_sites__plan(ef, lib, &o, 0x38, p, err, sizeof(err));
	if (r)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ(r, 0);
	dump(p);
	for (int i = 0; i < p->n_starts; i++) {
		kw += p->starts[i].kw;
		pre += p->starts[i].precall;
		if (p->starts[i].kw)
			CHECK(strstr(p->starts[i].what, "CALL_KW") != NULL);
		non_py += p->starts[i].vaddr == 0x99d87 && p->starts[i].kw;
	}
	CHECK_EQ(kw, 3);
	CHECK_EQ(non_py, 1);
	CHECK_EQ(pre, 0);
	elf_file__close(ef);
	free(p);
}

/* list.append's C function from PyList_Type's methods: the local symbol
 * `list_append` where .symtab has it; in Debian's stripped executable an
 * address in its code */
TEST(ccall_syms_list_append)
{
	static const char *const libs[] = {
		LIB311, "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0",
		"/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0",
		"/root/.pyenv/versions/3.14.7/lib/libpython3.14.so.1.0", DEB311,
	};
	int checked = 0;

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		struct elf_file *ef;
		uint64_t found = 0, sym, sz;

		if (access(libs[i], R_OK) || !(ef = elf_file__open(libs[i])))
			continue;
		CHECK_EQ(ccall_syms__list_append(ef, &found), 0);
		CHECK(elf_file__vaddr_is_exec(ef, found));
		if (!elf_file__find_symbol(ef, "list_append", &sym, &sz)) {
			CHECK_EQ(found, sym);
			checked++;
		} else {
			CHECK(!elf_file__has_symtab(ef));
		}
		elf_file__close(ef);
	}
	if (!checked)
		fprintf(stderr, "  (no build with a list_append symbol to compare with)\n");
}
