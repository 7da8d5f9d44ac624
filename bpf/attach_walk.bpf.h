/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The attach walk: the running frames of every thread of an attached
 * process, at the attach instant. Included once, by bpf/tracer.bpf.c, at
 * its end (it sends frames with emit_frame_of).
 *
 * A thread's running frames are otherwise walked at its first event
 * (tracer.bpf.c: first_seen). A thread that produces no event during the
 * session (blocked in time.sleep, a lock, Event.wait, a deadlock: what a
 * user attaches for) would never show. Userspace (user/capture/attach_walk.c)
 * reads this sleepable task iterator once, right after the session's
 * switch turns on (include/tracer.h, enum tr_live); it runs in the
 * tracer's context, for each thread of the process, and reads the thread's
 * memory with bpf_copy_from_user_task (its thread state through its
 * pthread key, as the --wall sampler does: bpf/sample.bpf.h).
 *
 * Who reports a thread's frames: whoever claims the thread's `seen` first,
 * by compare-and-swap: its first event, or this walk. The race is decided
 * like this:
 *  - a marker (TR_EV_ATTACH_WALK) is reserved in the ring buffer first,
 *    then the frames are read and sent (TR_CALL_PREATTACH calls flagged
 *    TR_CALL_ATTACH_WALK, innermost first, each code identity before), then
 *    `seen` is claimed, and the marker submitted with the verdict;
 *  - records are read in the order they were reserved, so the marker is
 *    read before the frames, and userspace knows then whether to keep them;
 *  - if the claim succeeds, the thread had no event from the switch to the
 *    claim: every push or pop of a frame is an event whose first_seen
 *    would have claimed it (USDT, dispatch), so the chain read was the
 *    chain at the switch, and the thread's later events are reserved after
 *    its first_seen, after the claim: after every frame sent;
 *  - if it fails, the thread walked its own frames at its first event;
 *    those of the walk are dropped by userspace (TR_WALK_REJECTED).
 * A call's probe runs just after its frame is pushed (a return's just
 * before the pop): the walk may read a frame whose call event comes after
 * the claim. That call is the thread's first event since (THREAD_SEEN_BY_WALK)
 * and of the frame on top (ts->top): emit_call drops it, as the frame is
 * reported already. Not with EVAL: its entry probe runs before the push,
 * and its returns (uretprobes) are no first event, so a frame address
 * reused by the next call (3.8-3.10's per-code "zombie" frame) would be
 * taken for the walked one.
 * With the EVAL strategy (3.8-3.10) a frame returning between the switch
 * and the walk may have no event yet (the uretprobe runs after the frame
 * is popped); its frames' returns are not probed anyway (flagged
 * TR_CALL_RET_UNPROBED, as at a first event).
 *
 * Reads here are one word at a time: the per-CPU scratch of read_code_back
 * is shared with whatever probe runs on this CPU while this program sleeps
 * on a page fault of the target.
 */
#ifndef TRACER_ATTACH_WALK_BPF_H
#define TRACER_ATTACH_WALK_BPF_H

/* read by userspace after the walk (-v): threads whose frames the walk
 * sent, frames sent, threads that ran first (walked at their first event),
 * threads with no Python thread state, threads whose thread state the
 * pthread key did not give (said as a warning) */
__u64 attach_walk_threads;
__u64 attach_walk_frames;
__u64 attach_walk_ran_first;
__u64 attach_walk_not_python;
__u64 attach_walk_unreadable;

struct attach_walk {
	struct task_struct *task;	/* whose memory */
	__u64 pid_tgid;
	__u64 frame;		/* next frame to send, 0 at the end */
	__u32 n;		/* frames sent */
	__u8 flags;		/* of each call */
};

/* the Python frame P stands for: P past C-stack entry frames and 3.13's
 * __init__ shim (as python_caller, tracer.bpf.c), in TASK's memory */
static __always_inline __u64 walk_python_frame(const struct tr_proc_cfg *cfg, __u64 p,
					       struct task_struct *task)
{
	const struct tr_py_layout *L = &cfg->layout;
	__u64 code = 0;

	p = skip_entry_frames_of(L, p, task);
	if (cfg->shim_code && p && !read_ptr(p + L->frame_code, &code, task) &&
	    (code & ~(__u64)L->frame_code_tag) == cfg->shim_code &&
	    !read_ptr(p + L->frame_back, &p, task))
		p = skip_entry_frames_of(L, p, task);
	return p;
}

/* one frame of the walk; TASK_GLOBAL: see emit_frame_of */
static __always_inline long attach_walk_step_of(struct attach_walk *w, bool task_global)
{
	__u32 pid = w->pid_tgid >> 32;
	struct tr_proc_cfg *cfg = bpf_map_lookup_elem(&procs, &pid);
	__u64 code = 0, back = 0;

	if (!cfg || !w->frame)
		return 1;
	if (read_ptr(w->frame + cfg->layout.frame_code, &code, w->task) ||
	    read_ptr(w->frame + cfg->layout.frame_back, &back, w->task)) {
		drop(TR_DROP_READ_FAIL);
		return 1;
	}
	code &= ~(__u64)cfg->layout.frame_code_tag;
	back = walk_python_frame(cfg, back, w->task);
	/* an unreadable frame ends the walk (counted by emit_frame_of) */
	if (emit_frame_of(cfg, w->pid_tgid, w->frame, code, back, w->flags, false, w->task,
			  task_global))
		return 1;
	w->n++;
	if (back == w->frame)
		return 1;	/* a cycle: garbage */
	w->frame = back;
	return 0;
}

/* the bpf_loop callbacks of the two programs below */
static long attach_walk_step(__u32 i, void *data)
{
	return attach_walk_step_of(data, true);
}

static long attach_walk_step_61(__u32 i, void *data)
{
	return attach_walk_step_of(data, false);
}

/* the walk of the thread TASK, frame by frame with STEP */
static __always_inline int attach_walk_of(struct task_struct *task,
					  long (*step)(__u32 i, void *data))
{
	struct attach_walk w = {};
	struct tr_ev_attach_walk *mark;
	struct thread_state *ts;
	struct tr_proc_cfg *cfg;
	__u64 tstate, frame;
	__u32 pid;

	if (!task || !session_live())
		return 0;
	pid = task->tgid;
	cfg = bpf_map_lookup_elem(&procs, &pid);
	if (!cfg || (cfg->proc_flags & TR_PROC_IGNORED) || !cfg->walk_running)
		return 0;
	w.task = task;
	w.pid_tgid = (__u64)pid << 32 | (__u32)task->pid;
	ts = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	/* created by the thread's own first event at the same instant: the
	 * loser's creation fails (-EEXIST) and finds the winner's */
	if (!ts)
		ts = bpf_task_storage_get(&threads, task, 0, 0);
	if (!ts) {
		drop(TR_DROP_MAP_FULL);
		return 0;
	}
	if (ts->seen) {
		__sync_fetch_and_add(&attach_walk_ran_first, 1);
		return 0;	/* its first event walked its frames */
	}
	tstate = thread_tstate(cfg, task->thread.fsbase, task);
	if (tstate == ~0ULL) {
		/* its frames cannot be read here (said by userspace); its
		 * first event, if any, walks them */
		__sync_fetch_and_add(&attach_walk_unreadable, 1);
		return 0;
	}
	frame = walk_python_frame(cfg, frame_of_tstate(&cfg->layout, tstate, task), task);
	if (!frame) {
		/* not a Python thread, or one running no Python frame */
		__sync_fetch_and_add(&attach_walk_not_python, 1);
		return 0;
	}
	mark = bpf_ringbuf_reserve(&events, sizeof(*mark), 0);
	if (!mark) {
		drop(TR_DROP_RINGBUF_FULL);
		return 0;
	}
	w.frame = frame;
	w.flags = TR_CALL_PREATTACH | TR_CALL_ATTACH_WALK |
		  (cfg->strategy == TR_STRATEGY_EVAL ? TR_CALL_RET_UNPROBED : 0);
	bpf_loop(TR_PREATTACH_MAX, step, &w, 0);
	fill_hdr(&mark->hdr, TR_EV_ATTACH_WALK, sizeof(*mark), w.pid_tgid, cfg->instance);
	mark->frames = w.n;
	mark->pad = 0;
	/* the frame it runs (emit_call, and greenlets: frame_exits), unless
	 * its own events have said; set before the claim, for emit_call's
	 * check (if the claim fails, a stale top only makes the thread's
	 * exits check their code identity: tracer.bpf.c, frame_exits) */
	__sync_val_compare_and_swap(&ts->top, 0, frame);
	if (__sync_val_compare_and_swap(&ts->seen, 0, cfg->strategy == TR_STRATEGY_EVAL ?
					THREAD_SEEN : THREAD_SEEN_BY_WALK)) {
		mark->hdr.flags = TR_WALK_REJECTED;
		__sync_fetch_and_add(&attach_walk_ran_first, 1);
	} else {
		__sync_fetch_and_add(&attach_walk_threads, 1);
		__sync_fetch_and_add(&attach_walk_frames, w.n);
		/* --c-calls: inside a C call begun before? (said) */
		ccall_walk_check(cfg, pid, frame, task);
	}
	submit(mark, sizeof(*mark));
	return 0;
}

/*
 * Two programs, one walk: userspace loads one (user/capture/attach_walk.c).
 * attach_walk reads code identities through the global ensure_code_task,
 * verified once (~3,500 instructions in all); its task argument needs
 * Linux 6.8. attach_walk_61, for Linux 6.1-6.7, inlines them into the
 * callback (~116,000 instructions, ~0.2-0.3 s to verify).
 */
SEC("iter.s/task")
int attach_walk(struct bpf_iter__task *ctx)
{
	return attach_walk_of(ctx->task, attach_walk_step);
}

SEC("iter.s/task")
int attach_walk_61(struct bpf_iter__task *ctx)
{
	return attach_walk_of(ctx->task, attach_walk_step_61);
}

#endif /* TRACER_ATTACH_WALK_BPF_H */
