// SPDX-License-Identifier: MIT
/*
 * --c-calls' probe sites in pyenv 3.8.18, 3.9.18 and 3.10.13
 * (user/cpython/ccall_sites_310.c). Expected addresses read by hand:
 *   objdump -d --start-address=0x67e8b libpython3.10.so.1.0 (CALL_FUNCTION):
 *     r12 the value stack (`mov (%r14)` of r12 - 8 * oparg - 8), the first
 *     emulated instruction 0x67eae `je` (the use_tracing test);
 *     `call trace_call_function` at 0x67ec5, after it the loop that pops
 *     the arguments (0x67ecd cmp, 0x67ed0 jae), which the untraced path
 *     joins (0x6ae6c jmp) after its `call *%rax` (the vectorcall) at
 *     0x6ae53 and its end site 0x6ae64 (call _Py_CheckFunctionResult).
 *   POP_TOP (0x65eea): `mov -0x8(%r12),%rdi`.
 *   CALL_FUNCTION_KW (0x69653): `lea -0x8(%r12),%r14` (the names popped),
 *     r12 overwritten with the callable's address before the site 0x6967e:
 *     the site's register is r14, SP - 8.
 */
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "strip_copy.h"
#include "cpython/ccall_sites_310.h"
#include "os/elf_file.h"
#include "tracer.h"

#define LIB310 "/root/.pyenv/versions/3.10.13/lib/libpython3.10.so.1.0"

static struct cc_plan *plan_of(const char *lib, uint64_t *kinds, uint64_t *rets, int *n_rets)
{
	struct elf_file *ef;
	struct cc_plan *p = calloc(1, sizeof(*p));
	char err[256] = "";
	int r;

	if (access(lib, R_OK) || !(ef = elf_file__open(lib))) {
		fprintf(stderr, "  (skipped: no %s)\n", lib);
		free(p);
		return NULL;
	}
	r = ccall_sites_310__plan(ef, lib, strstr(lib, "3.10") != NULL, p, kinds, rets, n_rets, err,
				  sizeof(err));
	if (r)
		fprintf(stderr, "  %s\n", err);
	CHECK_EQ(r, 0);
	if (getenv("CCALL_SITES_DUMP")) {
		fprintf(stderr, "%s: sp %d, %d starts, %d ends, %d slow, %d rets\n", lib, p->sp_reg,
			p->n_starts, p->n_ends, p->n_slow, *n_rets);
		for (int i = 0; i < *n_rets; i++)
			fprintf(stderr, "  ret 0x%llx\n", (unsigned long long)rets[i]);
		for (int i = 0; i < p->n_starts; i++)
			fprintf(stderr, "  start 0x%llx %d cookie 0x%llx %s\n",
				(unsigned long long)p->starts[i].vaddr, p->starts[i].emulated,
				(unsigned long long)kinds[i], p->starts[i].what);
		for (int i = 0; i < p->n_ends; i++)
			fprintf(stderr, "  end 0x%llx %d %s\n", (unsigned long long)p->ends[i].vaddr,
				p->ends[i].emulated, p->ends[i].what);
	}
	elf_file__close(ef);
	return p;
}

TEST(ccall_sites_310)
{
	uint64_t kinds[CC_MAX_STARTS] = { 0 }, rets[CC310_MAX_RETS], tcf, sz;
	int n_rets = 0;
	struct cc_plan *p = plan_of(LIB310, kinds, rets, &n_rets);
	bool start = false, end_untraced = false, loop = false;
	struct elf_file *ef;

	if (!p)
		return;
	CHECK_EQ(p->sp_reg, TR_REG_R12);
	CHECK_EQ(p->n_starts, 4);
	for (int i = 0; i < p->n_starts; i++)
		if (p->starts[i].vaddr == 0x67eae)
			start = kinds[i] == TR_CCALL_EVAL_COOKIE(TR_CCALL_EVAL_FUNCTION, true,
								 TR_REG_R12, 0) &&
				p->starts[i].emulated;
	for (int i = 0; i < p->n_ends; i++) {
		end_untraced |= p->ends[i].vaddr == 0x6ae64;
		/* the argument-popping loop after trace_call_function: never */
		loop |= p->ends[i].vaddr == 0x67ed0 || p->ends[i].vaddr == 0x67eca;
	}
	CHECK(start && end_untraced && !loop);
	for (int i = 0; i < p->n_starts; i++)
		if (p->starts[i].vaddr == 0x6967e)
			CHECK_EQ(kinds[i], TR_CCALL_EVAL_COOKIE(TR_CCALL_EVAL_KW, true, TR_REG_R14, -8));
	CHECK_EQ(p->n_slow, 0);
	/* trace_call_function's calls end where it returns */
	CHECK_EQ(n_rets, 1);
	ef = elf_file__open(LIB310);
	CHECK(ef && !elf_file__find_symbol(ef, "trace_call_function", &tcf, &sz));
	CHECK(n_rets == 1 && rets[0] == tcf);
	elf_file__close(ef);
	free(p);
}

/* 3.8 (call_function not inlined: its calls are the start sites and are
 * followed by end sites, no uretprobe) and 3.9 (trace_call_function
 * apart): each instruction one start, all four kinds, ends found */
TEST(ccall_sites_38_39)
{
	static const char *const libs[] = {
		"/root/.pyenv/versions/3.8.18/lib/libpython3.8.so.1.0",
		"/root/.pyenv/versions/3.9.18/lib/libpython3.9.so.1.0",
	};

	for (int l = 0; l < 2; l++) {
		uint64_t kinds[CC_MAX_STARTS] = { 0 }, rets[CC310_MAX_RETS];
		unsigned seen = 0;
		int n_rets = 0;
		struct cc_plan *p = plan_of(libs[l], kinds, rets, &n_rets);

		if (!p)
			continue;
		CHECK_EQ(p->n_starts, 4);
		for (int i = 0; i < p->n_starts; i++)
			seen |= 1u << TR_CCALL_EVAL_KIND(kinds[i]);
		CHECK_EQ(seen, 0x1e);
		/* POP_TOP: `mov -0x8(%r14),%rdi` (0x6e327 in 3.8.18, 0x6a22f in 3.9.18) */
		CHECK_EQ(p->sp_reg, TR_REG_R14);
		CHECK(p->n_ends >= 4);
		CHECK_EQ(p->n_slow, 0);
		CHECK_EQ(n_rets, l == 0 ? 0 : 1);
		free(p);
	}
}

/* a stripped copy (strip --strip-all): refused, saying why */
TEST(ccall_sites_310_stripped)
{
	uint64_t kinds[CC_MAX_STARTS], rets[CC310_MAX_RETS];
	struct cc_plan *p = calloc(1, sizeof(*p));
	char copy[64], err[256] = "";
	struct elf_file *ef;
	int n_rets;

	if (access(LIB310, R_OK) || strip_copy(LIB310, copy, sizeof(copy))) {
		fprintf(stderr, "  (skipped: no %s or no strip)\n", LIB310);
		free(p);
		return;
	}
	ef = elf_file__open(copy);
	CHECK(ef != NULL);
	if (ef) {
		CHECK(ccall_sites_310__plan(ef, copy, true, p, kinds, rets, &n_rets, err,
					    sizeof(err)) < 0);
		CHECK(strstr(err, "stripped") != NULL);
		elf_file__close(ef);
	}
	unlink(copy);
	free(p);
}
