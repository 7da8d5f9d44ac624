// SPDX-License-Identifier: MIT
/*
 * The probe sites of --c-calls in CPython 3.8's to 3.10's eval loop (the
 * eval strategy's interpreters): which sites see which calls, and why none
 * is counted twice. (3.12-3.14: ccall_sites.c.)
 *
 * What is to be seen: exactly the calls sys.setprofile reports as c_call.
 * In 3.8-3.10 the profiler's c_call comes from the C_TRACE macro of
 * Python/ceval.c, used in two places only:
 *   - call_function (the CALL_FUNCTION, CALL_FUNCTION_KW and CALL_METHOD
 *     instructions; through trace_call_function when tracing is on): the
 *     callable is a PyCFunction (3.8: exactly PyCFunction_Type; 3.9/3.10:
 *     PyCFunction_Check, i.e. PyCFunction_Type or its subclass
 *     PyCMethod_Type), or a method descriptor (PyMethodDescr_Type) called
 *     with at least one positional argument (its self: nargs counts the
 *     positional arguments only, the keyword arguments of CALL_FUNCTION_KW
 *     excluded). With none the profiler reports nothing.
 *   - do_call_core (CALL_FUNCTION_EX): a PyCFunction (3.9/3.10: exactly
 *     PyCFunction_Type or PyCMethod_Type), or a method descriptor whose
 *     argument tuple is not empty.
 * A bound method of a C function (PyMethod_Type), a type, a Python
 * function, an object with __call__: nothing. There is no specialization:
 * each call instruction runs its one handler, once per execution. A C
 * function called from C (map(len, xs), a callback) is no c_call either.
 *
 * Start sites: the handlers of the four instructions (the computed-goto
 * table's entries for their opcodes, which are the same in every 3.8.x,
 * 3.9.x and 3.10.x: Lib/opcode.py). The site of a handler is chosen as for
 * the dispatch strategy (dispatch_sites.c): the first instruction the
 * kernel emulates on its straight-line path (a conditional jump: the test
 * of use_tracing; in 3.8 the `call call_function` itself, the uprobe
 * running before the call), reached by no other
 * instruction's code. There the BPF side (bpf/ccalls_eval.bpf.h) needs the
 * frame (the thread state's frame: tstate->frame is the frame this
 * evaluator runs), the instruction (f_lasti, which the dispatch stores
 * before jumping to a handler: it points at the instruction, or at the
 * first of its EXTENDED_ARG prefixes, whose handler does not store it;
 * with computed gotos PREDICT is `if (0)`: no handler is entered but by
 * the dispatch) and the value stack pointer, a local of _PyEval_EvalFrameDefault kept in a
 * callee-saved register at every computed-goto target (measured: r14 in
 * pyenv 3.8.18 and 3.9.18, r12 in 3.10.13): it is found from POP_TOP's handler
 * (its first load is from -8(SP)). Before a site GCC may reuse that
 * register (3.9/3.10's CALL_FUNCTION_KW pops the names into another and
 * computes the callable's address into it): the straight line from the
 * handler's entry to the site is followed (sp_at_site), and the register
 * that holds SP plus a constant there is the site's; with none, or a store
 * through SP on the way, refused. Which instruction a site belongs to, its
 * register and constant are its BPF cookie (TR_CCALL_EVAL_COOKIE), so the
 * BPF side reads only the oparg.
 *
 * End sites. A C call ends when the call instruction of its handler that
 * may call the C function returns: register-indirect calls (the vectorcall
 * of an inlined _PyObject_Vectorcall), direct calls of the local functions
 * that call it when they are not inlined (call_function in 3.8,
 * trace_call_function in 3.9/3.10, do_call_core) and calls, through the PLT
 * or direct, of PyObject_Call, PyCFunction_Call, _PyObject_MakeTpCall,
 * _PyObject_FastCallDict(Tstate) and _PyObject_Call; never
 * memory-indirect calls (a tp_dealloc, a tp_descr_get) nor error helpers.
 * Only calls in code that only the family reaches count; the site is the
 * first emulated instruction of the straight line after the call, which no
 * other instruction's code joins: hit each time that call returns, with a
 * result or NULL (c_exception). Not on a loop, though: in 3.9/3.10 the line
 * after `call trace_call_function` runs into the loop that pops the call's
 * arguments, which every untraced call joins too, and a site there would
 * be hit once per argument of every call; no cheap site comes before the
 * loop. Such calls of a local function are ended where it returns instead,
 * by a uretprobe on it (trace_call_function runs only while the target
 * traces itself, so only then is that cost paid; a uretprobe the kernel
 * cannot arm, 64 deep, leaves an end missed: counted, see below).
 *
 * Nothing counted twice, nothing ended early. A start site also runs for
 * instructions that call no C function: the BPF side reads the callable and
 * decides as the profiler does, and an end site hit in a frame with no open
 * C call is nothing. Between a start and the C function's call a handler
 * calls no end-site function: the conversions of CALL_FUNCTION_EX's
 * arguments (PySequence_Tuple, PyDict_New, _PyDict_MergeEx) and error paths
 * are not end sites. When tracing is on in the target itself (its own
 * sys.settrace/setprofile), do_call_core's method-descriptor path first
 * binds the method through tp_descr_get, a memory-indirect call: not an
 * end. Python code the C function calls runs in other frames, whose C
 * calls are kept apart by their frame; a frame runs nothing while its C
 * call runs.
 *
 * Not decidable at the start: CALL_FUNCTION_EX's argument sequence is
 * converted to a tuple after the start site when it is not one. A tuple's
 * or a list's length is read; any other iterable (f(*gen)) is taken as not
 * empty: for a method descriptor, wrong only when it is empty, and then the
 * call raises TypeError (the descriptor needs its self) without a c_call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpython/ccall_sites_310.h"
#include "cpython/ccall_internal.h"
#include "tracer.h"

#define EVAL_FUNC "_PyEval_EvalFrameDefault"
#define ERR(fmt, ...) (snprintf(err, errlen, fmt, ##__VA_ARGS__), -ENOTSUP)

/* Lib/opcode.py of 3.8, 3.9 and 3.10 (unchanged across their releases) */
enum { OP_POP_TOP = 1, OP_CALL_FUNCTION = 131, OP_CALL_FUNCTION_KW = 141,
       OP_CALL_FUNCTION_EX = 142, OP_CALL_METHOD = 161 };

static const struct { int op; uint8_t kind; const char *name; } calls[] = {
	{ OP_CALL_FUNCTION, TR_CCALL_EVAL_FUNCTION, "CALL_FUNCTION" },
	{ OP_CALL_FUNCTION_KW, TR_CCALL_EVAL_KW, "CALL_FUNCTION_KW" },
	{ OP_CALL_METHOD, TR_CCALL_EVAL_METHOD, "CALL_METHOD" },
	{ OP_CALL_FUNCTION_EX, TR_CCALL_EVAL_EX, "CALL_FUNCTION_EX" },
};
#define N_CALLS (sizeof(calls) / sizeof(calls[0]))

/* functions whose return ends a C call, called through the PLT or direct */
static const char *const end_callees[] = {
	"PyObject_Call", "PyCFunction_Call", "_PyObject_MakeTpCall", "_PyObject_FastCallDict",
	"_PyObject_FastCallDictTstate", "_PyObject_Call",
};
/* local functions that call it, where GCC did not inline them */
static const char *const end_locals[] = { "call_function", "trace_call_function",
					  "do_call_core" };
#define N_END_ADDRS (sizeof(end_callees) / sizeof(end_callees[0]) + \
		     sizeof(end_locals) / sizeof(end_locals[0]))

/* Is the call at index I one whose return ends a C call? ADDRS: the
 * addresses of the functions named above (0: not in this file); *LOCAL:
 * the address of the local function it calls, else 0 */
static bool ends_ccall(const struct code *c, size_t i, const uint64_t *addrs, uint64_t *local)
{
	const size_t n_callees = sizeof(end_callees) / sizeof(end_callees[0]);
	cs_insn *in;
	size_t n = disasm_at(c, c->v[i].addr, c->v[i].size, &in);
	bool yes = false;
	char name[128];

	*local = 0;
	if (n != 1 || !cs_insn_group(c->x.cs, in, X86_GRP_CALL))
		goto out;
	const cs_x86_op *o = &in->detail->x86.operands[0];

	if (o->type == X86_OP_REG) {
		yes = true;	/* the vectorcall function */
	} else if (o->type == X86_OP_IMM) {
		for (size_t k = 0; k < N_END_ADDRS && !yes; k++)
			if (addrs[k] && addrs[k] == (uint64_t)o->imm) {
				yes = true;
				*local = k >= n_callees ? addrs[k] : 0;
			}
		if (!yes && plt_name(c, (uint64_t)o->imm, name, sizeof(name)))
			for (size_t e = 0; e < n_callees; e++)
				yes |= !strcmp(name, end_callees[e]);
	}
out:
	if (n)
		cs_free(in, n);
	return yes;
}

/*
 * Where the value stack pointer is at a start site: GCC may reuse its
 * register before the site (CALL_FUNCTION_KW's `names = POP()` and the
 * callable's address computed into it, 3.9/3.10). On [FROM, TO), straight
 * line, follow which of our registers hold SP plus a constant: `lea
 * d(%r),%q`, `mov %r,%q`, `add/sub $imm,%r` carry it, any other write ends
 * it. A store through such a register (the value stack changed before the
 * site) refuses. The register holding it at TO (SP's own first) into *REG,
 * the constant into *DELTA; false if none.
 */
static bool sp_at_site(const struct code *c, uint64_t from, uint64_t to, int sp, int *reg,
		       int64_t *delta)
{
	bool held[TR_REG_R15 + 1] = { false }, ok = true;
	int64_t off[TR_REG_R15 + 1] = { 0 };
	cs_insn *in = NULL;
	size_t n = 0;

	held[sp] = true;
	if (to < from)
		return false;
	if (to > from && !(n = disasm_at(c, from, to - from, &in)))
		return false;
	for (size_t i = 0; i < n && ok; i++) {
		const cs_x86 *x = &in[i].detail->x86;
		const cs_x86_op *o0 = &x->operands[0], *o1 = &x->operands[1];
		int d = x->op_count >= 1 && o0->type == X86_OP_REG && o0->size == 8
			? tr_reg_of(o0->reg) : 0;
		bool carried = false;
		cs_regs rd, wr;
		uint8_t nrd = 0, nwr = 0;

		if (x->op_count >= 1 && o0->type == X86_OP_MEM && (o0->access & CS_AC_WRITE) &&
		    held[tr_reg_of(o0->mem.base)])
			ok = false;
		if (cs_regs_access(c->x.cs, &in[i], rd, &nrd, wr, &nwr) != CS_ERR_OK)
			ok = false;
		if (d && x->op_count == 2 && in[i].id == X86_INS_LEA && o1->type == X86_OP_MEM &&
		    o1->mem.index == X86_REG_INVALID && o1->mem.segment == X86_REG_INVALID &&
		    held[tr_reg_of(o1->mem.base)]) {
			off[d] = off[tr_reg_of(o1->mem.base)] + o1->mem.disp;
			carried = true;
		} else if (d && x->op_count == 2 && in[i].id == X86_INS_MOV &&
			   o1->type == X86_OP_REG && held[tr_reg_of(o1->reg)]) {
			off[d] = off[tr_reg_of(o1->reg)];
			carried = true;
		} else if (d && held[d] && x->op_count == 2 && o1->type == X86_OP_IMM &&
			   (in[i].id == X86_INS_ADD || in[i].id == X86_INS_SUB)) {
			off[d] += in[i].id == X86_INS_ADD ? o1->imm : -o1->imm;
			carried = true;
		}
		for (uint8_t k = 0; k < nwr; k++)
			held[tr_reg_of(wr[k])] = false;
		if (carried)
			held[d] = true;
		held[0] = false;
	}
	if (n)
		cs_free(in, n);
	*reg = held[sp] ? sp : 0;
	for (int r = TR_REG_RBX; !*reg && r <= TR_REG_R15; r++)
		if (held[r])
			*reg = r;
	*delta = *reg ? off[*reg] : 0;
	return ok && *reg && *delta % 8 == 0 && *delta / 8 >= -128 && *delta / 8 <= 127;
}

/* Can S be reached again from S through the family's own code (a loop)? */
static bool on_loop(const struct code *c, const uint8_t *outside, long s, uint8_t *seen,
		    long *stack)
{
	size_t sp = 0;
	bool hit = false;

	memset(seen, 0, c->n);
	stack[sp++] = s;
	while (sp && !hit) {
		long i = stack[--sp], next[2];

		successors(c, (size_t)i, &next[0], &next[1]);
		for (int j = 0; j < 2; j++) {
			if (next[j] < 0 || outside[next[j]] || seen[next[j]])
				continue;
			hit |= next[j] == s;
			seen[next[j]] = 1;
			stack[sp++] = next[j];
		}
	}
	return hit;
}

/*
 * The end site after the call at I: end_site's (the first emulated
 * instruction of the straight line after it that no other instruction's
 * code joins), unless it lies on a loop of the family's code: 3.9/3.10's
 * `call trace_call_function` is followed by the loop that pops the call's
 * arguments, which the untraced path joins after its own end site; a site
 * there would be hit once per argument of every call. Then the instruction
 * right after the call, single-stepped, if only the call leads there; else
 * -1 (the caller then ends the call where its callee returns). The
 * family's code joining a site after a call of its own (3.8's CALL_METHOD,
 * whose two calls of call_function meet) costs one more hit, no more.
 * PREDS: how many instructions lead to each (2: two or more).
 */
static long end_site_310(const struct code *c, const uint8_t *outside, const uint8_t *preds,
			 size_t i, uint8_t *seen, long *stack, bool *emulated)
{
	long s = end_site(c, outside, i, emulated);

	if (s < 0 || !on_loop(c, outside, s, seen, stack))
		return s;
	if (preds[i + 1] != 1)
		return -1;
	*emulated = c->v[i + 1].emulated;
	return (long)i + 1;
}

static int plan_sites(struct code *c, const struct family *f, const uint64_t *starts,
		      size_t n_starts, const uint64_t *addrs, bool units, struct cc_plan *plan,
		      uint64_t cookies[CC_MAX_STARTS], uint64_t *rets, int *n_rets, char *err,
		      size_t errlen)
{
	uint8_t *outside = malloc(c->n), *mine = calloc(c->n, 1), *seen = malloc(c->n),
		*preds = calloc(c->n, 1);
	long *stack = malloc(c->n * sizeof(*stack));
	int ret = 0;

	if (!outside || !mine || !seen || !preds || !stack) {
		ret = -ENOMEM;
		goto out;
	}
	ret = reach_outside(c, f, starts, n_starts, outside);
	for (int i = 0; !ret && i < f->n; i++) {
		long e = find_ins(c, f->entry[i]), s;
		bool emulated;
		int before = plan->n_starts, reg;
		int64_t delta;

		if (e < 0 || (s = entry_site(c, outside, e, &emulated)) < 0) {
			ret = ERR("--c-calls: no probe site in the handler of %s", f->name[i]);
			break;
		}
		if (!sp_at_site(c, c->v[e].addr, c->v[s].addr, plan->sp_reg, &reg, &delta)) {
			ret = ERR("--c-calls: in the handler of %s, the value stack pointer cannot "
				  "be read at the probe site (0x%llx)", f->name[i],
				  (unsigned long long)c->v[s].addr);
			break;
		}
		if (add_site(plan->starts, &plan->n_starts, CC_MAX_STARTS, c, s, emulated,
			     f->name[i], &plan->n_slow))
			ret = ERR("--c-calls: more than %d start sites", CC_MAX_STARTS);
		else if (plan->n_starts == before)
			ret = ERR("--c-calls: two call instructions share the probe site 0x%llx",
				  (unsigned long long)c->v[s].addr);
		else
			cookies[before] = TR_CCALL_EVAL_COOKIE(calls[i].kind, units, reg, delta);
	}
	if (ret)
		goto out;
	reach_family(c, f, outside, mine, stack);
	for (size_t i = 0; i < c->n; i++) {
		long next[2];

		successors(c, i, &next[0], &next[1]);
		for (int j = 0; j < 2; j++)
			if (next[j] >= 0 && preds[next[j]] < 2)
				preds[next[j]]++;
	}
	static const struct cc_callees no_callees;

	for (size_t i = 0; i < c->n && !ret; i++) {
		long s;
		bool emulated, dup = false;
		uint64_t local;

		if (!mine[i] || !ends_ccall(c, i, addrs, &local))
			continue;
		s = end_site_310(c, outside, preds, i, seen, stack, &emulated);
		if (local && (s < 0 || !emulated)) {
			/* where the local function returns: its uretprobe */
			for (int k = 0; k < *n_rets; k++)
				dup |= rets[k] == local;
			if (!dup && *n_rets >= CC310_MAX_RETS)
				ret = ERR("--c-calls: more than %d functions to end calls at",
					  CC310_MAX_RETS);
			else if (!dup)
				rets[(*n_rets)++] = local;
			continue;
		}
		/* (c_exception: every callee here returns a PyObject *, NULL
		 * when it raised) */
		ret = add_end_site(plan, c, i, s, emulated, 0, &no_callees, err, errlen);
	}
	if (!ret && !plan->n_ends && !*n_rets)
		ret = ERR("--c-calls: no call of a C function found in the call instructions' code");
out:
	free(outside);
	free(mine);
	free(seen);
	free(preds);
	free(stack);
	return ret;
}

int ccall_sites_310__plan(struct elf_file *ef, const char *path, bool units,
			  struct cc_plan *plan, uint64_t cookies[CC_MAX_STARTS],
			  uint64_t rets[CC310_MAX_RETS], int *n_rets, char *err, size_t errlen)
{
	uint64_t handlers[256], fv, fsz, starts[257], addrs[N_END_ADDRS] = { 0 }, sz;
	struct family fam = { .kind = 0 };
	struct code c = { 0 };
	size_t n_starts = 0, k = 0;
	int ret;

	memset(plan, 0, sizeof(*plan));
	*n_rets = 0;
	/* without .symtab, calls of call_function (3.8) and trace_call_function
	 * cannot be told from others: their C calls would end late */
	if (!elf_file__has_symtab(ef))
		return ERR("--c-calls: %s is stripped (no .symtab): on CPython 3.8 to 3.10 the calls "
			   "that end C calls are told by their local symbols (supported: builds with "
			   "symbols, e.g. pyenv's)", path);
	if (elf_file__find_symbol(ef, EVAL_FUNC, &fv, &fsz) || !fsz)
		return ERR("%s: no %s", path, EVAL_FUNC);
	ret = find_table(ef, path, fv, fsz, handlers, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < N_CALLS; i++)
		family_add(&fam, handlers[calls[i].op], calls[i].name);
	for (int op = 0; op < 256; op++) {
		bool ours = false;

		for (size_t i = 0; i < N_CALLS; i++)
			ours |= op == calls[i].op;
		if (!ours && in_family(&fam, handlers[op]))
			return ERR("%s: opcode %d shares a handler with a call instruction", path, op);
		if (!ours)
			starts[n_starts++] = handlers[op];
	}
	for (size_t i = 0; i < N_CALLS; i++)
		for (size_t j = 0; j < i; j++)
			if (handlers[calls[i].op] == handlers[calls[j].op])
				return ERR("%s: %s and %s share a handler", path, calls[i].name,
					   calls[j].name);
	starts[n_starts++] = fv;
	for (size_t i = 0; i < sizeof(end_callees) / sizeof(end_callees[0]); i++, k++)
		if (elf_file__find_symbol(ef, end_callees[i], &addrs[k], &sz))
			addrs[k] = 0;
	for (size_t i = 0; i < sizeof(end_locals) / sizeof(end_locals[0]); i++, k++)
		if (elf_file__find_symbol_prefix(ef, end_locals[i], &addrs[k], &sz))
			addrs[k] = 0;
	if (x86_code__init(&c.x, ef, sizeof(struct ins), classify))
		return ERR("capstone: cannot open an x86-64 disassembler");
	ret = disassemble(&c, fv, fsz);
	if (!ret && disassemble_fragments(&c, fv, fsz, starts, n_starts))
		ret = ERR("%s: a handler of %s lies outside it, in code whose extent the unwind "
			  "tables do not give", path, EVAL_FUNC);
	if (ret)
		goto out;
	x86_code__sort(&c.x);
	plan->sp_reg = stack_reg(&c, handlers[OP_POP_TOP]);
	if (!plan->sp_reg) {
		ret = ERR("--c-calls: %s: the register holding the value stack pointer in %s "
			  "was not found", path, EVAL_FUNC);
		goto out;
	}
	ret = plan_sites(&c, &fam, starts, n_starts, addrs, units, plan, cookies, rets, n_rets, err,
			 errlen);
out:
	x86_code__free(&c.x);
	return ret;
}
