/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The dispatch strategy's programs. Included once, by bpf/tracer.bpf.c,
 * after the shared helpers and the eval strategy (evaluator_caller). */
#ifndef TRACER_DISPATCH_BPF_H
#define TRACER_DISPATCH_BPF_H
/*
 * Uprobes inside _PyEval_EvalFrameDefault, at sites user/cpython/dispatch_sites.c
 * chose in the handlers of RESUME (a frame starts or resumes), of
 * RETURN_VALUE/RETURN_CONST/YIELD_VALUE and at the exit_unwind label (a
 * frame exits). Each site comes before the handler changes the current
 * frame, so the frame is the one the thread state says is executing. The
 * thread state comes from a word that always holds the running thread's
 * (3.11: _PyRuntime.gilstate.tstate_current; 3.12+: the main interpreter's
 * GIL's last_holder): code runs only with the GIL held. Its thread_id
 * (pthread_self(), the FS base on x86-64) is checked against the task's, so
 * another interpreter's thread is counted, never mistaken for this one.
 */
__noinline __u64 running_frame(struct tr_proc_cfg *cfg)
{
	const struct tr_py_layout *L;
	__u64 tstate = 0, frame;
	bool foreign;

	if (!cfg)
		return 0;
	L = &cfg->layout;
	if (!cfg->tstate_ptr_addr || read_ptr(cfg->tstate_ptr_addr, &tstate, NULL) || !tstate) {
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	frame = frame_of_own_tstate(L, tstate, bpf_get_current_task_btf()->thread.fsbase,
				    &foreign);
	if (foreign)
		drop(TR_DROP_FOREIGN_TSTATE);
	return frame;
}

/* a probe site: the executing frame starts (STARTS; its call event flagged
 * FLAGS) or exits (its return event flagged FLAGS) */
static __always_inline int dispatch_site(bool starts, __u64 cookie, __u64 ip, __u8 flags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, cookie, starts ? ip : 0);
	__u64 frame;

	if (!cfg)
		return 0;
	frame = running_frame(cfg);
	if (!frame)
		return 0;
	return starts ? frame_starts(cfg, pid_tgid, frame, flags, 0)
		      : frame_exits(cfg, pid_tgid, frame, flags);
}

SEC("uprobe")
int dispatch_call(struct pt_regs *ctx)
{
	return dispatch_site(true, UPROBE_COOKIE(ctx), PT_REGS_IP(ctx), 0);
}

/* the branch of the evaluator only gen.throw()/close() take
 * (user/cpython/throw_site.c): the frame is pushed, so it is the current
 * one, as at a RESUME */
SEC("uprobe")
int dispatch_throw(struct pt_regs *ctx)
{
	return dispatch_site(true, UPROBE_COOKIE(ctx), PT_REGS_IP(ctx), TR_CALL_THROW);
}

/* register NUM (x86 encoding: rax 0 ... r15 15) at the probe. (Copied
 * into an array: a switch of ctx loads becomes one load at a computed
 * offset, which the verifier refuses.) */
static __always_inline __u64 reg_of(const struct pt_regs *ctx, __u32 num)
{
	__u64 r[16] = { ctx->ax, ctx->cx, ctx->dx, ctx->bx, ctx->sp, ctx->bp, ctx->si, ctx->di,
			ctx->r8, ctx->r9, ctx->r10, ctx->r11, ctx->r12, ctx->r13, ctx->r14,
			ctx->r15 };

	return r[num & 15];
}

/*
 * An exit site after the handler made the caller current (its cookie says
 * so, user/cpython/exit_reg.c): the exiting frame is in a register, and the
 * thread state's current frame is the one it returns to. The analysis that
 * chose the register is checked on every hit: the frame's link must be that
 * current frame (or NULL where the yield cleared it already; or the frame
 * itself is still current). A mismatch is an event lost, counted.
 */
static __always_inline int dispatch_exit_reg(struct pt_regs *ctx, __u64 cookie, __u8 rflags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, system_wide ? cookie : 0, 0);
	__u64 cur, frame, code, back;

	if (!cfg)
		return 0;
	cur = running_frame(cfg);
	if (!cur)
		return 0;
	frame = reg_of(ctx, cookie);
	if (read_code_back(cfg, frame, &code, &back) || !code) {
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	if (cookie & TR_DS_LINK_CLEARED) {
		if (back) {
			drop(TR_DROP_READ_FAIL);
			return 0;
		}
		back = cur;
	} else if (back != cur && frame != cur) {
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	return frame_exits_to(cfg, pid_tgid, frame, code, back, rflags);
}

SEC("uprobe")
int dispatch_return(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	/* a site the kernel single-steps: said, for its cost (user/analysis/probe_subtract.c) */
	__u8 rflags = cookie & TR_DS_SLOW ? TR_RET_SLOW_SITE : 0;

	if (cookie & TR_DS_REG)
		return dispatch_exit_reg(ctx, cookie, rflags);
	return dispatch_site(false, system_wide ? cookie : 0, 0, rflags);
}

/*
 * gen.throw()/close() resume a generator without running its RESUME: the
 * evaluator is entered with throwflag set and goes straight to the
 * exception handling (sys.setprofile reports a call there). Where the
 * branch that tests throwflag was not found (dispatch_throw), a uprobe on
 * the function's entry sees the arguments where the ABI puts them.
 */
SEC("uprobe")
int eval_throw(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 tstate = PT_REGS_PARM1(ctx), frame = PT_REGS_PARM2(ctx);
	struct tr_proc_cfg *cfg;
	__u64 code, parent;

	if (!PT_REGS_PARM3(ctx))
		return 0;
	cfg = proc_cfg_at(pid_tgid, UPROBE_COOKIE(ctx), PT_REGS_IP(ctx));
	if (!cfg)
		return 0;
	parent = evaluator_caller(cfg, frame, tstate, &code);
	return emit_call(cfg, pid_tgid, frame, code, parent, TR_CALL_THROW, false);
}
#endif
