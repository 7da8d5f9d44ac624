// SPDX-License-Identifier: MIT
/*
 * The dispatch strategy's parsers and its choice of probe sites. Expected
 * addresses in the pyenv 3.12.1 build were read by hand:
 *   readelf -sW  libpython3.12.so.1.0   opcode_targets.0 at 0x4cef20
 *   readelf -rW  ...                     0x4cf3d8 (entry 151, RESUME) -> 0x1143d7
 *   objdump -d --start-address=0x1143f9  0x114400: 0f 84 .. je (RESUME's
 *                                        first branch); 0x114761: e9 .. jmp
 *                                        (RETURN_VALUE's)
 *   gdb "info line *0x10c432"            exit_unwind, Python/ceval.c:632
 *   objdump -d --start-address=0x10bdc0  0x10bde7 mov %edx,%ebp (throwflag);
 *                                        0x10be7e test %ebp,%ebp; 0x10be80 jne
 *                                        0x10bed8 (the throw branch); 0x10bee0
 *                                        jle (its first emulated insn);
 *   addr2line 0x10be7e, -i 0x10bee0      Python/ceval.c:715 (the test), 716 (the
 *                                        next line: the throw branch)
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/dispatch_sites.h"
#include "cpython/x86_code.h"
#include "os/dwarf_labels.h"
#include "os/elf_file.h"
#include "cpython/py_opcodes.h"
#include "strip_copy.h"
#include "pyenv_builds.h"

#define LIB312 "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0"

#define EMU(...) ({ const unsigned char b_[] = { __VA_ARGS__ }; \
		    x86_code__kernel_emulates(b_, sizeof(b_)); })

TEST(dispatch_kernel_emulation_rules)
{
	CHECK(EMU(0xe8, 1, 2, 3, 4));			/* call rel32 */
	CHECK(!EMU(0x66, 0xe8, 1, 2));			/* callw: rejected */
	CHECK(EMU(0xe9, 1, 2, 3, 4));			/* jmp rel32 */
	CHECK(EMU(0xeb, 0x10));				/* jmp rel8 */
	CHECK(EMU(0x74, 0x04));				/* je rel8 */
	CHECK(EMU(0x0f, 0x84, 0x6a, 0x11, 0, 0));	/* je rel32 */
	CHECK(EMU(0xf2, 0xe9, 1, 2, 3, 4));		/* bnd jmp */
	CHECK(EMU(0x90));
	CHECK(EMU(0x0f, 0x1f, 0x44, 0x00, 0x00));	/* nopl 0(%rax,%rax,1) */
	CHECK(EMU(0x55));				/* push %rbp */
	CHECK(EMU(0x41, 0x57));				/* push %r15 */
	CHECK(!EMU(0x48, 0x89, 0xe5));			/* mov %rsp,%rbp */
	CHECK(!EMU(0xff, 0xe0));			/* jmp *%rax */
	CHECK(!EMU(0x3e, 0xff, 0xe0));			/* notrack jmp *%rax */
	CHECK(!EMU(0xc3));				/* ret */
	CHECK(!EMU(0x48, 0x8d, 0x42, 0x02));		/* lea */
	CHECK(!EMU(0x41, 0x90));			/* xchg %eax,%r8d, not a nop */
}

TEST(dispatch_opcodes_parse)
{
	struct py_opcodes o;

	CHECK_EQ(py_opcodes__parse("NOP 9\nRESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 150\n"
				   "SETUP_FINALLY 256\nRETURN_CONST 121\n", &o), 0);
	CHECK_EQ(o.num[PY_OP_RESUME], 151);
	CHECK_EQ(o.num[PY_OP_RETURN_CONST], 121);
	CHECK_EQ(o.num[PY_OP_INSTRUMENTED_RESUME], -1);
	/* a missing base instruction, a number out of range, garbage */
	CHECK_EQ(py_opcodes__parse("RETURN_VALUE 83\nYIELD_VALUE 150\n", &o), -EINVAL);
	CHECK_EQ(py_opcodes__parse("RESUME 300\nRETURN_VALUE 83\nYIELD_VALUE 1\n", &o), -EINVAL);
	CHECK_EQ(py_opcodes__parse("RESUME 151 x\nRETURN_VALUE 83\nYIELD_VALUE 1\n", &o), -EINVAL);
	CHECK_EQ(py_opcodes__parse("", &o), -EINVAL);
}

static struct elf_file *open_312(void)
{
	if (access(LIB312, R_OK)) {
		printf("SKIP: %s not present\n", LIB312);
		return NULL;
	}
	return elf_file__open(LIB312);
}

TEST(dispatch_table_through_relocations)
{
	struct elf_file *ef = open_312();
	uint64_t tab, sz, h[256];

	if (!ef)
		return;
	CHECK_EQ(elf_file__find_symbol_prefix(ef, "opcode_targets", &tab, &sz), 0);
	CHECK_EQ(tab, 0x4cef20);
	CHECK_EQ(sz, 2048);
	CHECK_EQ(elf_file__read_pointers(ef, tab, h, 256), 0);
	CHECK_EQ(h[151], 0x1143d7);
	elf_file__close(ef);
}

TEST(dispatch_dwarf_label)
{
	uint64_t a = 0;

	if (access(LIB312, R_OK)) {
		printf("SKIP: %s not present\n", LIB312);
		return;
	}
	CHECK_EQ(dwarf_labels__find(LIB312, "_PyEval_EvalFrameDefault", "exit_unwind", &a), 0);
	CHECK_EQ(a, 0x10c432);
	CHECK_EQ(dwarf_labels__find(LIB312, "_PyEval_EvalFrameDefault", "no_such_label", &a),
		 -ENOENT);
	/* no DWARF at all */
	CHECK_EQ(dwarf_labels__find("/usr/bin/python3.11", "_PyEval_EvalFrameDefault",
				    "exit_unwind", &a) < 0, 1);
}

TEST(dispatch_plan_312)
{
	struct elf_file *ef = open_312();
	struct py_opcodes o;
	struct ds_plan p;
	char err[256] = "";
	int found = 0;

	if (!ef)
		return;
	/* 3.12.1's numbers (python3.12 -c 'import opcode; print(opcode.opmap)') */
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nRETURN_CONST 121\n"
				   "YIELD_VALUE 150\nINSTRUMENTED_RESUME 240\n"
				   "INSTRUMENTED_RETURN_VALUE 242\nINSTRUMENTED_RETURN_CONST 247\n"
				   "INSTRUMENTED_YIELD_VALUE 243\n", &o), 0);
	CHECK_EQ(dispatch_sites__plan(ef, LIB312, &o, 8, &p, err, sizeof(err)), 0);
	for (int i = 0; i < p.n; i++) {
		const struct ds_site *s = &p.sites[i];
		if (s->entry == 0x1143d7) {	/* RESUME */
			CHECK_EQ(s->vaddr, 0x114400);
			CHECK(s->emulated && s->kind == DS_CALL);
			found++;
		} else if (s->entry == 0x10c432) {	/* exit_unwind: the caller is made
							 * current before any emulated insn;
							 * the frame is _PyEvalFrameClearAndPop's
							 * argument (%rsi) at its call */
			CHECK_EQ(s->vaddr, 0x10c446);
			CHECK(s->emulated && s->kind == DS_UNWIND);
			CHECK_EQ(s->frame_reg, 6);
			CHECK(!s->link_cleared);
			found++;
		} else if (!strcmp(s->what, "RETURN_VALUE")) {
			CHECK_EQ(s->vaddr, 0x114761);
			CHECK(s->emulated && s->kind == DS_RETURN);
			CHECK_EQ(s->frame_reg, -1);	/* before the switch */
			found++;
		} else if (s->kind == DS_THROW) {	/* gen.throw(): see the top */
			CHECK_EQ(s->entry, 0x10bed8);
			CHECK_EQ(s->vaddr, 0x10bee0);
			CHECK(s->emulated);
			CHECK_EQ(s->frame_reg, -1);
			found++;
		} else if (!strcmp(s->what, "YIELD_VALUE")) {
			/* objdump: 0x10e15b movq $0x0,0x8(%rbp) (gen_frame->previous
			 * = NULL), 0x10e17d jmp (the handler's only branch) */
			CHECK_EQ(s->vaddr, 0x10e17d);
			CHECK(s->emulated);
			CHECK_EQ(s->frame_reg, 5);
			CHECK(s->link_cleared);
			found++;
		}
		CHECK(s->kind != DS_CALL || s->frame_reg == -1);
	}
	CHECK_EQ(found, 5);
	CHECK_EQ(p.n_slow, 0);
	/* numbers that disagree with the binary's _PyOpcode_Deopt are refused */
	o.num[PY_OP_RESUME] = 150;
	CHECK(dispatch_sites__plan(ef, LIB312, &o, 8, &p, err, sizeof(err)) < 0);
	elf_file__close(ef);
}

TEST(dispatch_plan_refuses_stripped)
{
	struct elf_file *ef = elf_file__open("/usr/bin/python3.11");
	struct py_opcodes o;
	struct ds_plan p;
	char err[256] = "";

	CHECK(ef != NULL);
	CHECK_EQ(py_opcodes__parse("RESUME 151\nRETURN_VALUE 83\nYIELD_VALUE 86\n", &o), 0);
	/* the table is found from the code (opcode_table.c); what a build
	 * without .symtab still lacks is the deopt table */
	CHECK(dispatch_sites__plan(ef, "/usr/bin/python3.11", &o, 48, &p, err, sizeof(err)) < 0);
	CHECK(strstr(err, "_PyOpcode_Deopt") != NULL);
	elf_file__close(ef);
}

/* 3.12's opmap and dis.deoptmap as user/cpython/py_opcodes.c reads them,
 * from the interpreter itself (a stripped build has no _PyOpcode_Deopt) */
static int query_312(struct py_opcodes *o)
{
	static char text[16384];
	size_t n;
	FILE *p = popen("/root/.pyenv/versions/3.12.1/bin/python3.12 -c \""
			"import opcode, dis\n"
			"for k, v in sorted(opcode.opmap.items()): print(k, v)\n"
			"for s, b in sorted(dis.deoptmap.items()): "
			"print('deopt', dis._all_opmap[s], dis._all_opmap[b])\"", "r");

	if (!p)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, p);
	pclose(p);
	text[n] = 0;
	return py_opcodes__parse(text, o);
}

/*
 * A stripped 3.12: exit_unwind's callee _PyEvalFrameClearAndPop is static,
 * so without .symtab it has no name and the ABI rule (exit_reg.c, rule 2)
 * cannot say where the dying frame is. Every way into the label copies it
 * into %rsi first (objdump: 0x10c42f, 0x10c1d8, 0x10c6f5, 0x114cba `mov
 * %rbx,%rsi` before the label or a `jmp 10c432`): exit_preds.c finds that,
 * and the site is the call again, emulated, with the frame in %rsi.
 */
TEST(dispatch_plan_312_stripped_exit_unwind_emulated)
{
	char copy[64];
	struct elf_file *ef;
	struct py_opcodes o;
	struct ds_plan p;
	char err[256] = "";
	int found = 0;

	if (access(LIB312, R_OK)) {
		printf("SKIP: %s not present\n", LIB312);
		return;
	}
	CHECK_EQ(query_312(&o), 0);
	if (strip_copy(LIB312, copy, sizeof(copy))) {
		printf("  SKIP: strip failed\n");
		unlink(copy);
		return;
	}
	ef = elf_file__open(copy);
	CHECK(ef != NULL);
	if (!ef) {
		unlink(copy);
		return;
	}
	CHECK_EQ(dispatch_sites__plan(ef, copy, &o, 8, &p, err, sizeof(err)), 0);
	CHECK(!strcmp(p.unwind_from, "code analysis"));
	for (int i = 0; i < p.n; i++) {
		const struct ds_site *s = &p.sites[i];

		if (s->kind != DS_UNWIND)
			continue;
		CHECK_EQ(s->entry, 0x10c432);
		CHECK_EQ(s->vaddr, 0x10c446);
		CHECK(s->emulated);
		CHECK_EQ(s->frame_reg, 6);
		CHECK(!s->link_cleared);
		found++;
	}
	CHECK_EQ(found, 1);
	CHECK_EQ(p.n_slow, 0);
	elf_file__close(ef);
	unlink(copy);
}

/*
 * gen.throw()'s branch (user/cpython/throw_site.c) in every pyenv build
 * 3.11-3.14: found, and its site emulated, so no build pays a trap on
 * every entry of the evaluator. (That the site sees exactly the throws is
 * checked against sys.setprofile, tests/e2e/test_exact*.py's exceptions
 * workload; 3.12.1's addresses are checked above.)
 */
static int throw_builds_checked;

/* read by hand (objdump -d from the function's entry) in the builds of this
 * machine: the branch's first instruction and its site (a jle, emulated).
 * 3.11.7 `test %edx,%edx; jne 0xfac60`; 3.12.1 (above) jne; 3.13.0 `mov
 * %edx,%ebx ... test %ebx,%ebx; je 0x8bcd4`, the throw the fall-through at
 * 0x8b982; 3.14.7 `mov %edx,%r12d ... test %r12d,%r12d; jne 0x95040` */
static const struct { const char *dir; uint64_t entry, site; } throw_by_hand[] = {
	{ "/versions/3.11.7/", 0xfac60, 0xfac68 },
	{ "/versions/3.12.1/", 0x10bed8, 0x10bee0 },
	{ "/versions/3.13.0/", 0x8b982, 0x8b98a },
	{ "/versions/3.14.7/", 0x95040, 0x9504d },
};

static void check_throw(const char *lib, unsigned minor)
{
	char cmd[1200], text[16384], err[256] = "";
	struct elf_file *ef;
	struct py_opcodes o;
	struct ds_plan p;
	size_t n;
	FILE *f;
	int throws = 0;

	/* its opcode numbers, from the interpreter beside the library */
	snprintf(cmd, sizeof(cmd), "\"$(dirname '%s')/../bin/python3.%u\" -c \"import opcode\n"
		 "for k, v in sorted(opcode.opmap.items()): print(k, v)\"", lib, minor);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	pclose(f);
	text[n] = 0;
	CHECK_EQ(py_opcodes__parse(text, &o), 0);
	ef = elf_file__open(lib);
	CHECK(ef != NULL);
	if (!ef)
		return;
	CHECK_EQ(dispatch_sites__plan(ef, lib, &o, minor == 11 ? 48 : 8, &p, err, sizeof(err)), 0);
	for (int i = 0; i < p.n; i++) {
		if (p.sites[i].kind != DS_THROW)
			continue;
		CHECK(p.sites[i].emulated);
		CHECK(p.sites[i].vaddr >= p.sites[i].entry);
		throws++;
		for (size_t k = 0; k < sizeof(throw_by_hand) / sizeof(throw_by_hand[0]); k++)
			if (strstr(lib, throw_by_hand[k].dir)) {
				CHECK_EQ(p.sites[i].entry, throw_by_hand[k].entry);
				CHECK_EQ(p.sites[i].vaddr, throw_by_hand[k].site);
			}
	}
	printf("  %s: %d gen.throw() site%s\n", lib, throws, throws == 1 ? "" : "s");
	CHECK_EQ(throws, 1);
	throw_builds_checked++;
	elf_file__close(ef);
}

TEST(dispatch_throw_site_every_build)
{
	if (pyenv_builds__each(11, 99, false, check_throw) > 0)
		CHECK(throw_builds_checked > 0);
}
