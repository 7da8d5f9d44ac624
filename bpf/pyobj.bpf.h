/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Reading CPython objects of a traced process: its configuration (layout,
 * strategy), code object identities (sent once per identity, see the top
 * comment of bpf/tracer.bpf.c), frames and thread states, str objects.
 * Included once, by bpf/tracer.bpf.c, after bpf/ringbuf.bpf.h.
 */
#ifndef TRACER_PYOBJ_BPF_H
#define TRACER_PYOBJ_BPF_H

/*
 * The bit a str's 3-bit kind starts at in its `state` (compact 3 above,
 * ascii 4): the layout's unicode_kind_shift, 2 in a GIL build, 8 in a
 * free-threaded one. A load-time constant of the session (set by
 * user/capture/bpf_load.c from its one target; -a sessions keep 2 and
 * leave free-threaded processes out) rather than read from the layout:
 * a shift by a value the verifier does not know cost sample_wall 51k more
 * instructions to verify (753k against 702k), whose limit is 1M.
 */
const volatile __u8 unicode_kind_shift = 2;

/* per traced process (host tgid): layout and strategy */
/* writers: user/capture/probes.c (-p, launch) or user/capture/session_all.c and procs.bpf.h (-a), never both kinds in one session */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct tr_proc_cfg);
} procs SEC(".maps");

/* the instance tells a reused PID's code objects from its predecessor's */
struct code_key {
	__u32 pid;
	__u32 instance;
	__u64 code;
};

/* what identifies a code object's identity cheaply (no string reads) */
struct code_fp {
	__u64 name;
	__u64 filename;
	__u32 firstlineno;
	__s32 co_flags;		/* not part of the identity: cached with it */
};

/* a bit of the cached co_flags no CPython flag uses: a function of the
 * coverage bootstrap, whose frames are hidden (see bpf/coverage.bpf.h) */
#define CO_TRACER_HIDDEN ((__s32)0x80000000)

/* written by BPF only (pyobj.bpf.h) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct code_key);
	__type(value, struct code_fp);
} code_cache SEC(".maps");

/* scratch space for the identity span of a code object, a frame's code
 * and link words, and a span of a thread state or frame (frame_of_own_tstate,
 * read_frame_head: 128 bytes more on the stack of the global functions
 * running them exceed the 512 bytes a probe and its calls may have) */
#define SPAN_WORDS 16
struct fp_scratch {
	__u8 buf[2 * TR_FP_SPAN_MAX];
	__u64 words[2 * TR_FR_WORDS_MAX];
	__u64 span[SPAN_WORDS];
};

/* written by BPF only (per-CPU scratch) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_scratch);
} scratch SEC(".maps");

/*
 * Every read of the target's memory goes through user_read. TASK says whose
 * memory: NULL is the current task's (bpf_probe_read_user: the probes and
 * the cpu-clock sampler run in the target's context), a task is that task's
 * (bpf_copy_from_user_task: the --wall iterator runs in the tracer's own
 * context and reads a thread that may be asleep; sleepable programs only).
 *
 * Why a parameter that is a compile-time constant rather than the other
 * ways of sharing one frame walk and one ensure_code between the two
 * programs: the helper a program may call is decided per program type, and
 * the verifier rejects a call of bpf_copy_from_user_task in a perf_event or
 * uprobe program even on a path that never runs, unless it proves the path
 * dead. Carrying the task only at run time (in the bpf_loop context) would
 * rely on that proof through a spilled stack slot; compiling the headers
 * twice into a second object would need every shared map (procs, the code
 * cache, the ring buffer, the drop counters in .bss) passed over with
 * bpf_map__reuse_fd and a second skeleton. Here every function on the
 * sample path is always_inline and takes TASK; the perf_event program and
 * the probes pass a literal NULL, so the compiler drops the task branch
 * from them, and the iterator passes its task. The one non-inlined
 * function, the bpf_loop callback, has two three-line entry points
 * (sample_step, sample_step_task) around one body (bpf/sample.bpf.h).
 *
 * bpf_probe_read_user itself is poisoned below: a read added without TASK
 * would read the tracer's own memory in the iterator, silently.
 */
static __always_inline long user_read(void *dst, __u32 n, __u64 src, struct task_struct *task)
{
	if (task)
		return bpf_copy_from_user_task(dst, n, (const void *)src, task, 0);
	return (bpf_probe_read_user)(dst, n, (const void *)src);
}
#define bpf_probe_read_user(...) use_user_read_with_a_task_instead

static __always_inline int read_ptr(__u64 addr, __u64 *out, struct task_struct *task)
{
	*out = 0;
	return user_read(out, sizeof(*out), addr, task);
}

/*
 * Copy a compact str object's characters (raw, in its kind) into DST.
 * Returns the encoding byte (kind | TR_STR_ASCII), 0 when unreadable.
 */
static __always_inline __u8 read_unicode(const struct tr_py_layout *L, __u64 obj,
					 char *dst, __u32 cap, __u32 *len_out,
					 int *truncated, struct task_struct *task)
{
	__s64 length = 0;
	__u32 state = 0, kind;
	__u64 data, n;

	*len_out = 0;
	if (!obj || L->unicode_length < 0 || L->unicode_state < 0)
		return 0;
	if (user_read(&length, sizeof(length), obj + L->unicode_length, task) ||
	    user_read(&state, sizeof(state), obj + L->unicode_state, task))
		return 0;
	/* kind, compact, ascii: bits unicode_kind_shift.. +4 */
	state >>= unicode_kind_shift & 15;
	kind = state & 7;
	if (!((state >> 3) & 1) || (kind != 1 && kind != 2 && kind != 4) ||
	    length < 0 || length > 0x7fffffff)
		return 0;	/* not a compact string: not a code object's name */
	if ((state >> 4) & 1)
		data = obj + L->unicode_ascii_size;
	else
		data = obj + L->unicode_compact_size;
	*len_out = length;
	n = (__u64)length * kind;
	if (n > cap) {
		n = cap;
		*truncated = 1;
	}
	barrier_var(n);
	if (n > cap)
		return 0;
	if (user_read(dst, n, data, task))
		return 0;
	return kind | (((state >> 4) & 1) ? TR_STR_ASCII : 0);
}

/*
 * Make sure userspace knows the identity of CODE: send a TR_EV_CODE when the
 * code_cache entry for this address is missing or differs. 0 when the
 * identity was known to userspace, 1 when it has just been sent (a new
 * identity), -1 when it could not be sent (counted).
 */
static __always_inline int ensure_code_of(struct tr_proc_cfg *cfg, __u64 pid_tgid,
					  __u64 code, __s32 *co_flags, struct task_struct *task)
{
	const struct tr_py_layout *L = &cfg->layout;
	struct code_key key = { .pid = pid_tgid >> 32, .instance = cfg->instance, .code = code };
	struct code_fp fp = {}, *old;
	struct fp_scratch *sc;
	struct tr_ev_code *e;
	__u32 zero = 0, len = cfg->fp_len;
	int trunc = 0;

	/* freed code objects leave the cache: an entry is the same object */
	if (cfg->dealloc_probed && (old = bpf_map_lookup_elem(&code_cache, &key))) {
		*co_flags = old->co_flags;
		return 0;
	}
	/* one read of the span holding the identity fields */
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!sc)
		return -1;
	if (len > TR_FP_SPAN_MAX)
		len = TR_FP_SPAN_MAX;
	barrier_var(len);
	if (len > TR_FP_SPAN_MAX ||
	    user_read(sc->buf, len, code + cfg->fp_off, task)) {
		drop(TR_DROP_READ_FAIL);
		return -1;
	}
	fp.name = *(__u64 *)(sc->buf + (cfg->fp_name & (TR_FP_SPAN_MAX - 1)));
	fp.filename = *(__u64 *)(sc->buf + (cfg->fp_file & (TR_FP_SPAN_MAX - 1)));
	fp.firstlineno = *(__u32 *)(sc->buf + (cfg->fp_line & (TR_FP_SPAN_MAX - 1)));
	old = bpf_map_lookup_elem(&code_cache, &key);
	if (old && old->name == fp.name && old->filename == fp.filename &&
	    old->firstlineno == fp.firstlineno) {
		*co_flags = old->co_flags;
		return 0;
	}
	/* a new identity: its flags are read once, here */
	if (L->code_flags >= 0 &&
	    user_read(&fp.co_flags, sizeof(fp.co_flags), code + L->code_flags, task))
		fp.co_flags = 0;
	/* a function of the coverage bootstrap (TR_HOOK_HIDE_FIRSTLINENO):
	 * marked in its cached flags, for hiding its frames */
	if (fp.firstlineno == TR_HOOK_HIDE_FIRSTLINENO) {
		fp.co_flags |= CO_TRACER_HIDDEN;
		cfg->hooks_seen = 1;
	}
	*co_flags = fp.co_flags;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return -1;
	}
	fill_hdr(&e->hdr, TR_EV_CODE, sizeof(*e), pid_tgid, cfg->instance);
	e->code = code;
	e->firstlineno = fp.firstlineno;
	e->pad = 0;
	e->name_enc = read_unicode(L, fp.name, e->name, TR_NAME_MAX, &e->name_len, &trunc,
				   task);
	if (trunc)
		e->hdr.flags |= TR_CODE_NAME_TRUNC;
	trunc = 0;
	e->file_enc = read_unicode(L, fp.filename, e->file, TR_FILE_MAX, &e->file_len, &trunc,
				   task);
	if (trunc)
		e->hdr.flags |= TR_CODE_FILE_TRUNC;
	submit(e, sizeof(*e));
	if (bpf_map_update_elem(&code_cache, &key, &fp, BPF_ANY))
		drop(TR_DROP_MAP_FULL);	/* not lost: it will be sent again */
	return 1;
}

/*
 * ensure_code of the current task's memory, as a global subprogram: the
 * verifier checks a global (non-static, not inlined) function once per
 * program, on its own, with its arguments unknown, rather than again at
 * every call site and on every path that leads there. ensure_code's many
 * branches (cache hit or not, two strings, each ASCII or not, truncated or
 * not) were explored anew from each of the callers' paths: most of the
 * instructions the verifier processed for each call/return program (make
 * bench's load table). Its pointer arguments may be NULL to the verifier.
 */
__noinline int ensure_code_cur(struct tr_proc_cfg *cfg, __u64 pid_tgid, __u64 code,
			       __s32 *co_flags)
{
	if (!cfg || !co_flags)
		return -1;
	return ensure_code_of(cfg, pid_tgid, code, co_flags, NULL);
}

/*
 * ensure_code_of of another task's memory (the attach walk), as a global
 * subprogram too: inlined, its branches were explored again for every path
 * of the walk's callback (116,258 instructions verified, ~0.2-0.3 s of
 * every exact attach, most of its start). A global function's pointer
 * arguments are plain memory to the verifier unless tagged: "arg:trusted"
 * (Linux 6.8+) makes TASK a trusted task pointer, which
 * bpf_copy_from_user_task takes. Older kernels reject the function (the
 * tag is unknown to them): the walk has a second, inlined program for them
 * (bpf/attach_walk.bpf.h; userspace loads one of the two).
 */
#ifndef __arg_trusted
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#endif
__noinline int ensure_code_task(struct tr_proc_cfg *cfg, __u64 pid_tgid, __u64 code,
				__s32 *co_flags, struct task_struct *task __arg_trusted)
{
	if (!cfg || !co_flags || !task)
		return -1;
	return ensure_code_of(cfg, pid_tgid, code, co_flags, task);
}

/* ensure_code_of, global for the current task's memory (TASK: a constant
 * at each call site, see user_read) */
static __always_inline int ensure_code(struct tr_proc_cfg *cfg, __u64 pid_tgid, __u64 code,
				       __s32 *co_flags, struct task_struct *task)
{
	if (!task)
		return ensure_code_cur(cfg, pid_tgid, code, co_flags);
	return ensure_code_of(cfg, pid_tgid, code, co_flags, task);
}

/* make the next ensure_code of CODE send its identity again */
static __always_inline void forget_code(__u64 pid_tgid, __u32 instance, __u64 code)
{
	struct code_key key = { .pid = pid_tgid >> 32, .instance = instance, .code = code };

	bpf_map_delete_elem(&code_cache, &key);
}

/* FRAME's code object and f_back/previous pointer, in one read */
static __always_inline int read_code_back(const struct tr_proc_cfg *cfg, __u64 frame,
					  __u64 *code, __u64 *back)
{
	__u32 zero = 0, n = cfg->fr_words;
	struct fp_scratch *sc = bpf_map_lookup_elem(&scratch, &zero);

	*code = *back = 0;
	if (!sc || !frame)
		return -1;
	if (n > TR_FR_WORDS_MAX)
		n = TR_FR_WORDS_MAX;
	barrier_var(n);
	if (n > TR_FR_WORDS_MAX ||
	    user_read(sc->words, n * 8, frame + cfg->fr_off, NULL))
		return -1;
	*code = sc->words[cfg->fr_code & (TR_FR_WORDS_MAX - 1)] & ~(__u64)cfg->layout.frame_code_tag;
	*back = sc->words[cfg->fr_back & (TR_FR_WORDS_MAX - 1)];
	return 0;
}

/* P, or the first frame from P outwards that is not a C-stack entry frame
 * (3.12+ link one between every two Python frames an evaluator runs) */
static __always_inline __u64 skip_entry_frames_of(const struct tr_py_layout *L, __u64 p,
						   struct task_struct *task)
{
	__u8 owner = 0;

	if (L->frame_owner < 0)
		return p;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (!p || user_read(&owner, 1, p + L->frame_owner, task))
			return p;
		if (owner < L->owner_cstack)
			return p;
		if (read_ptr(p + L->frame_back, &p, task))
			return 0;
	}
	return p;
}

/*
 * 3.12+: a frame's code, previous and owner lie in its first 72-80 bytes
 * (code 0, previous 8, owner 70/74/78): read at once by python_caller, where
 * skip_entry_frames and the shim check read the owner, then the code (see
 * frame_of_own_tstate on why one read of more bytes is cheaper). Whether
 * the layout allows it (the words 8-byte aligned, all in SPAN_WORDS).
 */
static __always_inline bool frame_head_fits(const struct tr_py_layout *L)
{
	return L->frame_owner >= 0 && L->frame_owner < 8 * SPAN_WORDS &&
	       L->frame_code >= 0 && L->frame_code <= 8 * (SPAN_WORDS - 1) &&
	       L->frame_back >= 0 && L->frame_back <= 8 * (SPAN_WORDS - 1) &&
	       !((L->frame_code | L->frame_back) & 7);
}

/* FRAME's code (its tag bits off), previous and owner, in one read of the
 * current task's memory (frame_head_fits(L) said it may) */
static __always_inline int read_frame_head(const struct tr_py_layout *L, __u64 frame,
					   __u64 *code, __u64 *back, __u8 *owner)
{
	__u32 zero = 0, n = L->frame_owner + 1;
	struct fp_scratch *sc = bpf_map_lookup_elem(&scratch, &zero);

	*code = *back = 0;
	*owner = 0;
	if (!sc)
		return -1;
	if (n < L->frame_code + 8)
		n = L->frame_code + 8;
	if (n < L->frame_back + 8)
		n = L->frame_back + 8;
	barrier_var(n);
	if (n > sizeof(sc->span) || user_read(sc->span, n, frame, NULL))
		return -1;
	*code = sc->span[(L->frame_code >> 3) & (SPAN_WORDS - 1)] & ~(__u64)L->frame_code_tag;
	*back = sc->span[(L->frame_back >> 3) & (SPAN_WORDS - 1)];
	*owner = ((__u8 *)sc->span)[L->frame_owner & (8 * SPAN_WORDS - 1)];
	return 0;
}

/* (of the current task: the probes) */
static __always_inline __u64 skip_entry_frames(const struct tr_py_layout *L, __u64 p)
{
	return skip_entry_frames_of(L, p, NULL);
}

/* TSTATE is the thread state of the thread whose FS base (pthread_self())
 * is FSBASE: its thread_id says so. A layout without thread_id cannot tell,
 * and is not trusted: a thread state found through a pthread key or the
 * GIL's holder may be another thread's (stale, or another interpreter's). */
static __always_inline bool tstate_of_thread(const struct tr_py_layout *L, __u64 tstate,
					     __u64 fsbase, struct task_struct *task)
{
	__u64 tid = 0;

	return L->tstate_thread_id >= 0 && !read_ptr(tstate + L->tstate_thread_id, &tid, task) &&
	       tid == fsbase;
}
/* The frame a thread state says is executing (0 if none or unreadable). */
static __always_inline __u64 frame_of_tstate(const struct tr_py_layout *L, __u64 tstate,
					     struct task_struct *task)
{
	__u64 p = 0;

	if (!tstate || read_ptr(tstate + L->tstate_frame, &p, task) || !p)
		return 0;
	if (L->cframe_current_frame >= 0 && read_ptr(p + L->cframe_current_frame, &p, task))
		return 0;
	return p;
}

/*
 * The frame the current thread executes, if TSTATE is its thread state
 * (its thread_id is FSBASE): tstate_of_thread then frame_of_tstate, with
 * the two fields read at once. They lie within 88-104 bytes of each other
 * (3.11-3.14: the frame or cframe pointer at 56/72, thread_id at
 * 136/152), and a read of the target's memory costs about the same for 8
 * bytes as for 128: its fixed cost (the helper call, the fault-disabled
 * user access) is most of it: ~70-100 ns per read on a 2-vCPU VM. The
 * dispatch probes do this on every hit. A layout whose fields lie farther
 * apart (none known) takes the two reads. *FOREIGN: TSTATE is not the
 * thread's (or unreadable: tstate_of_thread's answer); 0 then.
 */
static __always_inline __u64 frame_of_own_tstate(const struct tr_py_layout *L, __u64 tstate,
						 __u64 fsbase, bool *foreign)
{
	int f = L->tstate_frame, t = L->tstate_thread_id;
	int lo = f < t ? f : t;
	__u32 zero = 0, n = (f > t ? f : t) + 8 - lo;
	struct fp_scratch *sc;
	__u64 *w, p;

	*foreign = false;
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!sc)
		return 0;
	w = sc->span;
	if (t < 0 || f < 0 || ((f | t) & 7) || n > sizeof(sc->span)) {
		if (!tstate_of_thread(L, tstate, fsbase, NULL)) {
			*foreign = true;
			return 0;
		}
		return frame_of_tstate(L, tstate, NULL);
	}
	barrier_var(n);
	if (n > sizeof(sc->span) || user_read(w, n, tstate + lo, NULL) ||
	    w[((t - lo) >> 3) & (SPAN_WORDS - 1)] != fsbase) {
		*foreign = true;
		return 0;
	}
	p = w[((f - lo) >> 3) & (SPAN_WORDS - 1)];
	if (!p)
		return 0;
	if (L->cframe_current_frame >= 0 && read_ptr(p + L->cframe_current_frame, &p, NULL))
		return 0;
	return p;
}

/*
 * 3.12+: does FRAME (running CODE, with CO_FLAGS) only run to create a
 * generator/coroutine? Creating one runs the new frame through the
 * evaluator up to RETURN_GENERATOR, which copies it into the generator; its
 * resumptions run that copy, whose instruction pointer is past the start.
 * sys.setprofile reports neither the creation as a call nor its return.
 */
static __always_inline bool creates_generator(const struct tr_py_layout *L, __u64 frame,
					      __u64 code, __s32 co_flags)
{
	__u64 instr = 0;

	/* CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR */
	if (!(co_flags & 0x2a0) || L->frame_owner < 0 || L->code_code_adaptive < 0 ||
	    L->frame_instr < 0)
		return false;
	if (read_ptr(frame + L->frame_instr, &instr, NULL))
		return false;
	return instr == code + L->code_code_adaptive + L->frame_instr_start;
}

#endif /* TRACER_PYOBJ_BPF_H */
