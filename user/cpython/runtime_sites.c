// SPDX-License-Identifier: MIT
/*
 * The collector and the import function of a build without USDT probes.
 *
 * The collector is gc_collect_main (3.10+) or collect (3.8, 3.9), static
 * functions: only builds with a .symtab name them. GCC may leave only
 * clones of collect (3.8 here has collect.constprop.0 and .1, one per set
 * of constant arguments, each an entry of its own), so every clone is
 * probed. Which register holds the generation (or that a clone has it as a
 * constant) comes from DWARF (user/os/dwarf_params.c); a function whose DWARF
 * has no `generation` parameter is not the collector. Without DWARF only
 * gc_collect_main is trusted, and its generation is reported as unknown.
 *
 * 3.13 enters gc_collect_main with generation -1 for an automatic
 * collection and picks the generation inside (or returns without
 * collecting); invoke_gc_callback, which it then calls with the generation,
 * is probed too (its entry only) to tell it.
 *
 * Imports: PyImport_ImportModuleLevelObject(name, globals, locals,
 * fromlist, level), exported, called by every import statement; the
 * analyzer keeps the statements that load a module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "os/dwarf_params.h"
#include "cpython/runtime_sites.h"
#include "tracer.h"

/* called by 3.13's collector with the generation it picked (outside the
 * collector before: its generation argument is then always known) */
static const char *const told_generation[] = {
	"invoke_gc_callback", "invoke_gc_callback.isra.0", "invoke_gc_callback.constprop.0",
};

static const char *const collectors[] = {
	"gc_collect_main", "collect", "collect.constprop.0", "collect.constprop.1",
	"collect.constprop.2", "collect.isra.0", "collect.isra.1",
};

static int add_site(struct elf_file *ef, struct rt_plan *plan, const char *sym, uint8_t kind,
		    uint8_t gen, uint64_t vaddr)
{
	struct rt_site *s;

	if (plan->n >= RT_MAX_SITES)
		return -ENOSPC;
	s = &plan->sites[plan->n];
	if (elf_file__vaddr_to_offset(ef, vaddr, &s->offset))
		return -ENOENT;
	s->kind = kind;
	s->gen = gen;
	snprintf(s->what, sizeof(s->what), "%s", sym);
	plan->n++;
	return 0;
}

/* where the collector at VADDR finds the generation; -ENOENT: not the collector */
static int generation_of(const char *path, const char *sym, uint64_t vaddr, uint8_t *gen)
{
	enum dwarf_param_where where;
	int64_t v;
	int ret = dwarf_params__find(path, vaddr, "generation", &where, &v);

	*gen = TR_RT_GEN_UNKNOWN;
	if (ret == -ENODATA)
		return strcmp(sym, "gc_collect_main") ? -ENOENT : 0;
	if (ret)
		return ret;
	if (where == DWARF_PARAM_ARG && v <= 4)
		*gen = TR_RT_GEN_ARG(v);
	else if (where == DWARF_PARAM_CONST && v >= 0 && v <= 2)
		*gen = TR_RT_GEN_CONST(v);
	return 0;
}

void runtime_sites__find(struct elf_file *ef, const char *path, struct rt_plan *plan,
			 char *missing, size_t len)
{
	uint64_t v, sz;
	uint8_t gen;
	bool gc = false;

	memset(plan, 0, sizeof(*plan));
	for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++) {
		if (elf_file__find_symbol(ef, collectors[i], &v, &sz) ||
		    generation_of(path, collectors[i], v, &gen))
			continue;
		if (!add_site(ef, plan, collectors[i], TR_RT_GC, gen, v))
			gc = true;
		if (i == 0)
			break;	/* gc_collect_main: the only one */
	}
	for (size_t i = 0; gc && i < sizeof(told_generation) / sizeof(told_generation[0]); i++) {
		if (elf_file__find_symbol(ef, told_generation[i], &v, &sz) ||
		    generation_of(path, told_generation[i], v, &gen) || gen == TR_RT_GEN_UNKNOWN)
			continue;
		add_site(ef, plan, told_generation[i], TR_RT_GC_GENERATION, gen, v);
		break;
	}
	bool imp = !elf_file__find_symbol(ef, "PyImport_ImportModuleLevelObject", &v, &sz) &&
		   !add_site(ef, plan, "PyImport_ImportModuleLevelObject", TR_RT_IMPORT,
			     TR_RT_GEN_UNKNOWN, v);
	snprintf(missing, len, "%s%s%s", gc ? "" : "GC collections (no collector symbol: "
				     "a stripped build?)",
		 !gc && !imp ? "; " : "", imp ? "" : "imports (no PyImport_ImportModuleLevelObject)");
}

uint64_t runtime_sites__cookie(const struct rt_plan *plan, const struct rt_site *s)
{
	uint64_t c = (uint64_t)s->kind | (uint64_t)s->gen << 8;

	for (int i = 0; s->kind == TR_RT_GC && i < plan->n; i++)
		if (plan->sites[i].kind == TR_RT_GC_GENERATION)
			c |= TR_RT_COOKIE_GEN_SITE;
	return c;
}
