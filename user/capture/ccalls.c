// SPDX-License-Identifier: MIT
/*
 * --c-calls for one target (-p, launch): whether its interpreter and
 * strategy can have them, the sites (user/cpython/ccall_sites.c), the BPF
 * side's configuration (addresses of the types that make a callable a C
 * function to sys.setprofile, in the process: ELF vaddr + load bias).
 * The programs (bpf/ccalls.bpf.h) are loaded and attached only with the
 * option (user/capture/probes.c): without it nothing changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/ccalls.h"
#include "capture/ccalls_eval.h"
#include "capture/target.h"
#include "cpython/ccall_syms.h"
#include "cpython/py_opcodes.h"
#include "os/elf_file.h"
#include "tracer.skel.h"
#include "model/warnings.h"

#define ERR(fmt, ...) (snprintf(err, errlen, fmt, ##__VA_ARGS__), -ENOTSUP)

static int sym(struct elf_file *ef, const struct target *t, const char *name, tr_u64 *out)
{
	uint64_t v, sz;

	if (elf_file__find_symbol(ef, name, &v, &sz))
		return -ENOENT;
	*out = v + t->load_bias;
	return 0;
}

int ccalls__site_offsets(struct elf_file *ef, struct ccalls *cc, char *err, size_t errlen)
{
	int ret = 0;

	for (int i = 0; !ret && i < cc->plan.n_starts; i++)
		if (elf_file__vaddr_to_offset(ef, cc->plan.starts[i].vaddr, &cc->start_off[i]))
			ret = ERR("--c-calls: site 0x%llx is not in the file",
				  (unsigned long long)cc->plan.starts[i].vaddr);
	for (int i = 0; !ret && i < cc->plan.n_ends; i++)
		if (elf_file__vaddr_to_offset(ef, cc->plan.ends[i].vaddr, &cc->end_off[i]))
			ret = ERR("--c-calls: site 0x%llx is not in the file",
				  (unsigned long long)cc->plan.ends[i].vaddr);
	return ret;
}

int ccalls__plan(struct target *t, char *err, size_t errlen)
{
	static const char *const types[] = { "PyCFunction_Type", "PyCMethod_Type",
					     "PyMethodDescr_Type", "PyMethod_Type",
					     "PyModule_Type" };
	unsigned minor = (t->bin.version_hex >> 16) & 0xff;
	/* 3.8-3.10: user/cpython/ccall_sites_310.c */
	bool eval = t->cfg.strategy == TR_STRATEGY_EVAL && minor >= 8 && minor <= 10;
	struct ccalls *cc;
	struct elf_file *ef;
	struct py_opcodes ops;
	tr_u64 *addr[5];
	uint64_t append = 0;
	int ret;

	if (eval && !t->calls_inside)
		return ccalls__plan_eval(t, err, errlen);
	if (t->cfg.strategy != TR_STRATEGY_DISPATCH || minor < 11 || minor > 14 || t->calls_inside)
		return ERR("--c-calls: PID %d runs CPython 3.%u with the %s strategy, where calls "
			   "of C functions are not traced (supported: %s): nothing was traced",
			   t->pid, minor, t->cfg.strategy == TR_STRATEGY_USDT ? "usdt"
					  : t->cfg.strategy == TR_STRATEGY_EVAL ? "eval" : "dispatch",
			   CCALLS_SUPPORTED);
	if (!t->creds_known)
		return ERR("--c-calls: the credentials of PID %d are unknown: its interpreter "
			   "cannot be asked for its opcode numbers", t->pid);
	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return -ENOMEM;
	ef = elf_file__open(t->open_path);
	if (!ef) {
		free(cc);
		return ERR("--c-calls: cannot open %s", t->file);
	}
	ret = py_opcodes__query(t->pid, &t->creds, &ops, err, errlen);
	if (!ret && ops.profile_bound < 0)
		ret = ERR("--c-calls: %s did not say which calls of bound methods its profiler "
			  "reports (asked with -I -S)", t->file);
	if (!ret)
		ret = ccall_sites__plan(ef, t->file, &ops, t->cfg.layout.frame_instr, &cc->plan,
					err, errlen);
	addr[0] = &cc->cfg.cfunction_type;
	addr[1] = &cc->cfg.cmethod_type;
	addr[2] = &cc->cfg.method_descr_type;
	addr[3] = &cc->cfg.method_type;
	addr[4] = &cc->cfg.module_type;
	for (int i = 0; !ret && i < 5; i++)
		if (sym(ef, t, types[i], addr[i]))
			ret = ERR("--c-calls: %s has no symbol %s (supported: %s)", t->file, types[i],
				  CCALLS_SUPPORTED);
	/* (a local symbol: from PyList_Type's methods, stripped or not) */
	if (!ret && ccall_syms__list_append(ef, &append))
		ret = ERR("--c-calls: list.append's C function was not found in PyList_Type's "
			  "methods in %s", t->file);
	cc->cfg.list_append = append + t->load_bias;
	if (!ret)
		ret = ccalls__site_offsets(ef, cc, err, errlen);
	elf_file__close(ef);
	if (ret) {
		free(cc);
		return ret;
	}
	cc->cfg.sp_reg = cc->plan.sp_reg;
	cc->cfg.op_call_ex = ops.num[PY_OP_CALL_FUNCTION_EX];
	cc->cfg.op_call_ex_instr = ops.num[PY_OP_INSTRUMENTED_CALL_FUNCTION_EX] > 0
				   ? ops.num[PY_OP_INSTRUMENTED_CALL_FUNCTION_EX] : 0;
	cc->cfg.op_extended_arg = ops.num[PY_OP_EXTENDED_ARG];
	cc->cfg.op_call_kw = ops.num[PY_OP_CALL_KW] > 0 ? ops.num[PY_OP_CALL_KW] : 0;
	cc->cfg.op_call_kw_instr = ops.num[PY_OP_INSTRUMENTED_CALL_KW] > 0
				   ? ops.num[PY_OP_INSTRUMENTED_CALL_KW] : 0;
	cc->cfg.self_after = minor >= 13;
	cc->cfg.ex_kwargs_slot = minor >= 14;
	cc->cfg.ref_tag_bits = minor >= 14 ? 3 : 0;
	cc->cfg.bound_reported = (tr_u8)ops.profile_bound;
	cc->cfg.op_extended_arg_quick = ops.num[PY_OP_EXTENDED_ARG_QUICK] > 0
					? ops.num[PY_OP_EXTENDED_ARG_QUICK] : 0;
	memcpy(cc->cfg.call_ops, cc->plan.call_ops, sizeof(cc->cfg.call_ops));
	cc->cfg.bias = t->load_bias;	/* (an exec followed moves them: ccall_cfg_of) */
	cc->cfg.instance = t->cfg.instance;
	t->ccalls = cc;
	return 0;
}

void ccalls__free(struct target *t)
{
	free(t->ccalls);
	t->ccalls = NULL;
}

void ccalls__say(const struct target *t)
{
	const struct cc_plan *p = t->ccalls ? &t->ccalls->plan : NULL;

	if (!p)
		return;
	if (t->ccalls->eval) {
		ccalls__say_eval(t);
		return;
	}
	/* (measured by `make bench`, tools/bench/ccallbench.py: per C call
	 * against a traced Python call in the same runs) */
	fprintf(stderr, "tracer: --c-calls: %d call-instruction sites, %d C-call end sites (%d "
		"single-stepped): each C call costs two probe hits, about what a traced Python "
		"call costs; every other call instruction run one\n", p->n_starts, p->n_ends,
		p->n_slow);
}

void ccalls__end(const struct target *t, struct tracer_bpf *skel, struct in_end *end)
{
	uint64_t lost = skel->bss->ccall_ends_lost, unknown = skel->bss->ccall_exc_unknown;
	uint64_t in_call = skel->bss->ccall_walk_in_call;

	if (t->ccalls && lost)
		warnings__add(end->warnings, &end->n_warnings,
			      "--c-calls: the end of %llu C call(s) was not seen: each was ended at "
			      "the next call instruction of its frame (a later time than its real "
			      "end)", (unsigned long long)lost);
	if (t->ccalls && in_call)
		warnings__add(end->warnings, &end->n_warnings,
			      "--c-calls: %llu thread(s) were running a call instruction when the "
			      "tracer attached (blocked in time.sleep, select, a socket's recv...): a C "
			      "call begun before the attach is not shown (not read at the attach), its "
			      "time stays its caller's", (unsigned long long)in_call);
	if (t->ccalls && unknown)
		warnings__add(end->warnings, &end->n_warnings,
			      "--c-calls: %llu C call(s) ended where whether they raised cannot be "
			      "told: none of them is flagged c_exception", (unsigned long long)unknown);
}
