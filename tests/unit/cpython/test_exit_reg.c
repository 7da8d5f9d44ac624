// SPDX-License-Identifier: MIT
/*
 * exit_reg__find: which register holds the exiting frame at an exit site
 * after the frame switch. Addresses read by hand with objdump -d in the
 * pyenv builds (frame->previous at offset 8):
 *   3.13.0 RETURN_VALUE 0x90c5c..: 0x90c63 mov 0x8(%rbp),%r12;
 *          0x90c6f mov %rbp,%rsi; 0x90c7d mov %r12,%rbp;
 *          0x90c87 mov %r12,0x48(%rax) (the switch);
 *          0x90c8b call _PyEval_FrameClearAndPop@plt    -> %rsi, by rule 1
 *   3.13.0 exit_unwind 0x8bf03..: 0x8bf07 mov 0x8(%rbp),%rbp; %rsi set
 *          before the label; 0x8bf15 call 0x8ad80, the PLT stub `jmp
 *          *0x462922(%rip)`, GOT word 0x4ed6a8, whose JUMP_SLOT
 *          relocation names _PyEval_FrameClearAndPop  -> %rsi, by rule 2
 *   3.14.7 YIELD_VALUE 0x9ab38..: 0x9ab41 mov 0x8(%rbx),%rcx;
 *          0x9ab7f mov %rcx,0x48(%r14); 0x9ab83 movq $0x0,0x8(%rbx);
 *          0x9ab8f jne                                   -> %rbx, cleared
 *   3.12.1 exit_unwind 0x10c432..: 0x10c446 call _PyEvalFrameClearAndPop
 *          (static, direct)                              -> %rsi, by rule 2
 *   3.12.1 YIELD_VALUE 0x10e11d..: 0x10e15b movq $0x0,0x8(%rbp);
 *          0x10e17d jmp                                  -> %rbp, by rule 3
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/exit_reg.h"
#include "os/elf_file.h"

#define PY "/root/.pyenv/versions/"

static int find(const char *lib, uint64_t entry, uint64_t site, struct exit_reg *r)
{
	struct elf_file *ef;
	csh cs;
	int ret;

	if (access(lib, R_OK)) {
		printf("SKIP: %s not present\n", lib);
		return 1;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	ef = elf_file__open(lib);
	ret = ef ? exit_reg__find(ef, cs, entry, site, 8, r) : -1;
	if (ef)
		elf_file__close(ef);
	cs_close(&cs);
	return ret;
}

TEST(exit_reg_313_return_value_rsi_by_value_numbering)
{
	struct exit_reg r;
	int ret = find(PY "3.13.0/lib/libpython3.13.so.1.0", 0x90c5c, 0x90c8b, &r);

	if (ret == 1)
		return;
	CHECK_EQ(ret, 0);
	CHECK_EQ(r.reg, 6);
	CHECK(!r.cleared);
	CHECK(!strcmp(r.rule, "value numbering"));
	/* a site that is not where the straight-line code ends in an
	 * instruction: refused */
	CHECK_EQ(find(PY "3.13.0/lib/libpython3.13.so.1.0", 0x90c5c, 0x90c8c, &r), -ENOENT);
}

TEST(exit_reg_313_exit_unwind_through_the_plt)
{
	struct exit_reg r;
	int ret = find(PY "3.13.0/lib/libpython3.13.so.1.0", 0x8bf03, 0x8bf15, &r);
	struct elf_file *ef;
	const char *name = NULL;

	if (ret == 1)
		return;
	CHECK_EQ(ret, 0);
	CHECK_EQ(r.reg, 6);
	CHECK(!strcmp(r.rule, "the callee's arguments"));
	ef = elf_file__open(PY "3.13.0/lib/libpython3.13.so.1.0");
	CHECK(ef != NULL);
	if (!ef)
		return;
	CHECK_EQ(elf_file__slot_symbol(ef, 0x4ed6a8, &name), 0);
	CHECK(name && !strcmp(name, "_PyEval_FrameClearAndPop"));
	CHECK_EQ(elf_file__slot_symbol(ef, 0x4ed6a9, &name), -ENOENT);	/* no word there */
	elf_file__close(ef);
}

TEST(exit_reg_314_yield_value_rbx_cleared)
{
	struct exit_reg r;
	int ret = find(PY "3.14.7/lib/libpython3.14.so.1.0", 0x9ab38, 0x9ab8f, &r);

	if (ret == 1)
		return;
	CHECK_EQ(ret, 0);
	CHECK_EQ(r.reg, 3);
	CHECK(r.cleared);
}

TEST(exit_reg_312_by_callee_and_by_cleared_link)
{
	struct exit_reg r;
	int ret = find(PY "3.12.1/lib/libpython3.12.so.1.0", 0x10c432, 0x10c446, &r);

	if (ret == 1)
		return;
	CHECK_EQ(ret, 0);
	CHECK_EQ(r.reg, 6);
	CHECK(!r.cleared);
	CHECK(!strcmp(r.rule, "the callee's arguments"));
	CHECK_EQ(find(PY "3.12.1/lib/libpython3.12.so.1.0", 0x10e11d, 0x10e17d, &r), 0);
	CHECK_EQ(r.reg, 5);
	CHECK(r.cleared);
	CHECK(!strcmp(r.rule, "the cleared link"));
}
