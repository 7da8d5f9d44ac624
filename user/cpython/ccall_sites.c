// SPDX-License-Identifier: MIT
/*
 * The probe sites of --c-calls in CPython 3.12's to 3.14's eval loop:
 * which sites see which calls, and why none is counted twice. (3.13: the
 * same, with CALL_KW a base instruction of the family too, and the frame's
 * instr_ptr stored where 3.12 stores prev_instr; 3.14 likewise.)
 *
 * What is to be seen: exactly the calls sys.setprofile reports as c_call.
 * In 3.12 the profiler is fed by sys.monitoring's CALL event, which only
 * the call instructions raise (INSTRUMENTED_CALL, INSTRUMENTED_CALL_FUNCTION_EX):
 * a C function called from C (map(len, xs), a C library's callback) is no
 * c_call. So the starts are the instructions of the CALL family: CALL and
 * every opcode the binary's _PyOpcode_Deopt maps to it (CALL_NO_KW_BUILTIN_O,
 * _LEN, _ISINSTANCE, _LIST_APPEND, _METHOD_DESCRIPTOR_*, *_PY_*, ...),
 * CALL_FUNCTION_EX, and the two instrumented forms. Profiling turns the
 * specialized forms off in the profiled process; from outside they run, and
 * some never call the C function (LEN calls PyObject_Size, LIST_APPEND
 * appends inline): they are reported all the same, from the callable on the
 * value stack, which is what the profiler would have been given.
 *
 * Start sites. The site of a handler is chosen as for the dispatch
 * strategy (dispatch_sites.c): the first instruction the kernel emulates on
 * its straight-line path, reached by no other instruction's code. There the
 * BPF side (bpf/ccalls.bpf.h) needs the frame (from the thread state), the
 * instruction (frame->prev_instr, which INSTRUCTION_START stores first:
 * checked here on each handler's path to its site) and the value stack
 * pointer, a local of _PyEval_EvalFrameDefault that DWARF gives no location
 * for at these addresses. GCC keeps it in one callee-saved register at
 * every computed-goto target (measured: pyenv 3.12.1, r15): it is found
 * from POP_TOP's handler (its first load is from -8(SP)), and each start
 * site is checked to be reached with that register not written and no
 * store through it since the handler's entry; else refused.
 *
 * End sites. A C call ends when the call instruction of its handler that
 * may call the C function returns: register-indirect calls (the
 * `cfunc(self, args)` of the specialized forms), calls through a
 * PyMethodDef's ml_meth (`call *0x8(%reg)`, the same where GCC kept the
 * def in a register) and calls, through the PLT,
 * of PyObject_Vectorcall (CALL), PyObject_Call (CALL_FUNCTION_EX),
 * PyObject_Size (LEN), PyObject_IsInstance (ISINSTANCE), _PyObject_MakeTpCall;
 * never other memory-indirect calls (the tp_dealloc of an inlined Py_DECREF) nor
 * the specializer or error helpers. Only such calls in code that only the
 * family reaches count; the site is the first emulated instruction of the
 * straight line after the call, which no other instruction's code joins:
 * hit each time that call returns, whether it returned a result or NULL
 * (c_exception): the line runs before the handler tests the result. The
 * family's own code may join that line, after a call of its own (3.12's
 * CALL_FUNCTION_EX: the instrumented path joins the plain one after both
 * have called PyObject_Call): a second end in a frame whose C call has
 * already ended is nothing (below). What must never reach an end site is
 * a path from a start site that has not called the C function yet.
 *
 * Nothing counted twice, nothing ended early. A start site also runs for
 * instructions that call no C function (a Python function, a type): the BPF
 * side reads the callable and decides as the profiler does; an end site hit
 * in a frame with no open C call is nothing. A specialized handler whose
 * guard fails jumps into CALL's handler, possibly before CALL's own start
 * site: the same instruction seen twice; the BPF side keeps each frame's
 * open C call with its instruction's address and ignores a second start of
 * it. A real second run of that instruction in that frame (a loop) comes
 * only after the first call's end (a frame runs nothing while its C call
 * runs; a generator's frame cannot be resumed while it executes). Between a
 * start and the C function's call, the handlers call only the specializer
 * (then dispatch the same instruction again: a second start, ignored),
 * __tls_get_addr and error paths, none of them end sites. Python code a C
 * function calls runs in other frames, whose own C calls are kept apart by
 * their frame.
 *
 * CPython 3.11. A call is two instructions, PRECALL (one cache entry) then
 * CALL, and the profiler is ceval.c's own: CALL's trace_call_function
 * reports a PyCFunction (or PyCMethod) and a method descriptor with a first
 * positional argument (bound to it, as 3.12 does); CALL_FUNCTION_EX's
 * do_call_core the same with the tuple's first item. Profiling turns every
 * specialized form back into PRECALL + CALL, where PRECALL takes a bound
 * method apart (its function and self into the two slots) and CALL calls.
 * From outside the specialized forms run: the ones of PRECALL that call a C
 * function themselves (NO_KW_BUILTIN_O, _FAST, BUILTIN_FAST_WITH_KEYWORDS,
 * the METHOD_DESCRIPTOR_* forms), compute len or isinstance (NO_KW_LEN,
 * NO_KW_ISINSTANCE) or append (NO_KW_LIST_APPEND), then skip CALL; the
 * others (PYFUNC, BOUND_METHOD, the type forms, ADAPTIVE) and every form of
 * CALL (ADAPTIVE, PY_EXACT_ARGS, PY_WITH_DEFAULTS) call no C function or
 * get to CALL's code: their sites are dropped (ccall_prune.c: a handler
 * keeps its site only if it may reach a C call past no other kept site; in
 * every version, so that a Python-to-Python call costs no probe hit). So the family is PRECALL's and CALL's handlers
 * together, with CALL_FUNCTION_EX; the value stack under both is 3.12's
 * (method or NULL, callable or self, args; kwnames are not on it). The two
 * instructions of one call are one call: a start site of PRECALL's family
 * keys its call at the CALL that follows (4 bytes on, cookie
 * TR_CCALL_SITE_PRECALL), CALL's at itself, so a specialized PRECALL whose
 * guard fails (it re-dispatches as PRECALL, then CALL runs) opens the call
 * once, and its CALL's start is that instruction going on. A PRECALL form
 * that calls the C function ends it at its own end site and never runs
 * CALL. (CALL is PRECALL's next code unit but one: the compiler never puts
 * an EXTENDED_ARG before it, past 30 arguments it emits CALL_FUNCTION_EX.
 * Hand-made bytecode that did would have such a call's end counted as
 * missed, and said.) Debian's python3.11 (PGO+LTO, non-PIE, stripped) calls
 * PyObject_Vectorcall and the others directly, not through the PLT: a
 * direct call of an end callee's own address is one too (.dynsym names
 * them); LTO inlines PyObject_Size into NO_KW_LEN: the length slot's
 * `call *%rax` and PyMapping_Size (its fallback) end it. The value stack
 * register is found as in 3.12 (Debian: r13; pyenv 3.11.7: rbx).
 *
 * What the profilers disagree on is asked of the interpreter, not assumed
 * per version (py_opcodes.c): which calls of a bound method (a
 * types.MethodType of a builtin or of a method descriptor, by CALL or by
 * CALL_FUNCTION_EX) give a c_call. 3.11 reports both by CALL, 3.12.1 none,
 * 3.13.0 a builtin's by both (as do 3.12 releases with the fix of CPython
 * gh-122029), 3.14 both by CALL (it takes the method apart before the
 * event). A descriptor given no argument is no
 * c_call anywhere (3.12+ bind it to None, which fails). 3.14 specializes
 * CALL_KW too (CALL_KW_PY, _NON_PY, _BOUND_METHOD), whose opcode then does
 * not say that kwnames lie on top of the stack: sites of CALL_KW's family
 * say so (cookie TR_CCALL_SITE_KW). Not the same as the profiler: a method
 * descriptor called with only keyword arguments (3.11 reports none, we one)
 * or with a first argument of another type (no binding, no c_call; we
 * report one): calls that always raise TypeError.
 *
 * Builds without .symtab or DWARF (strip --strip-all, Debian's): nothing
 * above needs them but list.append's C function (a local symbol), taken
 * from the exported PyList_Type's method table (ccall_syms.c); the handler
 * table and exit analysis are the dispatch strategy's (found from code).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpython/ccall_prune.h"
#include "cpython/ccall_sites.h"
#include "cpython/ccall_internal.h"
#include "cpython/dispatch_internal.h"
#include "tracer.h"

#define EVAL_FUNC "_PyEval_EvalFrameDefault"
#define ML_METH 8	/* PyMethodDef.ml_meth */
#define ERR(fmt, ...) (snprintf(err, errlen, fmt, ##__VA_ARGS__), -ENOTSUP)

/* the functions whose return ends a C call (see the top comment) */
static const char *const end_callees[] = {
	"PyObject_Vectorcall", "PyObject_Call", "PyObject_Size", "PyObject_Length",
	"PyObject_IsInstance", "_PyObject_MakeTpCall", "PyMapping_Size",
};

/* the 64-bit register R (or a part of it) as enum tr_reg, 0 if none of ours */
int tr_reg_of(x86_reg r)
{
	switch (x86_code__gpr(r, NULL)) {
	case 3: return TR_REG_RBX;
	case 5: return TR_REG_RBP;
	case 12: return TR_REG_R12;
	case 13: return TR_REG_R13;
	case 14: return TR_REG_R14;
	case 15: return TR_REG_R15;
	default: return 0;
	}
}

/* the value stack pointer: the base of POP_TOP's first load from -8(reg) */
int stack_reg(const struct code *c, uint64_t pop_top)
{
	cs_insn *in;
	size_t n = disasm_at(c, pop_top, 64, &in);
	int reg = 0;

	for (size_t i = 0; i < n && !reg; i++) {
		const cs_x86 *x = &in[i].detail->x86;

		if (in[i].id != X86_INS_MOV || x->op_count != 2)
			continue;
		if (x->operands[1].type == X86_OP_MEM && x->operands[1].mem.disp == -8 &&
		    x->operands[1].mem.index == X86_REG_INVALID)
			reg = tr_reg_of(x->operands[1].mem.base);
		if (cs_insn_group(c->x.cs, &in[i], X86_GRP_JUMP))
			break;
	}
	if (n)
		cs_free(in, n);
	return reg;
}

/* On [FROM, TO): is prev_instr stored, and SP neither written nor written through? */
static bool start_path_ok(const struct code *c, uint64_t from, uint64_t to, int sp,
			  int prev_instr)
{
	bool stored = false, ok = true;
	cs_insn *in;
	size_t n;

	if (to <= from)
		return false;
	n = disasm_at(c, from, to - from, &in);
	for (size_t i = 0; i < n && ok; i++) {
		const cs_x86 *x = &in[i].detail->x86;
		cs_regs rd, wr;
		uint8_t nrd = 0, nwr = 0;

		if (in[i].id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_MEM) {
			stored |= x->operands[0].mem.disp == prev_instr &&
				  x->operands[1].type == X86_OP_REG;
			ok = tr_reg_of(x->operands[0].mem.base) != sp;
		}
		if (cs_regs_access(c->x.cs, &in[i], rd, &nrd, wr, &nwr) != CS_ERR_OK)
			ok = false;
		for (uint8_t k = 0; k < nwr; k++)
			ok &= tr_reg_of(wr[k]) != sp;
	}
	if (n)
		cs_free(in, n);
	return ok && stored && n > 0;
}

/* the function a direct call of TARGET, a PLT stub ([endbr64] [bnd] jmp
 * *slot(%rip)), reaches: its name into NAME, else false */
bool plt_name(const struct code *c, uint64_t t, char *name, size_t len)
{
	unsigned char b[16];
	const char *sym;
	int32_t disp;
	int k = 0;

	if (elf_file__read_vaddr(c->x.ef, t, b, sizeof(b)) < 0)
		return false;
	if (!memcmp(b, "\xf3\x0f\x1e\xfa", 4))
		k = 4;
	if (b[k] == 0xf2)
		k++;
	if (b[k] != 0xff || b[k + 1] != 0x25)
		return false;
	memcpy(&disp, b + k + 2, 4);
	if (elf_file__slot_symbol(c->x.ef, t + k + 6 + (int64_t)disp, &sym))
		return false;
	snprintf(name, len, "%s", sym);
	return true;
}

#define N_END_CALLEES (sizeof(end_callees) / sizeof(end_callees[0]))

/* where end_callees are defined in the file itself (0: not there): a
 * non-PIE executable (Debian's python3.11) calls them directly, no PLT */
static void end_callee_addrs(struct elf_file *ef, struct cc_callees *d)
{
	d->n = N_END_CALLEES;
	for (size_t e = 0; e < N_END_CALLEES; e++) {
		uint64_t sz;

		d->name[e] = end_callees[e];
		if (elf_file__find_symbol(ef, end_callees[e], &d->addr[e], &sz) ||
		    !elf_file__vaddr_is_exec(ef, d->addr[e]))
			d->addr[e] = 0;
	}
}

/*
 * The kind of result of a register-indirect end call, by who reaches it
 * (ccall_result.c says why): the LEN forms' own code calls a length slot
 * (a Py_ssize_t), the ISINSTANCE forms' an int-returning function, every
 * other member's a C function (a PyObject *). A form's own code is what
 * its entry reaches without entering code the other members reach (its
 * guard's failure jumps into CALL's code: a call there is CALL's). Where a
 * form's own code has no end call at all, its call may be one GCC merged
 * with another member's: a call the form reaches at all is then unknown.
 */
enum { KIND_OBJ = 1, KIND_SSIZE = 2, KIND_INT = 4 };

static int member_kind(const char *name)
{
	return strstr(name, "_LEN") ? KIND_SSIZE : strstr(name, "ISINSTANCE") ? KIND_INT
									    : KIND_OBJ;
}

/* MARK |= BIT on what the entries of F's members of kind KIND reach in the
 * family's code, not entering STOP's marks (NULL: none) */
static void reach_kind(const struct code *c, const struct family *f, int kind,
		       const uint8_t *outside, const uint8_t *stop, uint8_t *mark, uint8_t bit,
		       long *stack)
{
	size_t sp = 0;

	for (int i = 0; i < f->n; i++) {
		long k = find_ins(c, f->entry[i]);

		if (k >= 0 && member_kind(f->name[i]) == kind && !(mark[k] & bit)) {
			mark[k] |= bit;
			stack[sp++] = k;
		}
	}
	while (sp) {
		long i = stack[--sp], next[2];

		successors(c, (size_t)i, &next[0], &next[1]);
		for (int j = 0; j < 2; j++)
			if (next[j] >= 0 && !(mark[next[j]] & bit) && !outside[next[j]] &&
			    !(stop && (stop[next[j]] & KIND_OBJ))) {
				mark[next[j]] |= bit;
				stack[sp++] = next[j];
			}
	}
}

/* KINDS[i]: KIND_* bits of the members whose own code reaches instruction
 * i (KIND_OBJ: any other member's code), and bit 0x10 | KIND << 4 where a
 * form without an end call of its own reaches it at all */
static void region_kinds(const struct code *c, const struct family *f, const uint8_t *outside,
			 const uint8_t *is_end, uint8_t *kinds, long *stack)
{
	static const int forms[] = { KIND_SSIZE, KIND_INT };

	reach_kind(c, f, KIND_OBJ, outside, NULL, kinds, KIND_OBJ, stack);
	for (int k = 0; k < 2; k++) {
		bool own_end = false;

		reach_kind(c, f, forms[k], outside, kinds, kinds, (uint8_t)forms[k], stack);
		for (size_t i = 0; i < c->n && !own_end; i++)
			own_end = is_end[i] && (kinds[i] & forms[k]) && !(kinds[i] & KIND_OBJ);
		if (!own_end)	/* (bits 4-6: reached at all) */
			reach_kind(c, f, forms[k], outside, NULL, kinds, (uint8_t)(forms[k] << 4),
				   stack);
	}
}

/* the result kind REGION_KINDS say for a register-indirect call at I, as
 * ccall_result__merge takes it */
static int64_t region_kind(const uint8_t *kinds, size_t i)
{
	uint8_t k = kinds[i];

	if (k & 0x70)
		return -1;	/* a form whose call was not found in its own code */
	if (k == KIND_SSIZE)
		return TR_CCALL_RES_SSIZE;
	if (k == KIND_INT)
		return TR_CCALL_RES_INT;
	return k == KIND_OBJ ? 0 : -1;
}

/*
 * A hook, not a C function: an inlined Py_DECREF (3.14) calls the
 * runtime's reference tracer through a register, `if (tracer) tracer(op,
 * ...)`: a branch just before the call jumps over it, to the line after
 * it, so the end site there is hit on every deallocation, called or not,
 * and would end an open C call before its function ran (measured on pyenv
 * 3.14.7: 917 C calls of one run ended early there). A C function's call
 * is never skipped into the line its result is read on. So a call at I
 * that a branch among the few instructions before it jumps over, landing
 * between it and its end site S, is no end.
 */
static bool skipped_over(const struct code *c, size_t i, long s)
{
	for (size_t k = i; k-- > 0 && i - k <= 12;) {
		const struct ins *b = &c->v[k];

		if ((b->kind == K_JCC || b->kind == K_JMP) && b->target > c->v[i].addr &&
		    s >= 0 && b->target <= c->v[s].addr)
			return true;
	}
	return false;
}

/* Is the call at index I one whose return ends a C call? (DIRECT: the
 * end callees' own addresses) */
static bool ends_ccall(const struct code *c, size_t i, const struct cc_callees *direct)
{
	cs_insn *in;
	size_t n = disasm_at(c, c->v[i].addr, c->v[i].size, &in);
	bool yes = false;
	char name[128];

	if (n != 1 || !cs_insn_group(c->x.cs, in, X86_GRP_CALL))
		goto out;
	const cs_x86_op *o = &in->detail->x86.operands[0];

	if (o->type == X86_OP_REG)
		yes = true;	/* cfunc(...) */
	else if (o->type == X86_OP_MEM && o->mem.disp == ML_METH && o->mem.index == X86_REG_INVALID)
		yes = true;	/* def->ml_meth(...) */
	else if (o->type == X86_OP_IMM && plt_name(c, (uint64_t)o->imm, name, sizeof(name)))
		for (size_t e = 0; e < sizeof(end_callees) / sizeof(end_callees[0]); e++)
			yes |= !strcmp(name, end_callees[e]);
	else if (o->type == X86_OP_IMM)
		for (int e = 0; e < direct->n; e++)
			yes |= direct->addr[e] && (uint64_t)o->imm == direct->addr[e];
out:
	if (n)
		cs_free(in, n);
	return yes;
}

/*
 * The start site of the handler at E: entry_site's walk (dispatch_sites.c),
 * which also goes on through a call of __tls_get_addr (the interpreter
 * state of LIST_APPEND's guard; single-stepped, 0x66-prefixed): it returns
 * to the next instruction and keeps the callee-saved registers.
 */
static long start_site(const struct code *c, const uint8_t *outside, long e, bool *emulated)
{
	long s = e;
	char name[64];

	for (int hops = 0; hops < 4; hops++) {
		long t = entry_site(c, outside, s, emulated), k = s;

		if (t >= 0 && *emulated)
			return t;
		/* where the walk stopped: a call of __tls_get_addr? then on
		 * from the instruction after it */
		while (k < (long)c->n && c->v[k].kind == K_OTHER && !c->v[k].emulated &&
		       (k == s || !outside[k]))
			k++;
		if (k + 1 >= (long)c->n || c->v[k].kind != K_CALL || (k > s && outside[k]) ||
		    c->v[k + 1].addr != c->v[k].addr + c->v[k].size || outside[k + 1] ||
		    !plt_name(c, c->v[k].target, name, sizeof(name)) ||
		    strcmp(name, "__tls_get_addr"))
			break;
		s = k + 1;
	}
	*emulated = c->v[e].emulated;
	return outside[e] ? -1 : e;
}

/* the end site after the call at I: the straight line's first emulated
 * instruction that no other instruction's code joins; -1 if none. The
 * family's own code may join it: from after another call (the instrumented
 * form's), which is harmless (see the top comment) */
long end_site(const struct code *c, const uint8_t *outside, size_t i, bool *emulated)
{
	long s;

	if (i + 1 >= c->n || c->v[i + 1].addr != c->v[i].addr + c->v[i].size || outside[i + 1])
		return -1;
	s = entry_site(c, outside, (long)i + 1, emulated);
	return s;
}

/* mark what the family's entries reach through code only it reaches */
void reach_family(const struct code *c, const struct family *f, const uint8_t *outside,
			 uint8_t *mark, long *stack)
{
	size_t sp = 0;

	for (int i = 0; i < f->n; i++) {
		long k = find_ins(c, f->entry[i]);
		if (k >= 0 && !mark[k]) {
			mark[k] = 1;
			stack[sp++] = k;
		}
	}
	while (sp) {
		long i = stack[--sp], next[2];

		successors(c, (size_t)i, &next[0], &next[1]);
		for (int j = 0; j < 2; j++)
			if (next[j] >= 0 && !mark[next[j]] && !outside[next[j]]) {
				mark[next[j]] = 1;
				stack[sp++] = next[j];
			}
	}
}

int add_site(struct cc_site *v, int *n, int max, const struct code *c, long s,
		    bool emulated, const char *what, int *n_slow)
{
	for (int k = 0; k < *n; k++)
		if (v[k].vaddr == c->v[s].addr)
			return 0;	/* two paths meet before their site */
	if (*n >= max)
		return -ENOSPC;
	v[*n].vaddr = c->v[s].addr;
	v[*n].emulated = emulated;
	v[*n].list_append = false;
	snprintf(v[*n].what, sizeof(v[*n].what), "%s", what);
	*n_slow += !emulated;
	(*n)++;
	return 0;
}

int add_end_site(struct cc_plan *plan, const struct code *c, size_t call, long s,
		 bool emulated, int64_t region_kind, const struct cc_callees *direct, char *err,
		 size_t errlen)
{
	char what[48];

	if (s < 0)
		return ERR("--c-calls: no probe site after the call at 0x%llx",
			   (unsigned long long)c->v[call].addr);
	snprintf(what, sizeof(what), "after the call at 0x%llx",
		 (unsigned long long)c->v[call].addr);
	if (add_site(plan->ends, &plan->n_ends, CC_MAX_ENDS, c, s, emulated, what, &plan->n_slow))
		return ERR("--c-calls: more than %d end sites", CC_MAX_ENDS);
	for (int k = 0; k < plan->n_ends; k++)	/* (c_exception) */
		if (plan->ends[k].vaddr == c->v[s].addr)
			ccall_result__merge(c, call, (size_t)s, region_kind, direct, &plan->ends[k]);
	return 0;
}

/* Mark the start site at ADDR of the handler NAME (added at index BEFORE
 * if new) as PRECALL's (3.11) or CALL_KW's (3.13+); -1 when sites of two
 * of the families are the same (the stack or the key could not be told) */
static int ccall_sites_precall_mark(struct cc_plan *plan, uint64_t addr, int before,
				    const char *name)
{
	bool pre = !strncmp(name, "PRECALL", 7);
	bool kw = !strncmp(name, "CALL_KW", 7) || !strcmp(name, "INSTRUMENTED_CALL_KW");

	for (int k = 0; k < plan->n_starts; k++)
		if (plan->starts[k].vaddr == addr) {
			if (k == before) {
				plan->starts[k].precall = pre;
				plan->starts[k].kw = kw;
			} else if (plan->starts[k].precall != pre || plan->starts[k].kw != kw) {
				return -1;
			}
		}
	return 0;
}

static int plan_sites(struct code *c, const struct family *f, const unsigned char *deopt_of,
		      const uint64_t *starts, size_t n_starts, int prev_instr, struct cc_plan *plan,
		      char *err, size_t errlen)
{
	uint8_t *outside = malloc(c->n), *mine = calloc(c->n, 1);
	long *stack = malloc(c->n * sizeof(*stack));
	struct cc_callees direct;
	long site_of[FAMILY_MAX];
	uint8_t *is_end = calloc(c->n, 1), *kinds = calloc(c->n, 1);
	int ret = 0;

	(void)deopt_of;
	if (!outside || !mine || !stack || !is_end || !kinds) {
		ret = -ENOMEM;
		goto out;
	}
	ret = reach_outside(c, f, starts, n_starts, outside);
	for (int i = 0; !ret && i < f->n; i++) {
		long e = find_ins(c, f->entry[i]), s;
		bool emulated;

		if (e < 0 || (s = start_site(c, outside, e, &emulated)) < 0) {
			ret = ERR("--c-calls: no probe site in the handler of %s", f->name[i]);
			break;
		}
		if (!start_path_ok(c, c->v[e].addr, c->v[s].addr, plan->sp_reg, prev_instr)) {
			ret = ERR("--c-calls: in the handler of %s, the value stack pointer or the "
				  "instruction cannot be read at the probe site (0x%llx)", f->name[i],
				  (unsigned long long)c->v[s].addr);
			break;
		}
		int before = plan->n_starts;
		site_of[i] = s;
		if (add_site(plan->starts, &plan->n_starts, CC_MAX_STARTS, c, s, emulated,
			     f->name[i], &plan->n_slow))
			ret = ERR("--c-calls: more than %d start sites", CC_MAX_STARTS);
		else if (plan->n_starts > before && strstr(f->name[i], "LIST_APPEND"))
			plan->starts[before].list_append = true;
		if (!ret && ccall_sites_precall_mark(plan, c->v[s].addr, before, f->name[i]))
			ret = ERR("--c-calls: call instructions of two kinds share the probe site "
				  "0x%llx", (unsigned long long)c->v[s].addr);
	}
	if (ret)
		goto out;
	reach_family(c, f, outside, mine, stack);
	end_callee_addrs(c->x.ef, &direct);
	for (size_t i = 0; i < c->n; i++) {
		bool em;

		is_end[i] = mine[i] && ends_ccall(c, i, &direct) &&
			    !skipped_over(c, i, end_site(c, outside, i, &em));
	}
	region_kinds(c, f, outside, is_end, kinds, stack);
	for (size_t i = 0; i < c->n && !ret; i++) {
		bool emulated;

		if (is_end[i])
			ret = add_end_site(plan, c, i, end_site(c, outside, i, &emulated), emulated,
					   region_kind(kinds, i), &direct, err, errlen);
	}
	if (!ret && !plan->n_ends)
		ret = ERR("--c-calls: no call of a C function found in the call instructions' code");
	/* only the handlers that may call a C function (ccall_prune.c) */
	if (!ret)
		ret = ccall_prune__starts(c, f, outside, is_end, site_of, plan);
out:
	free(is_end);
	free(kinds);
	free(outside);
	free(mine);
	free(stack);
	return ret;
}

int ccall_sites__plan(struct elf_file *ef, const char *path, const struct py_opcodes *ops,
		      int prev_instr, struct cc_plan *plan, char *err, size_t errlen)
{
	static const enum py_op bases[] = { PY_OP_CALL, PY_OP_CALL_FUNCTION_EX, PY_OP_CALL_KW,
					    PY_OP_PRECALL };
	static const enum py_op instrumented[] = { PY_OP_INSTRUMENTED_CALL,
						   PY_OP_INSTRUMENTED_CALL_FUNCTION_EX,
						   PY_OP_INSTRUMENTED_CALL_KW };
	uint64_t handlers[256], fv, fsz, starts[257];
	unsigned char deopt[256];
	struct family fam = { .kind = 0 };
	bool ours[256] = { false };
	struct code c = { 0 };
	size_t n_starts = 0;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (ops->num[PY_OP_CALL] < 0 || ops->num[PY_OP_CALL_FUNCTION_EX] < 0 ||
	    ops->num[PY_OP_EXTENDED_ARG] < 0 || ops->num[PY_OP_POP_TOP] < 0)
		return ERR("%s: the interpreter did not give the numbers of its call instructions",
			   path);
	if (elf_file__find_symbol(ef, EVAL_FUNC, &fv, &fsz) || !fsz)
		return ERR("%s: no %s", path, EVAL_FUNC);
	ret = find_table(ef, path, fv, fsz, handlers, err, errlen);
	if (!ret)
		ret = deopt_table(ef, path, ops, deopt, err, errlen);
	if (ret)
		return ret;
	for (int op = 0; op < 256; op++)
		for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
			if (ops->num[bases[b]] >= 0 && deopt[op] == ops->num[bases[b]]) {
				char name[40];

				if (op == ops->num[PY_OP_CALL_NO_KW_LIST_APPEND] ||
				    op == ops->num[PY_OP_CALL_LIST_APPEND] ||
				    op == ops->num[PY_OP_PRECALL_NO_KW_LIST_APPEND])
					snprintf(name, sizeof(name), "%s (LIST_APPEND)",
						 py_opcodes__name(bases[b]));
				else if (op == ops->num[bases[b]])
					snprintf(name, sizeof(name), "%s", py_opcodes__name(bases[b]));
				else
					snprintf(name, sizeof(name), "%s (specialized %d)",
						 py_opcodes__name(bases[b]), op);
				family_add(&fam, handlers[op], name);
				ours[op] = true;
			}
	for (size_t b = 0; b < 3; b++) {
		int op = ops->num[instrumented[b]];
		if (op >= 0) {
			family_add(&fam, handlers[op], py_opcodes__name(instrumented[b]));
			ours[op] = true;
		}
	}
	for (int op = 0; op < 256; op++) {
		if (ours[op] && !in_family(&fam, handlers[op]))
			return ERR("%s: too many call instructions", path);
		if (!ours[op] && in_family(&fam, handlers[op]))
			return ERR("%s: opcode %d shares a handler with a call instruction", path, op);
		starts[n_starts++] = handlers[op];
	}
	starts[n_starts++] = fv;
	for (int op = 0; op < 256; op++)	/* (the attach walk: bpf/ccalls.bpf.h) */
		if (ours[op])
			plan->call_ops[op >> 3] |= 1u << (op & 7);
	if (x86_code__init(&c.x, ef, sizeof(struct ins), classify))
		return ERR("capstone: cannot open an x86-64 disassembler");
	ret = disassemble(&c, fv, fsz);
	if (!ret && disassemble_fragments(&c, fv, fsz, starts, n_starts))
		ret = ERR("%s: a handler of %s lies outside it, in code whose extent the unwind "
			  "tables do not give", path, EVAL_FUNC);
	if (ret)
		goto out;
	x86_code__sort(&c.x);
	plan->sp_reg = stack_reg(&c, handlers[ops->num[PY_OP_POP_TOP]]);
	if (!plan->sp_reg) {
		ret = ERR("--c-calls: %s: the register holding the value stack pointer in %s "
			  "was not found", path, EVAL_FUNC);
		goto out;
	}
	ret = plan_sites(&c, &fam, deopt, starts, n_starts, prev_instr, plan, err, errlen);
out:
	x86_code__free(&c.x);
	return ret;
}
