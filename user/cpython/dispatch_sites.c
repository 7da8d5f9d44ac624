// SPDX-License-Identifier: MIT
/*
 * Probe sites in CPython 3.11+'s eval loop: how they are chosen, and why
 * they are exact.
 *
 * Since 3.11 a Python-to-Python call does not enter _PyEval_EvalFrameDefault
 * again: the CALL instruction pushes the new frame and jumps to its first
 * instruction inside the same C function. What every frame does run are
 * its own instructions, and three kinds of them are exactly what
 * sys.setprofile reports:
 *   - RESUME (and its specialized forms, RESUME_QUICK in 3.11, RESUME_CHECK
 *     in 3.13, and INSTRUMENTED_RESUME when sys.monitoring is active) is the
 *     first instruction a frame runs when it starts, and the one after each
 *     yield/await when it resumes: a 'call'. (A frame that only creates a
 *     generator runs RETURN_GENERATOR before its RESUME: no event, as in
 *     sys.setprofile.) Resuming with gen.throw() skips RESUME; that one
 *     re-enters _PyEval_EvalFrameDefault with throwflag set, and the branch
 *     that tests it, found in the code (user/cpython/throw_site.c), is a
 *     site of its own (DS_THROW; bpf/dispatch.bpf.h, dispatch_throw).
 *     Where that branch is not found, a uprobe on the function's entry
 *     reports the throw (eval_throw), at the price of a trap on every entry
 *     of the evaluator (each call from C, each 3.11 generator resumption).
 *   - RETURN_VALUE, RETURN_CONST (3.12+), YIELD_VALUE and their instrumented
 *     forms: a 'return'.
 *   - the exit_unwind label, where every frame that an exception leaves
 *     goes: a 'return' too.
 * Opcode numbers come from the interpreter (user/cpython/py_opcodes.c); the
 * specialized forms are every opcode that the binary's own _PyOpcode_Deopt
 * table maps to a base instruction. The handlers' addresses are the entries
 * of the computed-goto table `opcode_targets` (a local symbol; its words are
 * R_X86_64_RELATIVE relocations in a shared library), or, in a build
 * without .symtab, the table the eval function's own code dispatches
 * through (user/cpython/opcode_table.c); handlers GCC moved into `.cold`
 * fragments are disassembled with the fragments' extents from the unwind
 * tables (user/os/eh_frame.c). exit_unwind is a C label, found in the DWARF
 * (user/os/dwarf_labels.c), or without DWARF from the code
 * (user/cpython/unwind_site.c). In a build without .symtab the specialized
 * forms come from the interpreter's own dis.deoptmap instead of
 * _PyOpcode_Deopt (user/cpython/py_opcodes.c; equal where both exist).
 *
 * Where in a handler to probe. A uprobe on an instruction the kernel must
 * single-step out of line costs ~10 µs on these VMs; on one it emulates
 * (push, nop, call/jmp/jcc with a relative target) it costs like a
 * function-entry probe. So the site of a handler is the first emulated
 * instruction on its straight-line path: from the handler's first
 * instruction, through instructions that cannot branch, to the first one
 * the kernel emulates (often the handler's first conditional jump). Every
 * execution of the handler reaches that instruction, exactly once, because
 * nothing before it can branch away. It must also not be reachable by code
 * of any other instruction: we disassemble the whole function (hot and
 * .cold parts, capstone), follow every direct jump and fall-through from
 * every other handler and from the function's entry, and refuse a site that
 * this reaches without passing through one of the family's entries (jumping
 * to a family member's handler, as DEOPT_IF and GO_TO_INSTRUCTION do, is
 * the same instruction going on). Indirect jumps are the dispatch through
 * `opcode_targets`, whose targets are all known.
 *
 * Exactly once per instruction: from each site we walk on through code only
 * that family reaches; if another site of the family can follow, one
 * execution could count twice. For returns that is refused. For calls it
 * happens when a specialized RESUME de-specializes (3.13 RESUME_CHECK jumps
 * to RESUME when the eval breaker is set): both sites see the same frame,
 * and user/analysis/analyzer.c drops a call of the frame already on top of the
 * stack, which a real call can never be (a new frame is a new address).
 *
 * Which frame. The BPF program reads the current frame through the thread
 * state (bpf/tracer.bpf.c), so for returns the site must come before the
 * handler makes the caller current (`frame = tstate->...current_frame =
 * frame->previous`). We check the straight-line prefix for a store of a
 * value loaded from `frame->previous` (a small taint analysis over capstone's
 * operands); where there is one, the site stays the emulated instruction
 * when a register provably holds the exiting frame there (exit_reg.c: the
 * `call _PyEval_FrameClearAndPop` of 3.13's RETURN_VALUE, the jumps of
 * 3.12/3.14's YIELD_VALUE), and the BPF program reads the frame from that
 * register (in a stripped 3.12's exit_unwind, whose callee has no name,
 * from the code that jumps to the label: exit_preds.c); else it falls back
 * to the handler's first instruction, which is before anything: exact, but
 * single-stepped. The number of such slow sites is reported.
 *
 * The one left is 3.13's YIELD_VALUE (pyenv 3.13.0: 0x91c75-0x91cfb, 33
 * instructions, movs, leas, an add, ending in the dispatch `jmp *%rax`):
 * no instruction of it is one the kernel emulates, and every way out of it
 * is that indirect jump, to the consumer's next instruction (after its
 * FOR_ITER or SEND; INTERPRETER_EXIT when the consumer is C code): any
 * handler, so no single later site exists either. Two ways around the
 * single-step were tried on this project's VM (Linux 6.18) and fail: a
 * uprobe program that emulates the first instruction itself (writing the
 * registers and ip, so that the kernel need not step it) is refused by the
 * verifier ("invalid bpf_context access" on a pt_regs store), and a
 * hardware execution breakpoint (a perf breakpoint event; no step: the
 * resume flag) is accepted but never fires in the VM (`perf stat -e
 * mem:ADDR:x` counts 0 over 200,000 calls of the function).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "cpython/dispatch_sites.h"
#include "cpython/dispatch_internal.h"
#include "cpython/exit_preds.h"
#include "cpython/exit_reg.h"
#include "cpython/opcode_table.h"
#include "cpython/unwind_site.h"
#include "os/dwarf_labels.h"
#include "os/eh_frame.h"
#include "cpython/x86_code.h"

#define EVAL_FUNC "_PyEval_EvalFrameDefault"

/* Does the straight-line code [FROM, TO) store a value it loaded from
 * `X->previous` (offset BACK)? Then the handler may already have made the
 * caller the current frame (see the top comment). */
static bool switches_frame(const struct code *c, uint64_t from, uint64_t to, int back)
{
	bool tainted[X86_REG_ENDING] = { false };
	bool found = false;
	cs_insn *in;
	size_t cnt;

	if (to <= from)
		return false;
	/* (code the planner decoded already: none only when it is unreadable
	 * or longer than disasm_at reads) */
	cnt = disasm_at(c, from, to - from, &in);
	if (!cnt)
		return true;	/* cannot tell: assume the worst */
	for (size_t i = 0; i < cnt && !found; i++) {
		const cs_x86 *x = &in[i].detail->x86;
		const cs_x86_op *o = x->operands;

		if (in[i].id == X86_INS_MOV && x->op_count == 2) {
			if (o[0].type == X86_OP_MEM && o[1].type == X86_OP_REG) {
				found = tainted[o[1].reg];
			} else if (o[0].type == X86_OP_REG) {
				tainted[o[0].reg] =
					(o[1].type == X86_OP_MEM && o[1].mem.disp == back) ||
					(o[1].type == X86_OP_REG && tainted[o[1].reg]);
			}
			continue;
		}
		cs_regs rd, wr;
		uint8_t nrd = 0, nwr = 0;
		if (cs_regs_access(c->x.cs, &in[i], rd, &nrd, wr, &nwr) == CS_ERR_OK)
			for (uint8_t k = 0; k < nwr; k++)
				tainted[wr[k]] = false;
	}
	cs_free(in, cnt);
	return found;
}

/* Can an execution that hit site S reach another site of F? */
static bool reaches_other_site(const struct code *c, const uint8_t *outside, long s,
			       const long *sites, int n_sites)
{
	uint8_t *seen = calloc(c->n, 1);
	long *stack = malloc(c->n * sizeof(*stack));
	size_t sp = 0;
	bool hit = false;

	if (!seen || !stack) {
		free(seen);
		free(stack);
		return true;
	}
	stack[sp++] = s;
	while (sp && !hit) {
		long i = stack[--sp], next[2];

		successors(c, (size_t)i, &next[0], &next[1]);
		for (int j = 0; j < 2 && !hit; j++) {
			long k = next[j];
			if (k < 0 || seen[k] || outside[k])
				continue;
			seen[k] = 1;
			for (int m = 0; m < n_sites; m++)
				hit |= sites[m] == k;
			stack[sp++] = k;
		}
	}
	free(seen);
	free(stack);
	return hit;
}

const char *dispatch_sites__kind_name(uint8_t kind)
{
	switch (kind) {
	case DS_CALL: return "call";
	case DS_RETURN: return "return";
	case DS_UNWIND: return "unwind";
	case DS_THROW: return "throw";
	default: return "?";
	}
}

#define ERR(fmt, ...) (snprintf(err, errlen, fmt, ##__VA_ARGS__), -ENOTSUP)

/* Sites of family F into PLAN. STARTS: every place other code begins, its
 * first N_INDIRECT the targets of indirect jumps (handlers, entry). */
static int plan_family(struct code *c, const struct family *f, const uint64_t *starts,
		       size_t n_starts, size_t n_indirect, int frame_back, struct ds_plan *plan,
		       char *err, size_t errlen)
{
	uint8_t *outside = malloc(c->n);
	bool exits = !ds_kind_starts(f->kind);
	long sites[FAMILY_MAX];
	int n_sites = 0, ret = 0;

	if (!outside)
		return -ENOMEM;
	ret = reach_outside(c, f, starts, n_starts, outside);
	for (int i = 0; !ret && i < f->n; i++) {
		long e = find_ins(c, f->entry[i]), s;
		struct exit_reg reg;
		bool emulated;
		int k;

		if (e < 0) {
			ret = ERR("%s: the handler of %s (0x%llx) is not at an instruction of %s",
				  "dispatch", f->name[i], (unsigned long long)f->entry[i], EVAL_FUNC);
			break;
		}
		s = entry_site(c, outside, e, &emulated);
		if (s < 0) {
			ret = ERR("dispatch: other code runs the handler of %s", f->name[i]);
			break;
		}
		reg.reg = -1;
		if (exits && s != e &&
		    switches_frame(c, c->v[e].addr, c->v[s].addr, frame_back) &&
		    exit_reg__find(c->x.ef, c->x.cs, c->v[e].addr, c->v[s].addr, frame_back,
				   &reg) &&
		    exit_preds__find(c, starts, n_indirect, c->v[e].addr, c->v[s].addr,
				     frame_back, &reg)) {
			s = e;	/* see "Which frame" in the top comment */
			emulated = c->v[e].emulated;
		}
		for (k = 0; k < n_sites; k++)
			if (sites[k] == s)
				break;
		if (k < n_sites)
			continue;	/* two handlers meet before their site */
		if (plan->n >= DS_MAX_SITES) {
			ret = ERR("dispatch: more than %d probe sites", DS_MAX_SITES);
			break;
		}
		sites[n_sites++] = s;
		struct ds_site *d = &plan->sites[plan->n++];
		d->vaddr = c->v[s].addr;
		d->entry = f->entry[i];
		d->kind = f->kind;
		d->emulated = emulated;
		d->frame_reg = reg.reg;
		d->link_cleared = reg.reg >= 0 && reg.cleared;
		snprintf(d->what, sizeof(d->what), "%s", f->name[i]);
		plan->n_slow += !emulated;
	}
	/* a return must not be counted twice; a call seen twice in a row is
	 * dropped by the analyzer (see the top comment) */
	for (int k = 0; !ret && exits && k < n_sites; k++)
		if (reaches_other_site(c, outside, sites[k], sites, n_sites))
			ret = ERR("dispatch: one %s instruction could pass two probe sites (0x%llx)",
				  dispatch_sites__kind_name(f->kind),
				  (unsigned long long)c->v[sites[k]].addr);
	free(outside);
	return ret;
}

/* the handlers of the computed-goto table: its symbol's words, or the
 * table found from the code in a build without .symtab (opcode_table.c) */
int find_table(struct elf_file *ef, const char *path, uint64_t fv, uint64_t fsz,
		      uint64_t handlers[256], char *err, size_t errlen)
{
	uint64_t tab, tab_sz;
	struct opcode_table *t;
	char why[200];
	int ret;

	if (!elf_file__find_symbol_prefix(ef, "opcode_targets", &tab, &tab_sz) &&
	    tab_sz == 256 * 8) {
		if (elf_file__read_pointers(ef, tab, handlers, 256))
			return ERR("%s: cannot read opcode_targets", path);
		return 0;
	}
	t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	ret = opcode_table__find(ef, fv, fsz, t, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s has no opcode_targets symbol and %s", path, why);
	else
		memcpy(handlers, t->handlers, sizeof(t->handlers));
	free(t);
	return ret;
}

/*
 * GCC moves rarely run blocks of the eval function into fragments of their
 * own (`_PyEval_EvalFrameDefault.cold`, more than one after PGO), outside
 * the function's symbol; handlers and labels can start there. Each
 * fragment one of STARTS lies in is disassembled too, with its extent from
 * the unwind tables (os/eh_frame.c), which a stripped build keeps and which
 * equal the symbols where there are symbols.
 */
int disassemble_fragments(struct code *c, uint64_t fv, uint64_t fsz,
				 const uint64_t *starts, size_t n_starts)
{
	uint64_t done[16][2];
	struct eh_frame f;
	int n_done = 0, ret = 0;

	for (size_t i = 0; i < n_starts && !ret; i++) {
		uint64_t s, e;
		bool seen = false;

		if (starts[i] >= fv && starts[i] - fv < fsz)
			continue;
		for (int k = 0; k < n_done; k++)
			seen |= starts[i] >= done[k][0] && starts[i] < done[k][1];
		if (seen)
			continue;
		if (!n_done && eh_frame__from_elf(c->x.ef, &f))
			return -ENOENT;
		if (eh_frame__extent(&f, starts[i], &s, &e) || n_done == 16)
			return -ENOENT;
		done[n_done][0] = s;
		done[n_done++][1] = e;
		ret = disassemble(c, s, e - s);
	}
	return ret;
}

/* the base of each specialized instruction: the binary's table, or the
 * interpreter's dis.deoptmap (the same data, checked equal where both exist) */
int deopt_table(struct elf_file *ef, const char *path, const struct py_opcodes *ops,
		unsigned char deopt[256], char *err, size_t errlen)
{
	uint64_t deopt_v, deopt_sz;

	if (!elf_file__find_symbol(ef, "_PyOpcode_Deopt", &deopt_v, &deopt_sz) &&
	    deopt_sz == 256 && elf_file__read_vaddr(ef, deopt_v, deopt, 256) == 256) {
		for (int op = 0; ops->n_deopt && op < 256; op++)
			if (ops->deopt[op] != op && deopt[op] != ops->deopt[op])
				return ERR("%s: _PyOpcode_Deopt and the interpreter's dis.deoptmap "
					   "disagree on opcode %d", path, op);
	} else if (ops->n_deopt) {
		memcpy(deopt, ops->deopt, 256);
	} else {
		return ERR("%s has no _PyOpcode_Deopt table (a stripped build?) and its "
			   "interpreter printed no dis.deoptmap", path);
	}
	return 0;
}

/*
 * What does not depend on the opcode numbers (which the interpreter prints,
 * in a process of its own: user/cpython/binary.c asks for them meanwhile):
 * the computed-goto table, exit_unwind, and the eval function's code with
 * its fragments, disassembled once.
 */
struct ds_prep {
	struct elf_file *ef;
	const char *path;
	int frame_back;
	uint64_t handlers[256], fv, fsz, unwind;
	const char *unwind_from;
	uint64_t starts[258];
	size_t n_starts;
	struct code c;
};

int dispatch_sites__prepare(struct elf_file *ef, const char *path, int frame_back,
			    struct ds_prep **out, char *err, size_t errlen)
{
	struct ds_prep *p = calloc(1, sizeof(*p));
	int ret;

	*out = NULL;
	if (!p) {
		snprintf(err, errlen, "dispatch: out of memory");
		return -ENOMEM;
	}
	p->ef = ef;
	p->path = path;
	p->frame_back = frame_back;
	if (elf_file__find_symbol(ef, EVAL_FUNC, &p->fv, &p->fsz) || !p->fsz) {
		ret = ERR("%s: no %s", path, EVAL_FUNC);
		goto fail;
	}
	ret = find_table(ef, path, p->fv, p->fsz, p->handlers, err, errlen);
	if (ret)
		goto fail;
	/* exit_unwind: the DWARF label, else found from the code (unwind_site.c) */
	p->unwind_from = "DWARF";
	if (dwarf_labels__find(path, EVAL_FUNC, "exit_unwind", &p->unwind)) {
		char why[200];
		p->unwind_from = "code analysis";
		if (unwind_site__find(ef, p->fv, p->fsz, p->handlers, frame_back, &p->unwind, why,
				      sizeof(why))) {
			ret = ERR("%s: no DWARF label exit_unwind, and %s: frames that exceptions "
				  "leave could not be seen", path, why);
			goto fail;
		}
	}
	for (int op = 0; op < 256; op++)
		p->starts[p->n_starts++] = p->handlers[op];
	p->starts[p->n_starts++] = p->fv;
	p->starts[p->n_starts++] = p->unwind;	/* last: not an indirect target */
	if (x86_code__init(&p->c.x, ef, sizeof(struct ins), classify)) {
		ret = ERR("capstone: cannot open an x86-64 disassembler");
		goto fail;
	}
	ret = disassemble(&p->c, p->fv, p->fsz);
	if (!ret && disassemble_fragments(&p->c, p->fv, p->fsz, p->starts, p->n_starts)) {
		ret = ERR("%s: a handler of %s lies outside it, in code whose extent the unwind "
			  "tables do not give", path, EVAL_FUNC);
		goto fail;
	}
	if (ret) {
		snprintf(err, errlen, "%s: cannot disassemble %s: %s", path, EVAL_FUNC,
			 strerror(-ret));
		goto fail;
	}
	x86_code__sort(&p->c.x);
	*out = p;
	return 0;
fail:
	dispatch_sites__prep_free(p);
	return ret;
}

void dispatch_sites__prep_free(struct ds_prep *p)
{
	if (!p)
		return;
	x86_code__free(&p->c.x);
	free(p);
}

/*
 * The gen.throw() branch (throw_site.c), as one more family: its site is
 * the first emulated instruction only that branch reaches. Where there is
 * none, or no branch was found, the plan has no DS_THROW site and the
 * caller probes the eval function's entry instead (exact, a trap more per
 * entry): nothing here is an error.
 */
static void plan_throw(struct ds_prep *p, struct ds_plan *plan)
{
	struct family f = { .kind = DS_THROW };
	struct ds_plan try = *plan;
	uint64_t target;
	char why[200];

	if (throw_site__find(&p->c, p->fv, p->starts, p->n_starts, &target))
		return;
	family_add(&f, target, "gen.throw() entry");
	if (plan_family(&p->c, &f, p->starts, p->n_starts, p->n_starts - 1, p->frame_back, &try,
			why, sizeof(why)) || try.n != plan->n + 1 || !try.sites[plan->n].emulated)
		return;
	*plan = try;
}

int dispatch_sites__plan_prepared(struct ds_prep *p, const struct py_opcodes *ops,
				  struct ds_plan *plan, char *err, size_t errlen)
{
	/* base instructions and their family (index into fam[] below) */
	static const struct { enum py_op op; int fam; const char *specialized; } base_ops[] = {
		{ PY_OP_RESUME, 0, "RESUME (specialized)" },
		{ PY_OP_RETURN_VALUE, 1, "RETURN_VALUE (specialized)" },
		{ PY_OP_RETURN_CONST, 1, "RETURN_CONST (specialized)" },
		{ PY_OP_YIELD_VALUE, 1, "YIELD_VALUE (specialized)" },
	};
	static const struct { enum py_op op; int fam; } instr_ops[] = {
		{ PY_OP_INSTRUMENTED_RESUME, 0 },
		{ PY_OP_INSTRUMENTED_RETURN_VALUE, 1 },
		{ PY_OP_INSTRUMENTED_RETURN_CONST, 1 },
		{ PY_OP_INSTRUMENTED_YIELD_VALUE, 1 },
	};
	bool ours[256] = { false };	/* opcodes in a family */
	const uint64_t *handlers = p->handlers;
	const char *path = p->path;
	uint64_t unwind = p->unwind;
	unsigned char deopt[256];
	struct family fam[3] = { { .kind = DS_CALL }, { .kind = DS_RETURN },
				 { .kind = DS_UNWIND } };
	int ret = 0;

	memset(plan, 0, sizeof(*plan));
	plan->unwind_from = p->unwind_from;
	ret = deopt_table(p->ef, path, ops, deopt, err, errlen);
	if (ret)
		return ret;

	/* the numbers must be distinct and be base instructions to the binary */
	for (int a = 0; a < PY_OP__COUNT; a++)
		for (int b = a + 1; b < PY_OP__COUNT; b++)
			if (ops->num[a] >= 0 && ops->num[a] == ops->num[b])
				return ERR("%s: opcodes %s and %s have one number", path,
					   py_opcodes__name(a), py_opcodes__name(b));
	for (size_t b = 0; b < sizeof(base_ops) / sizeof(base_ops[0]); b++)
		if (ops->num[base_ops[b].op] >= 0 &&
		    deopt[ops->num[base_ops[b].op]] != ops->num[base_ops[b].op])
			return ERR("%s: _PyOpcode_Deopt does not agree with the interpreter's "
				   "opcode numbers", path);
	/* families: every opcode _PyOpcode_Deopt maps to a base instruction
	 * (the base and its specialized forms), and the instrumented forms */
	for (int op = 0; op < 256; op++) {
		for (size_t b = 0; b < sizeof(base_ops) / sizeof(base_ops[0]); b++) {
			int base = ops->num[base_ops[b].op];
			if (base < 0 || deopt[op] != base)
				continue;
			family_add(&fam[base_ops[b].fam], handlers[op],
				   op == base ? py_opcodes__name(base_ops[b].op)
					      : base_ops[b].specialized);
			ours[op] = true;
		}
	}
	for (size_t b = 0; b < sizeof(instr_ops) / sizeof(instr_ops[0]); b++) {
		int op = ops->num[instr_ops[b].op];
		if (op < 0)
			continue;
		family_add(&fam[instr_ops[b].fam], handlers[op], py_opcodes__name(instr_ops[b].op));
		ours[op] = true;
	}
	family_add(&fam[2], unwind, "exit_unwind");
	for (int i = 0; i < fam[0].n; i++)
		if (in_family(&fam[1], fam[0].entry[i]) || fam[0].entry[i] == unwind)
			return ERR("%s: the opcode numbers given make one handler both a call and "
				   "a return", path);
	/* no other opcode may share a handler with ours */
	for (int op = 0; op < 256; op++)
		if (!ours[op] && (in_family(&fam[0], handlers[op]) || in_family(&fam[1], handlers[op])))
			return ERR("%s: opcode %d shares a handler with a probed instruction", path, op);
	for (int k = 0; k < 3 && !ret; k++)
		ret = plan_family(&p->c, &fam[k], p->starts, p->n_starts, p->n_starts - 1,
				  p->frame_back, plan, err, errlen);
	if (!ret)
		plan_throw(p, plan);
	return ret;
}

int dispatch_sites__plan(struct elf_file *ef, const char *path, const struct py_opcodes *ops,
			 int frame_back, struct ds_plan *plan, char *err, size_t errlen)
{
	struct ds_prep *p;
	int ret;

	memset(plan, 0, sizeof(*plan));
	ret = dispatch_sites__prepare(ef, path, frame_back, &p, err, errlen);
	if (!ret)
		ret = dispatch_sites__plan_prepared(p, ops, plan, err, errlen);
	dispatch_sites__prep_free(p);
	return ret;
}
