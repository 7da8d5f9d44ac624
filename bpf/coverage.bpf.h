/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Line coverage: TR_EV_LINE events, and the frames of the coverage
 * bootstrap hidden from the trace (see TR_HOOK_* in include/tracer.h).
 * Included once, by bpf/tracer.bpf.c, after bpf/pyobj.bpf.h.
 *
 * Hiding. The bootstrap's callbacks are Python functions: the interpreter
 * runs them as calls, with everything they call, inside whatever frame
 * started or reached a new line. None of that is the program's. A
 * callback's code object is recognised when its identity is first read
 * (ensure_code: a co_firstlineno no source file has); from its call to its
 * return every event of the thread is dropped. The thread's depth inside
 * the callback is counted: calls add one, returns (and yields, and unwinds:
 * every exit is an event) take one; the return that brings it to 0 is the
 * callback's. With the EVAL strategy a call whose uretprobe the kernel will
 * not arm is not counted (its return never comes).
 */
#ifndef TRACER_COVERAGE_BPF_H
#define TRACER_COVERAGE_BPF_H

/* per thread: see first_seen (tracer.bpf.c) and the comment above */
struct thread_state {
	__u8 seen;		/* running frames already reported */
	__u8 pad[3];
	__u32 hide_depth;	/* frames open inside a bootstrap callback */
	__u64 hide_top;		/* the frame of the last hidden call, 0 after an exit */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

/* (code object, line) pairs already sent, per process: a USDT `line` probe
 * fires on every line run. An evicted pair is sent again (harmless). The
 * filename pointer guards against a freed code object's address reused by
 * another file's code. */
struct line_key {
	__u32 pid;
	__u32 line;
	__u64 code;
	__u64 filename;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct line_key);
	__type(value, __u8);
} lines_seen SEC(".maps");

static __always_inline struct thread_state *thread_state(bool create)
{
	return bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* the thread's state when it is inside a bootstrap callback, else NULL */
static __always_inline struct thread_state *hidden_state(const struct tr_proc_cfg *cfg)
{
	struct thread_state *ts;

	if (!cfg->hooks_seen)
		return NULL;
	ts = thread_state(false);
	return ts && ts->hide_depth ? ts : NULL;
}

/* Is the thread inside a bootstrap callback? A call (COUNTED: its exit
 * will come as an event) of FRAME made there goes one level deeper. A call
 * of the frame that started last, with no exit since, is the same call seen
 * twice (a RESUME run again after (re)instrumenting its code object: see
 * user/dispatch_sites.c), and counts once. */
static __always_inline bool hidden_call(const struct tr_proc_cfg *cfg, __u64 frame,
					bool counted)
{
	struct thread_state *ts = hidden_state(cfg);

	if (!ts)
		return false;
	if (counted && frame != ts->hide_top) {
		ts->hide_depth++;
		ts->hide_top = frame;
	}
	return true;
}

/* Is this exit inside (or the end of) a bootstrap callback? */
static __always_inline bool hidden_exit(const struct tr_proc_cfg *cfg)
{
	struct thread_state *ts = hidden_state(cfg);

	if (!ts)
		return false;
	ts->hide_depth--;
	ts->hide_top = 0;
	return true;
}

/* Is this runtime event (GC, import) inside a bootstrap callback? */
static __always_inline bool hidden_runtime(const struct tr_proc_cfg *cfg)
{
	return hidden_state(cfg) != NULL;
}

static __always_inline void emit_line(__u64 pid_tgid, __u64 code, __u32 line, __u8 flags)
{
	struct tr_ev_line *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return;
	}
	fill_hdr(&e->hdr, TR_EV_LINE, sizeof(*e), pid_tgid);
	e->hdr.flags = flags;
	e->code = code;
	e->line = line;
	e->pad = 0;
	submit(e, sizeof(*e));
}

/*
 * The LINE callback was called: FRAME is its frame, whose first two locals
 * are its arguments (CODE, LINE), LINE a small int. The bootstrap calls it
 * once with (None, 0) when it has turned line events on.
 */
static __always_inline void hook_line_called(struct tr_proc_cfg *cfg, __u64 pid_tgid,
					     __u64 frame)
{
	const struct tr_py_layout *L = &cfg->layout;
	__u64 args[2] = {}, num[2] = {};
	__s32 co_flags;

	if (L->frame_localsplus < 0 || L->long_digit < 8 ||
	    bpf_probe_read_user(args, sizeof(args), (void *)(frame + L->frame_localsplus)) ||
	    bpf_probe_read_user(num, sizeof(num), (void *)(args[1] + L->long_digit - 8))) {
		drop(TR_DROP_READ_FAIL);
		return;
	}
	/* lv_tag: digits << 3 | sign (0 positive, 1 zero, 2 negative) */
	if ((num[0] & 3) == 1) {
		emit_line(pid_tgid, 0, 0, TR_LINE_BOOT_ACTIVE);
		return;
	}
	if ((num[0] & 3) != 0 || (num[0] >> 3) != 1) {
		drop(TR_DROP_READ_FAIL);	/* not a line number */
		return;
	}
	/* userspace resolves the code object like a call's */
	if (ensure_code(cfg, pid_tgid, args[0], &co_flags))
		return;
	emit_line(pid_tgid, args[0], num[1] & 0x3fffffff, 0);
}

#endif /* TRACER_COVERAGE_BPF_H */
