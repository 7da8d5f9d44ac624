/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * --c-calls on CPython 3.8 to 3.10 (the eval strategy's interpreters):
 * exactly the calls sys.setprofile reports as c_call, each ended where its
 * c_return or c_exception would be. The sites, and why each call is seen
 * once: user/cpython/ccall_sites_310.c. The end program at sites
 * (ccall_end), the maps and the events are those of 3.12+
 * (bpf/ccalls.bpf.h); ccall_eval_ret ends calls where trace_call_function
 * returns.
 *
 * ccall_eval_start runs at a site in the handler of CALL_FUNCTION,
 * CALL_FUNCTION_KW, CALL_METHOD and CALL_FUNCTION_EX, before the handler
 * has called anything. The site's cookie (TR_CCALL_EVAL_COOKIE) says which
 * instruction it is and which register holds the value stack pointer (plus
 * a constant) there. The frame is the thread state's (tstate->frame: the
 * frame this evaluator runs); its f_lasti is the instruction's offset in
 * co_code (bytes in 3.8/3.9, code units in 3.10), or that of its first
 * EXTENDED_ARG prefix: the oparg is read from co_code. Then the callable,
 * where the instruction takes it, decides as ceval.c's call_function /
 * trace_call_function and do_call_core do:
 *   - a PyCFunction (PyCFunction_Type, or 3.9+ PyCMethod_Type);
 *   - a method descriptor (PyMethodDescr_Type) with at least one
 *     positional argument (CALL_FUNCTION_KW: oparg less the keyword names;
 *     CALL_METHOD with a method: its self counts; CALL_FUNCTION_EX: the
 *     argument tuple's or list's length, any other iterable taken as not
 *     empty);
 *   - nothing else (3.8-3.10 report no bound method of a C function).
 * A C call is sent and kept open as in bpf/ccalls.bpf.h (FRAME = F | 1,
 * CODE = the PyMethodDef | 1), under the f_lasti of its instruction.
 */
#ifndef TRACER_CCALLS_EVAL_BPF_H
#define TRACER_CCALLS_EVAL_BPF_H

/* CPython 3.8-3.10 layouts (unchanged across the three) */
#define CO_CODE_38 48		/* PyCodeObject.co_code (a bytes object) */
#define BYTES_SVAL 32		/* PyBytesObject.ob_sval */
#define OP_EXTENDED_ARG_38 144	/* Lib/opcode.py */
#define VAR_SIZE 16		/* PyVarObject.ob_size (tuple, list) */
#define TPFLAGS_TUPLE_SUBCLASS (1UL << 26)

/* the oparg of the instruction at OFF in CODE's co_code, its EXTENDED_ARG
 * prefixes included; false if unreadable */
static __always_inline bool eval_oparg(__u64 code, __u64 off, __u32 *oparg)
{
	__u64 co_code = 0;
	__u8 unit[2];

	if (read_ptr(code + CO_CODE_38, &co_code, NULL) || !co_code)
		return false;
	*oparg = 0;
	for (int k = 0; k < 4; k++) {
		if (user_read(unit, sizeof(unit), co_code + BYTES_SVAL + off + 2 * k, NULL))
			return false;
		*oparg = *oparg << 8 | unit[1];
		if (unit[0] != OP_EXTENDED_ARG_38)
			return true;
	}
	return false;
}

/* a method descriptor with a self: its identity */
static __always_inline bool descr_id(__u64 descr, struct ccall_id *id)
{
	if (read_ptr(descr + MD_METHOD, &id->def, NULL) || !id->def ||
	    read_ptr(descr + MD_TYPE, &id->owner, NULL))
		return false;
	id->owner_is_type = true;
	return true;
}

/* Is the instruction of kind KIND, with OPARG and the value stack at SP, a
 * C call to sys.setprofile? Fills ID. */
static __always_inline bool ccall_eval_decide(const struct tr_ccall_cfg *cc, __u64 kind,
					      __u32 oparg, __u64 sp, struct ccall_id *id)
{
	__u64 callable = 0, t, seq = 0, n = 0, flags = 0;
	__s64 nargs;

	if (oparg > 0xffff)
		return false;
	if (kind == TR_CCALL_EVAL_EX) {
		__u64 kw = oparg & 1;

		if (read_ptr(sp - 8 * (2 + kw), &callable, NULL) ||
		    read_ptr(sp - 8 * (1 + kw), &seq, NULL))
			return false;
		nargs = 1;	/* another iterable: see the top comment */
		read_ptr(ob_type(seq) + TP_FLAGS, &flags, NULL);
		if ((flags & (TPFLAGS_TUPLE_SUBCLASS | TPFLAGS_LIST_SUBCLASS)) &&
		    !read_ptr(seq + VAR_SIZE, &n, NULL))
			nargs = n;
	} else if (kind == TR_CCALL_EVAL_METHOD) {
		__u64 meth = 0;

		if (read_ptr(sp - 8 * (2 + (__u64)oparg), &meth, NULL))
			return false;
		if (meth) {
			callable = meth;
			nargs = oparg + 1;
		} else if (read_ptr(sp - 8 * (1 + (__u64)oparg), &callable, NULL)) {
			return false;
		} else {
			nargs = oparg;
		}
	} else if (kind == TR_CCALL_EVAL_KW) {
		__u64 names = 0;

		if (read_ptr(sp - 8, &names, NULL) || !names ||
		    read_ptr(names + VAR_SIZE, &n, NULL) ||
		    read_ptr(sp - 8 * (2 + (__u64)oparg), &callable, NULL))
			return false;
		nargs = (__s64)oparg - (__s64)n;
	} else {
		if (read_ptr(sp - 8 * (1 + (__u64)oparg), &callable, NULL))
			return false;
		nargs = oparg;
	}
	t = ob_type(callable);
	if (!t)
		return false;
	if (is_cfunction(cc, t))
		return cfunction_id(cc, callable, id);
	if (t == cc->method_descr_type && nargs > 0)
		return descr_id(callable, id);
	return false;
}

SEC("uprobe")
int ccall_eval_start(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, 0, PT_REGS_IP(ctx));
	__u64 cookie = bpf_get_attach_cookie(ctx), kind = TR_CCALL_EVAL_KIND(cookie);
	__u32 pid = pid_tgid >> 32, oparg;
	struct ccall_val *open, val = {};
	struct tr_ccall_cfg *cc;
	struct ccall_id id = {};
	struct thread_state *ts;
	__u64 frame, code = 0, sp;
	__s32 lasti = -1;

	if (!cfg || !(cc = bpf_map_lookup_elem(&ccall_cfgs, &pid)))
		return 0;
	frame = running_frame(cfg);
	if (!frame || cfg->layout.frame_lasti < 0 ||
	    user_read(&lasti, sizeof(lasti), frame + cfg->layout.frame_lasti, NULL) || lasti < 0 ||
	    read_ptr(frame + cfg->layout.frame_code, &code, NULL) ||
	    !eval_oparg(code, (__u64)lasti * (cookie & TR_CCALL_EVAL_UNITS ? 2 : 1), &oparg)) {
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	sp = ccall_reg(ctx, TR_CCALL_EVAL_REG(cookie)) - TR_CCALL_EVAL_DELTA(cookie);
	if (!ccall_eval_decide(cc, kind, oparg, sp, &id))
		return 0;
	struct ccall_key key = { .frame = frame, .pid = pid, .instance = cfg->instance };

	/* its frames since before the attach first (tracer.bpf.c) */
	ts = first_seen(cfg, pid_tgid, frame);
	if (ts && ts->seen == THREAD_SEEN_BY_WALK)
		ts->seen = THREAD_SEEN;
	open = bpf_map_lookup_elem(&ccall_open, &key);
	if (open) {
		/* a frame runs nothing while its C call runs: the open call's
		 * end was missed. Ended here, an upper bound, counted */
		__sync_fetch_and_add(&ccall_ends_lost, 1);
		ccall_return(pid_tgid, cfg->instance, frame, open->def, TR_RET_END_INFERRED);
		bpf_map_delete_elem(&ccall_open, &key);
	}
	if (ensure_cfunc(cfg, pid_tgid, &id) < 0)
		return 0;
	val.instr = (__u64)lasti;
	val.def = id.def;
	if (bpf_map_update_elem(&ccall_open, &key, &val, BPF_ANY)) {
		drop(TR_DROP_MAP_FULL);	/* its end could not be matched: not sent */
		return 0;
	}
	ccall_event(TR_EV_CALL, pid_tgid, cfg->instance, frame, id.def);
	return 0;
}

/*
 * The uretprobe of a function whose return ends a C call where no site
 * after its calls is both cheap and hit once (3.9/3.10's
 * trace_call_function: user/cpython/ccall_sites_310.c): as ccall_end, and
 * like every uretprobe of a session through off_window_return, so that
 * the count of returns armed before the switch stays true (tracer.bpf.c).
 */
SEC("uretprobe")
int ccall_eval_ret(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg;
	__u64 frame, def;

	if (off_window_return() || !session_live() || !(cfg = proc_cfg_at(pid_tgid, 0, 0)) ||
	    !ccall_take(cfg, pid_tgid, &frame, &def))
		return 0;
	/* trace_call_function's result: NULL, the call raised */
	ccall_return(pid_tgid, cfg->instance, frame, def,
		     !PT_REGS_RC(ctx) ? TR_RET_C_EXCEPTION : 0);
	return 0;
}

#endif /* TRACER_CCALLS_EVAL_BPF_H */
