/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Line coverage: TR_EV_LINE events (USDT), the hand-over of the 3.12+
 * coverage bootstrap (TR_EV_BLOB), and the frames of the bootstrap hidden
 * from the trace (see TR_HOOK_HIDE_FIRSTLINENO in include/tracer.h).
 * Included once, by bpf/tracer.bpf.c, after bpf/pyobj.bpf.h.
 *
 * Hiding. The bootstrap's callbacks are Python functions: the interpreter
 * runs them as calls, with everything they call, inside whatever frame
 * started or reached a new line. None of that is the program's. A
 * callback's code object is recognised when its identity is first read
 * (ensure_code: a co_firstlineno no source file has, CO_TRACER_HIDDEN in
 * the cached flags); from its call to its
 * return every event of the thread is dropped. The thread's depth inside
 * the callback is counted: calls add one, returns (and yields, and unwinds:
 * every exit is an event) take one; the return that brings it to 0 is the
 * callback's. With the EVAL strategy a call whose uretprobe the kernel will
 * not arm is not counted (its return never comes).
 */
#ifndef TRACER_COVERAGE_BPF_H
#define TRACER_COVERAGE_BPF_H

/* per thread: see first_seen (tracer.bpf.c) and the comment above */
#define THREAD_SEEN 1
#define THREAD_SEEN_BY_WALK 2	/* by the attach walk, and no event of the thread
				 * since (bpf/attach_walk.bpf.h) */
struct thread_state {
	__u32 seen;		/* THREAD_SEEN*: running frames already reported
				 * (or being reported); claimed by compare-and-swap,
				 * see tracer.bpf.c: first_seen */
	__u8 switched;		/* attach mode: it has switched frame chains
				 * (greenlets, tracer.bpf.c: frame_exits) */
	__u8 pad[3];
	__u32 hide_depth;	/* frames open inside a bootstrap callback */
	__u32 pad1;
	__u64 hide_top;		/* the frame of the last hidden call, 0 after an exit */
	__u32 off_depth;	/* uretprobes armed before the switch, still pending
				 * (bpf/tracer.bpf.c, off_window_call) */
	__u32 pad2;
	/* attach mode: the frame the thread runs as far as its events tell
	 * (the last call's frame, the last exit's caller), 0 before its first
	 * event; a call from, or an exit of, another frame follows a switch of
	 * frame chains (tracer.bpf.c: frame_exits) */
	__u64 top;
};

/* written by BPF only (task storage) */
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
	__u32 instance;	/* the process instance (a PID may be reused) */
	__u32 line;
	__u64 code;
	__u64 filename;
};

/* written by BPF only (tracer.bpf.c) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct line_key);
	__type(value, __u8);
} lines_seen SEC(".maps");

static __always_inline struct thread_state *thread_state(bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *ts;

	if (!create)
		return bpf_task_storage_get(&threads, task, 0, 0);
	/* two creations of one task's storage at once (its own probe and the
	 * attach walk, bpf/attach_walk.bpf.h): the loser's fails (-EEXIST)
	 * and finds the winner's */
	ts = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return ts ? ts : bpf_task_storage_get(&threads, task, 0, 0);
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
 * user/cpython/dispatch_sites.c), and counts once. */
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

static __always_inline void emit_line(__u64 pid_tgid, __u32 instance, __u64 code, __u32 line)
{
	struct tr_ev_line *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return;
	}
	fill_hdr(&e->hdr, TR_EV_LINE, sizeof(*e), pid_tgid, instance);
	e->code = code;
	e->line = line;
	e->pad = 0;
	submit(e, sizeof(*e));
}

/* the session's TR_BLOB_MAGIC and key: a blob starts with them */
const volatile __u8 cover_key[TR_BLOB_KEY_LEN] = {};

/*
 * sys.getsizeof(OBJ) was called. The coverage bootstrap hands its records
 * over as OBJ, a bytes object starting with the session's key; anything
 * else (the program's own calls) passes untouched. The key makes a
 * coincidence impossible in practice, and reads of an object that is not
 * a bytes object at all either fail or do not match.
 */
SEC("uprobe")
int cover_channel(struct pt_regs *ctx)
{
	__u64 obj = PT_REGS_PARM1(ctx);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	__u8 head[TR_BLOB_KEY_LEN];
	struct tr_proc_cfg *cfg;
	struct tr_ev_blob *e;
	__u64 size;

	if (!(cfg = bpf_map_lookup_elem(&procs, &pid)) ||
	    user_read(&size, sizeof(size), obj + TR_BYTES_SIZE, NULL) ||
	    user_read(head, sizeof(head), obj + TR_BYTES_SVAL, NULL))
		return 0;
	for (int i = 0; i < TR_BLOB_KEY_LEN; i++)
		if (head[i] != cover_key[i])
			return 0;
	if (size > TR_BLOB_MAX) {
		drop(TR_DROP_READ_FAIL);	/* the bootstrap never makes one */
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return 0;
	}
	barrier_var(size);
	if (size > TR_BLOB_MAX ||
	    user_read(e->data, size, obj + TR_BYTES_SVAL, NULL)) {
		bpf_ringbuf_discard(e, 0);
		drop(TR_DROP_READ_FAIL);
		return 0;
	}
	fill_hdr(&e->hdr, TR_EV_BLOB, offsetof(struct tr_ev_blob, data) + size, pid_tgid,
		 cfg->instance);
	e->len = size;
	e->pad = 0;
	submit(e, sizeof(*e));
	return 0;
}

#endif /* TRACER_COVERAGE_BPF_H */
