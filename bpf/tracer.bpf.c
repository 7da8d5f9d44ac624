// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Python call/return events from CPython interpreters, through a ring buffer.
 *
 * Two probe strategies feed the same events (see include/tracer.h):
 *
 *  - USDT (builds with SystemTap probes, e.g. Debian's python3.11):
 *    python:function__entry and python:function__return. The probes pass
 *    strings, not the frame, so the frame is read from the thread state:
 *    the thread hitting the probe holds the GIL, hence it is the thread
 *    _PyRuntime.gilstate.tstate_current points to. On 3.11 the entry probe
 *    only fires when the `line` probe's semaphore is raised too (CPython
 *    issue 98894): userspace attaches usdt_line, which does nothing, just to
 *    raise it. Every return fires a probe (no uretprobe), so returns are
 *    exact at any depth and frames running before attach return visibly.
 *
 *  - EVAL (builds without USDT): a uprobe on _PyEval_EvalFrameDefault gets
 *    the frame as an argument; a uretprobe sees the return. The kernel arms
 *    at most 64 pending uretprobes per task (MAX_URETPROBE_DEPTH): deeper
 *    calls get no return probe. The entry program reads the task's pending
 *    count (current->utask->depth) before the kernel decides, and flags such
 *    calls TR_CALL_RET_UNPROBED, so userspace knows which returns it will
 *    not see and infers them from the frame chain instead (user/analysis/analyzer.c).
 *
 * Function identity: each event carries the code object's address. A code
 * object can be freed and its address reused. Where the build has the
 * symbol code_dealloc, a uprobe there removes the freed object's entry from
 * code_cache, so a cached address is known to still be the same object.
 * Elsewhere every event compares the code object's identity fields (name,
 * qualname, filename pointers and first line) with what was last sent for
 * that address. Either way a TR_EV_CODE with the strings, read here while
 * the object is certainly alive, is sent before the first event of every
 * new identity. Userspace resolves each event with the latest TR_EV_CODE of
 * its address, in stream order, so a reported identity is never stale.
 *
 * Every event that cannot be delivered is counted in `drops`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "tracer.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* the kernel's MAX_URETPROBE_DEPTH (set by userspace before load) */
const volatile __u32 uretprobe_max_depth = 64;
/* a coverage bootstrap may run in the target (launch mode with coverage):
 * eval_return then checks for hidden frames (a `procs` lookup per return) */
const volatile bool coverage_hooks = false;
/* --async-tasks (bpf/asyncio.bpf.h): without it, its code is pruned by the
 * verifier (nothing to verify, nothing run) */
const volatile bool async_tasks = false;
/* line coverage through the USDT `line` probe is wanted (else usdt_line,
 * attached on 3.11 for the entry probe's sake, returns at once) */
const volatile bool usdt_lines = false;

#include "ringbuf.bpf.h"
#include "pyobj.bpf.h"
#include "coverage.bpf.h"
#include "sample.bpf.h"
#include "procs.bpf.h"
#include "jit.bpf.h"
#include "asyncio.bpf.h"

/* the BPF cookie of the attachment: its file under -a (bpf/procs.bpf.h) */
#define UPROBE_COOKIE(ctx) (system_wide ? bpf_get_attach_cookie(ctx) : 0)
#define USDT_COOKIE(ctx) (system_wide ? bpf_usdt_cookie(ctx) : 0)

/* Send the call of FRAME. GEN_CHECK: flag it when it only creates a
 * generator (entries of the evaluator, not frames found by a walk). TASK:
 * whose memory (see user_read): NULL in the probes, the walked thread in
 * the attach walk (bpf/attach_walk.bpf.h, PREATTACH frames only); then
 * TASK_GLOBAL: its code identities through the global ensure_code_task
 * (Linux 6.8+), else inlined. */
static __always_inline int emit_frame_of(struct tr_proc_cfg *cfg, __u64 pid_tgid,
					 __u64 frame, __u64 code, __u64 parent, __u8 flags,
					 bool gen_check, struct task_struct *task,
					 bool task_global)
{
	struct tr_ev_call *e;
	__s32 co_flags = 0;
	int known;

	if (!frame || !code) {
		drop(TR_DROP_READ_FAIL);
		return -1;
	}
	if (task && task_global)
		known = ensure_code_task(cfg, pid_tgid, code, &co_flags, task);
	else
		known = ensure_code(cfg, pid_tgid, code, &co_flags, task);
	if (known < 0)
		return -1;
	/* a function of the coverage bootstrap: hidden with all it calls */
	if (co_flags & CO_TRACER_HIDDEN) {
		struct thread_state *ts;

		if (!(flags & (TR_CALL_RET_UNPROBED | TR_CALL_PREATTACH)) &&
		    (ts = thread_state(true))) {
			ts->hide_depth = 1;
			ts->hide_top = frame;
		}
		return 0;
	}
	if (gen_check && creates_generator(&cfg->layout, frame, code, co_flags))
		flags |= TR_CALL_GEN_CREATE;
	/* --async-tasks: the Task that steps a coroutine, sent before it */
	if (async_tasks && !task && !(flags & (TR_CALL_GEN_CREATE | TR_CALL_PREATTACH)))
		async_task_of(cfg, pid_tgid, frame, co_flags);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return -1;
	}
	fill_hdr(&e->hdr, TR_EV_CALL, sizeof(*e), pid_tgid, cfg->instance);
	e->hdr.flags = flags;
	e->frame = frame;
	e->code = code;
	e->parent = parent;
	submit(e, sizeof(*e));
	return 0;
}

static __always_inline int emit_frame(struct tr_proc_cfg *cfg, __u64 pid_tgid,
				      __u64 frame, __u64 code, __u64 parent, __u8 flags,
				      bool gen_check)
{
	return emit_frame_of(cfg, pid_tgid, frame, code, parent, flags, gen_check, NULL,
			     false);
}

/*
 * The Python caller of a frame whose f_back/previous is P: P past C-stack
 * entry frames (skip_entry_frames) and, 3.13+, past the _Py_InitCleanup
 * shim: an __init__ run by CALL_ALLOC_AND_ENTER_INIT is called from that
 * shim frame, which is no call of its own (its exits are dropped), so its
 * caller is the frame under the shim. Otherwise the greenlet pairing
 * (user/analysis/pystacks.c) would take the shim, on no stack, for a
 * greenlet resumed since the attach.
 */
__noinline __u64 python_caller(const struct tr_proc_cfg *cfg, __u64 p)
{
	const struct tr_py_layout *L;
	__u64 code = 0, below = 0;
	__u8 owner;

	if (!cfg)
		return 0;
	L = &cfg->layout;
	if (!frame_head_fits(L)) {
		p = skip_entry_frames(L, p);
		if (cfg->shim_code && p && !read_code_back(cfg, p, &code, &below) &&
		    code == cfg->shim_code)
			p = skip_entry_frames(L, below);
		return p;
	}
	/* the same, with one read of each frame looked at instead of two
	 * (its owner, then its code for the shim check): as
	 * skip_entry_frames, at most two entry frames are skipped, and the
	 * frame then reached is taken as it is */
#pragma unroll
	for (int i = 0; i < 3; i++) {
		if (!p || read_frame_head(L, p, &code, &below, &owner))
			return p;
		if (i == 2 || owner < L->owner_cstack)
			break;
		p = below;
	}
	if (cfg->shim_code && code == cfg->shim_code)
		p = skip_entry_frames(L, below);
	return p;
}

/*
 * Frames already running when a thread is first seen. The first event of a
 * thread (per task storage) walks the frame chain from START outwards and
 * sends each frame as a TR_CALL_PREATTACH call, innermost first; userspace
 * puts them under its shadow stack. They are alive now (they are the
 * thread's callers), so their identity is read safely here. With the EVAL
 * strategy their returns have no uretprobe: they are flagged unprobed.
 */
struct walk_ctx {
	__u64 pid_tgid;
	__u64 frame;
	__u8 flags;
};

static long walk_one(__u32 i, void *data)
{
	struct walk_ctx *w = data;
	__u32 pid = w->pid_tgid >> 32;
	struct tr_proc_cfg *cfg = bpf_map_lookup_elem(&procs, &pid);

	__u64 code, parent;

	if (!cfg || !w->frame)
		return 1;
	read_code_back(cfg, w->frame, &code, &parent);
	parent = python_caller(cfg, parent);
	/* an unreadable frame ends the walk (counted by emit_frame) */
	if (emit_frame(cfg, w->pid_tgid, w->frame, code, parent, w->flags, false) ||
	    parent == w->frame)
		return 1;
	w->frame = parent;
	return 0;
}

/* the thread's state in attach mode (walk_running), NULL otherwise */
static __always_inline struct thread_state *first_seen(struct tr_proc_cfg *cfg, __u64 pid_tgid,
						       __u64 start)
{
	struct walk_ctx w = { .pid_tgid = pid_tgid, .frame = start, .flags = TR_CALL_PREATTACH };
	struct thread_state *ts;

	if (!cfg->walk_running)
		return NULL;
	ts = thread_state(true);
	/* claimed once, by the thread's first event or by the attach walk
	 * (bpf/attach_walk.bpf.h), whichever comes first */
	if (!ts || ts->seen || __sync_val_compare_and_swap(&ts->seen, 0, THREAD_SEEN))
		return ts;
	if (cfg->strategy == TR_STRATEGY_EVAL)
		w.flags |= TR_CALL_RET_UNPROBED;
	bpf_loop(TR_PREATTACH_MAX, walk_one, &w, 0);
	return ts;
}

/* FRAME (running CODE) starts or resumes, called from PARENT */
static __always_inline int emit_call(struct tr_proc_cfg *cfg, __u64 pid_tgid,
				     __u64 frame, __u64 code, __u64 parent, __u8 flags,
				     bool gen_check)
{
	if (hidden_call(cfg, frame, !(flags & TR_CALL_RET_UNPROBED)))
		return 0;
	struct thread_state *ts = frame ? first_seen(cfg, pid_tgid, parent) : NULL;

	if (ts && ts->seen == THREAD_SEEN_BY_WALK) {
		/* its first event since the attach walk sent its frames: the
		 * frame on top (ts->top) may be one pushed just before the walk
		 * read the chain, whose call this is (bpf/attach_walk.bpf.h) */
		ts->seen = THREAD_SEEN;
		if (frame == ts->top)
			return 0;
	}
	if (ts) {
		/* (a call of the frame on top: one call seen twice, a RESUME
		 * run again: user/cpython/dispatch_sites.c; a throw's parent
		 * may be a generator that never ran: TR_CALL_THROW) */
		if (ts->top && parent != ts->top && frame != ts->top && !(flags & TR_CALL_THROW))
			ts->switched = 1;
		ts->top = frame;
	}
	emit_frame(cfg, pid_tgid, frame, code, parent, flags, gen_check);
	return 0;
}

/* FLAGS: TR_RET_SLOW_SITE (include/tracer.h), or 0 */
static __always_inline int emit_return(__u64 pid_tgid, __u32 instance, __u64 frame, __u64 code,
				       __u8 flags)
{
	struct tr_ev_return *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&e->hdr, TR_EV_RETURN, sizeof(*e), pid_tgid, instance);
	e->hdr.flags = flags;
	e->frame = frame;
	e->code = code;
	submit(e, sizeof(*e));
	return 0;
}

/* ---- USDT strategy --------------------------------------------------- */

/* The frame the current thread executes, through the thread state. */
static __always_inline __u64 current_frame(struct tr_proc_cfg *cfg)
{
	__u64 tstate = 0;

	if (!cfg->tstate_ptr_addr || read_ptr(cfg->tstate_ptr_addr, &tstate, NULL))
		return 0;
	return frame_of_tstate(&cfg->layout, tstate, NULL);
}

/* Does frame P rest at a yield (its instruction is YIELD_VALUE, OP)? A
 * caller that does is a generator suspended there, made current only to
 * hand a gen.throw() on to the one it delegates to (3.11's _gen_throw) */
static __always_inline bool rests_at_yield(const struct tr_proc_cfg *cfg, __u64 p, __u8 op)
{
	__u64 instr = 0;
	__u8 at = 0;

	if (!p || cfg->layout.frame_instr < 0 ||
	    read_ptr(p + cfg->layout.frame_instr, &instr, NULL) || !instr ||
	    user_read(&at, 1, instr, NULL))
		return false;
	return at == op;
}

/* FRAME starts or resumes (it is the frame the thread is executing);
 * FLAGS: TR_CALL_THROW or 0; YIELD_OP: a caller resting at this opcode
 * makes it TR_CALL_THROW (0: not checked) */
static __always_inline int frame_starts(struct tr_proc_cfg *cfg, __u64 pid_tgid,
					__u64 frame, __u8 flags, __u8 yield_op)
{
	__u64 code, parent;

	read_code_back(cfg, frame, &code, &parent);
	if (yield_op && rests_at_yield(cfg, parent, yield_op))
		flags |= TR_CALL_THROW;
	return emit_call(cfg, pid_tgid, frame, code,
			 python_caller(cfg, parent), flags, false);
}

/* FRAME returns, yields or unwinds (it is still the executing frame) */
/* FRAME, running CODE, exits; BACK is the frame it returns to */
static __always_inline int frame_exits_to(struct tr_proc_cfg *cfg, __u64 pid_tgid,
					  __u64 frame, __u64 code, __u64 back, __u8 flags)
{
	if (code == cfg->shim_code) {
		/* the shim under an __init__ exits (no event): the frame under
		 * it runs next. Set here, on this rare exit, rather than by a
		 * read of every exiting frame's caller */
		struct thread_state *st = thread_state(false);

		if (st && st->top == frame)
			st->top = skip_entry_frames(&cfg->layout, back);
		return 0;
	}
	if (hidden_exit(cfg))
		return 0;
	/* the first event of a thread may be the return of a frame running
	 * since before attach: report it and its callers first. Its identity
	 * is known then: sent by that walk or at its call (and a running
	 * frame's code object is alive, so it is still that one). */
	struct thread_state *ts = first_seen(cfg, pid_tgid, frame);

	if (ts && ts->seen == THREAD_SEEN_BY_WALK)
		ts->seen = THREAD_SEEN;	/* (see emit_call) */

	/* Greenlets: once a thread has switched frame chains (greenlet's
	 * switch), the frames that exit on it may be frames suspended in
	 * another greenlet since before the attach, never walked (the walk
	 * above follows the running chain only), their identity never sent:
	 * from then on make sure of each exiting frame's (cached: a lookup;
	 * user/analysis/pystacks.c pairs the events per greenlet). Threads
	 * that never switch pay nothing. */
	if (ts) {
		if (ts->top && ts->top != frame)
			ts->switched = 1;
		if (ts->switched) {
			__s32 co_flags;

			ensure_code(cfg, pid_tgid, code, &co_flags, NULL);
		}
		ts->top = skip_entry_frames(&cfg->layout, back);
	}
	return emit_return(pid_tgid, cfg->instance, frame, code, flags);
}

static __always_inline int frame_exits(struct tr_proc_cfg *cfg, __u64 pid_tgid,
				       __u64 frame, __u8 flags)
{
	__u64 code, back;

	if (read_code_back(cfg, frame, &code, &back) || !code) {
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	return frame_exits_to(cfg, pid_tgid, frame, code, back, flags);
}

SEC("usdt")
int BPF_USDT(usdt_entry, __u64 filename, __u64 funcname, int lineno)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, USDT_COOKIE(ctx), PT_REGS_IP(ctx));

	if (!cfg)
		return 0;
	return frame_starts(cfg, pid_tgid, current_frame(cfg), 0, cfg->usdt_yield_op);
}

SEC("usdt")
int BPF_USDT(usdt_return, __u64 filename, __u64 funcname, int lineno)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, USDT_COOKIE(ctx), 0);

	if (!cfg)
		return 0;
	return frame_exits(cfg, pid_tgid, current_frame(cfg), 0);
}

/*
 * Attached on 3.11 to raise the `line` probe's semaphore (see top comment),
 * and for line coverage (cfg->usdt_lines) on any USDT build: the probe
 * passes (filename, funcname, line) of the frame the thread executes. Each
 * (code object, line) is sent once.
 */
SEC("usdt")
int usdt_line(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg;
	struct line_key key = {};
	long filename = 0, line = 0;
	__u64 frame, back;
	__s32 co_flags;
	__u8 one = 1;

	if (!usdt_lines || !(cfg = proc_cfg_at(pid_tgid, USDT_COOKIE(ctx), 0)) || !cfg->usdt_lines)
		return 0;
	key.instance = cfg->instance;
	if (bpf_usdt_arg(ctx, 0, &filename) || bpf_usdt_arg(ctx, 2, &line) ||
	    line <= 0 || line > 0x7fffffff) {
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	frame = current_frame(cfg);
	if (!frame || read_code_back(cfg, frame, &key.code, &back) || !key.code) {
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	key.line = line;
	key.filename = filename;
	if (bpf_map_lookup_elem(&lines_seen, &key))
		return 0;
	if (ensure_code(cfg, pid_tgid, key.code, &co_flags, NULL) < 0)
		return 0;
	if (bpf_map_update_elem(&lines_seen, &key, &one, BPF_ANY))
		drop(TR_DROP_MAP_FULL);	/* not lost: sent again next time */
	emit_line(pid_tgid, cfg->instance, key.code, line);
	return 0;
}

/* A code object is being freed: forget its identity (attached first). */
SEC("uprobe")
int code_freed(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg;

	/* one traced process: its instance is known without a lookup */
	if (!system_wide && !solo_follow) {
		forget_code(pid_tgid, TR_SOLO_INSTANCE, PT_REGS_PARM1(ctx));
		return 0;
	}
	cfg = proc_cfg_at(pid_tgid, UPROBE_COOKIE(ctx), 0);
	if (cfg)
		forget_code(pid_tgid, cfg->instance, PT_REGS_PARM1(ctx));
	return 0;
}

/* ---- uretprobes armed before the switch -------------------------------- */
/*
 * A uretprobe is armed by the kernel when its function is entered, whatever
 * the entry's program does. Calls entered while the session's switch is
 * off (include/tracer.h) get their return probe armed, and return later,
 * when it may be on: their calls were not sent (the walk at the thread's
 * first event reports them as running since before the start, with no
 * return to wait for), so their returns must not be sent either.
 *
 * The kernel keeps a task's armed returns on a stack; its depth is
 * current->utask->depth, counting the returning one while a uretprobe's
 * program runs. Those armed before the switch are the bottom of that stack:
 * any armed later sits above them while they are pending. So a thread
 * keeps in off_depth how many pending ones were armed before the switch:
 * an entry while off sets it to the new depth, a return with a depth at or
 * below it is one of them (and lowers it). Every uretprobe of a session
 * (eval_return, runtime_exit) goes through here, so the count stays true.
 * `off_armed`: whether any thread has one, so sessions that never had any
 * (launch: the target waits until the switch is on) skip the lookup.
 */
__u32 off_armed;

static __always_inline __u32 uretprobe_depth(void)
{
	struct uprobe_task *ut = bpf_get_current_task_btf()->utask;

	return ut ? ut->depth : 0;
}

/* the switch now, read once: it only moves forward (off, on, stopped) */
static __always_inline __u32 live_now(void)
{
	return *(volatile __u32 *)&live;
}

/* an entry hit while the switch is off, whose return the kernel arms. WAS
 * is the switch read before the hit looked its process up: read after,
 * a switch turned on in between would leave the call unsent and its return
 * sent (an unmatched return) */
static __always_inline void off_window_call(__u32 was)
{
	__u32 depth = uretprobe_depth();
	struct thread_state *ts;

	if (was != TR_LIVE_OFF || depth >= uretprobe_max_depth)
		return;
	ts = thread_state(true);
	if (!ts)
		return;
	ts->off_depth = depth + 1;
	off_armed = 1;
}

/* a uretprobe fires: true when its call was entered before the switch */
static __always_inline bool off_window_return(void)
{
	struct thread_state *ts;
	__u32 depth;

	if (!off_armed || !(ts = thread_state(false)) || !ts->off_depth)
		return false;
	depth = uretprobe_depth();
	if (depth > ts->off_depth)
		return false;
	ts->off_depth = depth ? depth - 1 : 0;
	return true;
}

/* ---- EVAL strategy --------------------------------------------------- */

/*
 * FRAME's code and calling Python frame, at the entry of the evaluator
 * (TSTATE: its first argument). 3.12+ link the new frame to its caller only
 * once inside the evaluator; its caller is the frame the thread state says
 * is executing. Before, f_back/previous is set when the frame is made.
 */
static __always_inline __u64 evaluator_caller(struct tr_proc_cfg *cfg, __u64 frame,
					      __u64 tstate, __u64 *code)
{
	const struct tr_py_layout *L = &cfg->layout;
	__u64 parent;

	read_code_back(cfg, frame, code, &parent);
	if (L->frame_owner >= 0)
		parent = frame_of_tstate(L, tstate, NULL);
	return python_caller(cfg, parent);
}

SEC("uprobe")
int eval_entry(struct pt_regs *ctx)
{
	__u32 was = live_now();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, UPROBE_COOKIE(ctx), PT_REGS_IP(ctx));
	const struct tr_py_layout *L;
	struct task_struct *task;
	struct uprobe_task *ut;
	__u64 frame, code, parent;
	__u8 flags = 0;

	if (!cfg) {
		off_window_call(was);
		return 0;
	}
	L = &cfg->layout;
	/* read both (ctx offsets must be constant), then choose */
	__u64 arg0 = PT_REGS_PARM1(ctx), arg1 = PT_REGS_PARM2(ctx);
	barrier_var(arg0);
	barrier_var(arg1);
	frame = L->eval_frame_arg == 0 ? arg0 : arg1;
	parent = evaluator_caller(cfg, frame, arg0, &code);
	/* will the kernel arm this call's uretprobe? (see top comment) */
	task = bpf_get_current_task_btf();
	ut = task->utask;	/* trusted BTF pointers: plain loads, no helper */
	if (ut && ut->depth >= uretprobe_max_depth)
		flags |= TR_CALL_RET_UNPROBED;
	return emit_call(cfg, pid_tgid, frame, code, parent, flags, true);
}

/*
 * For one traced process (-p, launch: TR_SOLO_INSTANCE) the kernel arms the
 * uretprobe only for calls whose entry passed the `procs` check: no lookup
 * unless the coverage bootstrap may hide frames. Attached for every
 * process of the file (-a), it fires for all of them: then it looks.
 */
SEC("uretprobe")
int eval_return(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = NULL;

	if (off_window_return() || !session_live())
		return 0;
	if (coverage_hooks || system_wide || solo_follow) {
		cfg = proc_cfg_at(pid_tgid, UPROBE_COOKIE(ctx), 0);
		if ((system_wide || solo_follow) && !cfg)
			return 0;
		if (cfg && hidden_exit(cfg))
			return 0;
	}
	return emit_return(pid_tgid, cfg ? cfg->instance : TR_SOLO_INSTANCE, 0, 0, 0);
}

/* ---- DISPATCH strategy: bpf/dispatch.bpf.h --------------------------- */
#include "dispatch.bpf.h"

/* ---- GC collections and imports: bpf/runtime.bpf.h ------------------- */
#include "runtime.bpf.h"

/* ---- --c-calls: calls of C functions, bpf/ccalls.bpf.h ---------------- */
#include "ccalls.bpf.h"
/* ... on 3.8-3.10 (the eval strategy): bpf/ccalls_eval.bpf.h */
#include "ccalls_eval.bpf.h"

/* ---- every thread's running frames at attach: bpf/attach_walk.bpf.h -- */
#include "attach_walk.bpf.h"
