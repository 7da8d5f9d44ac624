// SPDX-License-Identifier: MIT
/*
 * runtime_sites: the collector of a stripped build, found from the code,
 * checked on every pyenv build 3.10-3.14 here against the gc_collect_main
 * symbol of the unstripped file; and the plan of a stripped copy: that
 * collector, with its generation taken from the second argument, which the
 * unstripped file's DWARF must say too. 3.8 and 3.9 (other collector
 * shapes) stripped: GC is said missing, never guessed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/runtime_sites.h"
#include "os/elf_file.h"
#include "pyenv_builds.h"
#include "strip_copy.h"
#include "tracer.h"

static const struct rt_site *site_of(const struct rt_plan *p, uint8_t kind)
{
	for (int i = 0; i < p->n; i++)
		if (p->sites[i].kind == kind)
			return &p->sites[i];
	return NULL;
}

#define gc_site(p) site_of(p, TR_RT_GC)

static void check_build(const char *lib, unsigned minor)
{
	struct elf_file *ef = elf_file__open(lib), *sf = NULL;
	uint64_t want, sz, got = 0, off;
	char copy[64], missing[192];
	struct rt_plan plan;
	const struct rt_site *s, *g;
	struct rt_site told = { 0 };
	uint32_t hex = 0x03000000u | (uint32_t)minor << 16;

	printf("  %s\n", lib);
	CHECK(ef != NULL);
	if (!ef)
		return;
	if (minor >= 10) {
		CHECK_EQ(elf_file__find_symbol(ef, "gc_collect_main", &want, &sz), 0);
		CHECK_EQ(runtime_sites__collector_from_code(ef, &got), 0);
		CHECK_EQ(got, want);
		/* with DWARF: the symbol's site, generation the second argument */
		runtime_sites__find(ef, lib, hex, &plan, missing, sizeof(missing));
		s = gc_site(&plan);
		CHECK(s != NULL);
		if (s) {
			CHECK_EQ(elf_file__vaddr_to_offset(ef, want, &off), 0);
			CHECK_EQ(s->offset, off);
			CHECK_EQ(s->gen, TR_RT_GEN_ARG(1));
		}
		/* 3.13+: the generation told inside, as DWARF has it */
		g = site_of(&plan, TR_RT_GC_GENERATION);
		if (minor >= 13)
			CHECK(g != NULL);
		if (g && minor >= 13) {
			uint64_t callee;
			uint8_t gen;

			told = *g;
			CHECK_EQ(runtime_sites__generation_from_code(ef, want, &callee, &gen), 0);
			CHECK_EQ(elf_file__vaddr_to_offset(ef, callee, &off), 0);
			CHECK_EQ(off, g->offset);
			CHECK_EQ(gen, g->gen);
			printf("    told by %s, generation TR_RT_GEN_ARG(%u)\n", g->what, g->gen);
		}
	}
	if (strip_copy(lib, copy, sizeof(copy))) {
		printf("  SKIP stripped copy: strip failed\n");
		unlink(copy);
		elf_file__close(ef);
		return;
	}
	sf = elf_file__open(copy);
	CHECK(sf != NULL);
	if (sf) {
		CHECK(!elf_file__has_symtab(sf));
		runtime_sites__find(sf, copy, hex, &plan, missing, sizeof(missing));
		s = gc_site(&plan);
		if (minor >= 10) {
			CHECK(s != NULL);
			CHECK(!strstr(missing, "GC"));
			if (s) {
				CHECK_EQ(elf_file__vaddr_to_offset(ef, want, &off), 0);
				CHECK_EQ(s->offset, off);
				CHECK_EQ(s->gen, TR_RT_GEN_ARG(1));
			}
			g = site_of(&plan, TR_RT_GC_GENERATION);
			CHECK_EQ(g != NULL, minor >= 13);
			if (g && minor >= 13) {
				CHECK_EQ(g->offset, told.offset);
				CHECK_EQ(g->gen, told.gen);
			}
			CHECK(!strstr(missing, "generation"));
		} else {
			CHECK(s == NULL);
			CHECK(strstr(missing, "GC collections") != NULL);
		}
		elf_file__close(sf);
	}
	unlink(copy);
	elf_file__close(ef);
}

TEST(runtime_sites_collector_of_stripped_builds)
{
	/* 3.6/3.7: not supported; free-threaded builds: refused */
	pyenv_builds__each(8, 99, false, check_build);
}
