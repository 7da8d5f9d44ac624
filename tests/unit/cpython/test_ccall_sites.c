// SPDX-License-Identifier: MIT
/*
 * --c-calls' probe sites in pyenv 3.12.1 (user/cpython/ccall_sites.c).
 * Expected addresses read by hand:
 *   objdump -d --start-address=0x111471 libpython3.12.so.1.0
 *     CALL_NO_KW_BUILTIN_O: 0x11147b mov %r10,0x38(%rbx) (prev_instr),
 *     0x111497 mov (%r15,%rax,8) (the value stack in r15), first branch
 *     0x1114b4 je; `call *%rcx` (cfunc) at 0x11151a, then the first
 *     emulated instruction 0x111533 js.
 *   CALL_NO_KW_LEN (0x1118d0): call PyObject_Size@plt at 0x11197b.
 */
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/ccall_sites.h"
#include "os/elf_file.h"
#include "cpython/py_opcodes.h"
#include "tracer.h"

#define LIB312 "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0"

TEST(ccall_sites_312)
{
	struct elf_file *ef;
	struct py_opcodes o;
	struct cc_plan *p = calloc(1, sizeof(*p));
	char err[256] = "";
	bool builtin_o = false, builtin_o_end = false, append = false;

	if (access(LIB312, R_OK) || !(ef = elf_file__open(LIB312))) {
		fprintf(stderr, "  (skipped: no %s)\n", LIB312);
		free(p);
		return;
	}
	/* 3.12.1's numbers (opcode.opmap; dis._all_opmap for the specialized) */
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "CALL 171\nCALL_FUNCTION_EX 142\nINSTRUMENTED_CALL 241\n"
				   "INSTRUMENTED_CALL_FUNCTION_EX 244\nEXTENDED_ARG 144\n"
				   "POP_TOP 1\nCALL_NO_KW_LIST_APPEND 43\n", &o), 0);
	int r = ccall_sites__plan(ef, LIB312, &o, 0x38, p, err, sizeof(err));
	if (r)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ(r, 0);
	if (getenv("CCALL_SITES_DUMP")) {
		fprintf(stderr, "sp %d, %d starts, %d ends, %d slow (%s)\n", p->sp_reg, p->n_starts,
		       p->n_ends, p->n_slow, err);
		for (int i = 0; i < p->n_starts; i++)
			fprintf(stderr, "  start 0x%llx %d %d %s\n", (unsigned long long)p->starts[i].vaddr,
			       p->starts[i].emulated, p->starts[i].list_append, p->starts[i].what);
		for (int i = 0; i < p->n_ends; i++)
			fprintf(stderr, "  end 0x%llx %d %s result 0x%x\n",
				(unsigned long long)p->ends[i].vaddr, p->ends[i].emulated,
				p->ends[i].what, p->ends[i].result);
	}
	CHECK_EQ(p->sp_reg, TR_REG_R15);
	for (int i = 0; i < p->n_starts; i++) {
		builtin_o |= p->starts[i].vaddr == 0x1114b4;
		append |= p->starts[i].list_append;
	}
	for (int i = 0; i < p->n_ends; i++) {
		builtin_o_end |= p->ends[i].vaddr == 0x111533;
		/* c_exception: where the result is (ccall_result.c), read by
		 * hand: cfunc's moved to rbp; PyObject_Call's to r13;
		 * PyObject_Size's a Py_ssize_t still in rax; every site known */
		if (p->ends[i].vaddr == 0x111533)
			CHECK_EQ(p->ends[i].result, TR_CCALL_RES_KNOWN | 5);
		if (p->ends[i].vaddr == 0x10c618)
			CHECK_EQ(p->ends[i].result, TR_CCALL_RES_KNOWN | 13);
		if (p->ends[i].vaddr == 0x11198b)
			CHECK_EQ(p->ends[i].result, TR_CCALL_RES_KNOWN | TR_CCALL_RES_SSIZE);
		CHECK(p->ends[i].result & TR_CCALL_RES_KNOWN);
	}
	CHECK(builtin_o && builtin_o_end && append);
	/* without the numbers of the call instructions: refused */
	o.num[PY_OP_POP_TOP] = -1;
	CHECK(ccall_sites__plan(ef, LIB312, &o, 0x38, p, err, sizeof(err)) < 0);
	elf_file__close(ef);
	free(p);
}

#define LIB313 "/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0"

TEST(ccall_sites_313)
{
	struct elf_file *ef;
	struct py_opcodes o;
	struct cc_plan *p = calloc(1, sizeof(*p));
	char err[256] = "";
	int append = 0;

	if (access(LIB313, R_OK) || !(ef = elf_file__open(LIB313))) {
		fprintf(stderr, "  (skipped: no %s)\n", LIB313);
		free(p);
		return;
	}
	/* 3.13.0's numbers (dis._all_opmap) */
	CHECK_EQ(py_opcodes__parse("RESUME 149\nRETURN_VALUE 36\nYIELD_VALUE 118\n"
				   "CALL 53\nCALL_FUNCTION_EX 54\nCALL_KW 57\nINSTRUMENTED_CALL 244\n"
				   "INSTRUMENTED_CALL_KW 245\nINSTRUMENTED_CALL_FUNCTION_EX 246\n"
				   "EXTENDED_ARG 71\nPOP_TOP 32\nCALL_LIST_APPEND 171\n", &o), 0);
	int r = ccall_sites__plan(ef, LIB313, &o, 0x38, p, err, sizeof(err));
	if (r)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ(r, 0);
	if (getenv("CCALL_SITES_DUMP")) {
		fprintf(stderr, "sp %d, %d starts, %d ends, %d slow\n", p->sp_reg, p->n_starts,
			p->n_ends, p->n_slow);
		for (int i = 0; i < p->n_starts; i++)
			fprintf(stderr, "  start 0x%llx %d %d %s\n",
				(unsigned long long)p->starts[i].vaddr, p->starts[i].emulated,
				p->starts[i].list_append, p->starts[i].what);
		for (int i = 0; i < p->n_ends; i++)
			fprintf(stderr, "  end 0x%llx %d %s result 0x%x\n",
				(unsigned long long)p->ends[i].vaddr, p->ends[i].emulated,
				p->ends[i].what, p->ends[i].result);
	}
	for (int i = 0; i < p->n_starts; i++)
		append += p->starts[i].list_append;
	CHECK_EQ(append, 1);
	CHECK(p->sp_reg != 0 && p->n_ends > 0);
	for (int i = 0; i < p->n_ends; i++)	/* (c_exception: ccall_result.c) */
		CHECK(p->ends[i].result & TR_CCALL_RES_KNOWN);
	elf_file__close(ef);
	free(p);
}

#define LIB314 "/root/.pyenv/versions/3.14.7/lib/libpython3.14.so.1.0"

/* c_exception on 3.14.7 (user/cpython/ccall_result.c): where each end
 * site's result is, read by hand: after `call *%rax` at 0x9a28d the result
 * is spilled to -0x248(%rbp) (site 0x9a2b6); every other site knows it.
 * 0xa160b, 0xa1fb0 and 0xa2b0a are no end sites: their "calls" (0xa15cb,
 * 0xa1f85, 0xa2af4) are an inlined Py_DECREF's ref-tracer hook
 * (_PyRuntime+0x2920), which a branch before each skips over to the same
 * line (ccall_sites.c, skipped_over): a site there would end an open C
 * call at every deallocation. The e2e test checks the flags themselves. */
TEST(ccall_sites_314_results)
{
	struct elf_file *ef;
	struct py_opcodes o;
	struct cc_plan *p = calloc(1, sizeof(*p));
	char err[256] = "";

	if (access(LIB314, R_OK) || !(ef = elf_file__open(LIB314))) {
		fprintf(stderr, "  (skipped: no %s)\n", LIB314);
		free(p);
		return;
	}
	/* 3.14.7's numbers (dis._all_opmap) */
	CHECK_EQ(py_opcodes__parse("RESUME 128\nRETURN_VALUE 35\nYIELD_VALUE 120\nCALL 52\n"
				   "CALL_FUNCTION_EX 4\nCALL_KW 55\nINSTRUMENTED_CALL 250\n"
				   "INSTRUMENTED_CALL_KW 251\nINSTRUMENTED_CALL_FUNCTION_EX 252\n"
				   "EXTENDED_ARG 69\nPOP_TOP 31\nCALL_LIST_APPEND 155\n", &o), 0);
	int r = ccall_sites__plan(ef, LIB314, &o, 0x38, p, err, sizeof(err));
	if (r)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ(r, 0);
	for (int i = 0; i < p->n_ends; i++) {
		if (getenv("CCALL_SITES_DUMP"))
			fprintf(stderr, "  end 0x%llx %d %s result 0x%x\n",
				(unsigned long long)p->ends[i].vaddr, p->ends[i].emulated,
				p->ends[i].what, p->ends[i].result);
		if (p->ends[i].vaddr == 0x9a2b6)
			CHECK_EQ(p->ends[i].result, TR_CCALL_RES_KNOWN | TR_CCALL_RES_MEM | 5 |
				 (uint32_t)(uint16_t)-0x248 << 16);
		else if (p->ends[i].vaddr == 0xa160b || p->ends[i].vaddr == 0xa1fb0 ||
			 p->ends[i].vaddr == 0xa2b0a)
			CHECK(!"the ref-tracer hook's line is an end site");
		else
			CHECK(p->ends[i].result & TR_CCALL_RES_KNOWN);
	}
	CHECK(p->n_ends > 0);
	elf_file__close(ef);
	free(p);
}
