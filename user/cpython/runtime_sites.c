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
 * A stripped build (no .symtab) still has its unwind tables, which give
 * every function's extent, and the exported PyGC_Collect, which calls the
 * collector directly in 3.10 to 3.14 (bracketed by small helpers: saving
 * the exception, invoke_gc_callback): the collector is taken to be the
 * largest function PyGC_Collect calls directly, when it is at least four
 * times the size of the next (measured on the pyenv builds 3.10-3.14:
 * gc_collect_main 3.5-5.4 KB, the next 0.3-0.5 KB; the unit test checks
 * the choice against the symbol on every build here). Its signature is
 * known for those versions, gc_collect_main(tstate, int generation, ...),
 * and a function that keeps its name (no .isra/.constprop clone) keeps
 * the ABI: the generation is its second argument. 3.8 and 3.9 reach their
 * collector through clones of other shapes: not tried.
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
#include "os/eh_frame.h"
#include "cpython/x86_code.h"
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

struct call_rec {
	uint64_t addr;
	uint64_t target;	/* of a direct call, else 0 */
	uint64_t lea;		/* of a `lea ARG, [rip + x]`: x, else 0 */
	int8_t arg;		/* that lea's integer argument register, 0-5 */
	bool branch;		/* a jump or a return: ends a straight line */
};

static int arg_index(x86_reg r)
{
	static const x86_reg regs[] = { X86_REG_RDI, X86_REG_RSI, X86_REG_RDX,
					X86_REG_RCX, X86_REG_R8, X86_REG_R9 };

	for (int i = 0; i < 6; i++)
		if (regs[i] == r)
			return i;
	return -1;
}

static void describe_call(csh cs, const cs_insn *in, void *out)
{
	struct call_rec *r = out;
	const cs_x86 *x = &in->detail->x86;

	r->arg = -1;
	if (in->id == X86_INS_CALL && x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
		r->target = (uint64_t)x->operands[0].imm;
	else if (in->id == X86_INS_LEA && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		 x->operands[1].mem.base == X86_REG_RIP && x->operands[1].mem.index == X86_REG_INVALID &&
		 arg_index(x->operands[0].reg) >= 0) {
		r->lea = in->address + in->size + (int64_t)x->operands[1].mem.disp;
		r->arg = (int8_t)arg_index(x->operands[0].reg);
	} else if (cs_insn_group(cs, in, CS_GRP_JUMP) || cs_insn_group(cs, in, CS_GRP_RET)) {
		r->branch = true;
	}
}

/*
 * 3.13+: the collector picks an automatic collection's generation inside
 * and passes it to invoke_gc_callback(tstate, "start", generation, ...),
 * a static function GCC clones (.isra: parameters dropped, the rest kept
 * in order). Its call is the direct call of the collector's code whose
 * straight line loads the address of the string "start" into an argument
 * register; the generation is the next argument. The unit test checks
 * callee and register against the DWARF of the unstripped builds.
 */
int runtime_sites__generation_from_code(struct elf_file *ef, uint64_t collector,
					 uint64_t *callee, uint8_t *gen)
{
	uint64_t s, e;
	struct x86_code code;
	struct eh_frame f;
	int ret, found = 0;

	if (eh_frame__from_elf(ef, &f) || eh_frame__extent(&f, collector, &s, &e) || s != collector)
		return -ENOENT;
	if (x86_code__init(&code, ef, sizeof(struct call_rec), describe_call))
		return -ENOMEM;
	ret = x86_code__read(&code, s, e - s);
	for (size_t i = 0; !ret && i < code.n; i++) {
		struct call_rec *c = &((struct call_rec *)code.v)[i];
		int arg = -1;

		if (!c->target)
			continue;
		for (size_t j = i; j-- > 0 && i - j <= 8;) {
			struct call_rec *l = &((struct call_rec *)code.v)[j];
			char str[6];

			if (l->branch || l->target)
				break;
			if (l->lea && elf_file__read_vaddr(ef, l->lea, str, sizeof(str)) ==
					      (ssize_t)sizeof(str) && !memcmp(str, "start", 6))
				arg = l->arg;
		}
		if (arg < 0 || arg + 1 > 4)
			continue;
		if (found++ && (*callee != c->target || *gen != TR_RT_GEN_ARG(arg + 1)))
			ret = -EINVAL;	/* two that disagree: neither */
		*callee = c->target;
		*gen = TR_RT_GEN_ARG(arg + 1);
	}
	x86_code__free(&code);
	return ret ? ret : found ? 0 : -ENOENT;
}

int runtime_sites__collector_from_code(struct elf_file *ef, uint64_t *vaddr)
{
	uint64_t v, sz, s, e, best = 0, best_len = 0, next_len = 0;
	struct x86_code code;
	struct eh_frame f;
	int ret;

	if (elf_file__find_symbol(ef, "PyGC_Collect", &v, &sz) || eh_frame__from_elf(ef, &f) ||
	    eh_frame__extent(&f, v, &s, &e) || s != v)
		return -ENOENT;
	if (x86_code__init(&code, ef, sizeof(struct call_rec), describe_call))
		return -ENOMEM;
	ret = x86_code__read(&code, s, e - s);
	for (size_t i = 0; !ret && i < code.n; i++) {
		uint64_t t = ((struct call_rec *)code.v)[i].target, ts, te;

		/* a function's own entry (a PLT slot is inside .plt's extent) */
		if (!t || t == best || eh_frame__extent(&f, t, &ts, &te) || ts != t)
			continue;
		if (te - ts > best_len) {
			next_len = best_len;
			best = t;
			best_len = te - ts;
		} else if (te - ts > next_len) {
			next_len = te - ts;
		}
	}
	x86_code__free(&code);
	if (ret)
		return ret;
	if (!best || best_len < 4 * next_len)
		return -ENOENT;
	*vaddr = best;
	return 0;
}

void runtime_sites__find(struct elf_file *ef, const char *path, uint32_t version_hex,
			 struct rt_plan *plan, char *missing, size_t len)
{
	uint64_t v, sz;
	uint8_t gen;
	bool gc = false, auto_gen_unknown = false;

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
	/* stripped: the collector from the code, its generation the second
	 * argument (3.10-3.14), and on 3.13+ invoke_gc_callback's call (above) */
	if (!gc && version_hex >= 0x030a0000 && version_hex < 0x030f0000 &&
	    !runtime_sites__collector_from_code(ef, &v) &&
	    !add_site(ef, plan, "the collector (from the code)", TR_RT_GC, TR_RT_GEN_ARG(1), v)) {
		uint64_t callee;

		gc = true;
		auto_gen_unknown = version_hex >= 0x030d0000 &&
			(runtime_sites__generation_from_code(ef, v, &callee, &gen) ||
			 add_site(ef, plan, "invoke_gc_callback (from the code)",
				  TR_RT_GC_GENERATION, gen, callee));
	}
	bool imp = !elf_file__find_symbol(ef, "PyImport_ImportModuleLevelObject", &v, &sz) &&
		   !add_site(ef, plan, "PyImport_ImportModuleLevelObject", TR_RT_IMPORT,
			     TR_RT_GEN_UNKNOWN, v);
	snprintf(missing, len, "%s%s%s", !gc ? "GC collections (no collector symbol: a stripped "
					       "build?)" :
		 auto_gen_unknown ? "the generation of automatic GC collections (shown as "
				    "unknown: not found in the code)" : "",
		 (!gc || auto_gen_unknown) && !imp ? "; " : "",
		 imp ? "" : "imports (no PyImport_ImportModuleLevelObject)");
}

uint64_t runtime_sites__cookie(const struct rt_plan *plan, const struct rt_site *s)
{
	uint64_t c = (uint64_t)s->kind | (uint64_t)s->gen << 8;

	for (int i = 0; s->kind == TR_RT_GC && i < plan->n; i++)
		if (plan->sites[i].kind == TR_RT_GC_GENERATION)
			c |= TR_RT_COOKIE_GEN_SITE;
	return c;
}
