/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * CPU sampling (tracer --sample): a perf_event program on a cpu-clock event
 * of every CPU. When the sampled task belongs to a traced process, it finds
 * the task's Python thread state, walks its frame chain and sends the
 * stack, innermost first, as one TR_EV_SAMPLE through the event ring
 * buffer. Included once, by bpf/tracer.bpf.c, after bpf/pyobj.bpf.h: it
 * shares `procs`, the code identities (ensure_code) and the drop counters
 * with the call probes.
 *
 * The thread state: CPython binds each thread's state to the pthread key
 * _PyRuntime.autoTSSkey (every version 3.8-3.13). glibc keeps a key's value
 * in the thread's struct pthread, whose address is the thread's FS base:
 * keys below 32 in the inline block `specific_1stblock`, the others in
 * second-level blocks of 32 reached through `specific`. The value found is
 * only trusted when its thread_id (pthread_self()) is this FS base. Unlike
 * the "current thread state" words of the runtime, the key is set while the
 * thread waits for the GIL or runs without it (see docs/notes/sampling.md).
 *
 * The walk: bpf_loop, one read per frame (its code, caller and owner), the
 * stack built in a per-CPU slot of a plain array (a per-CPU array's value
 * is capped at 32 KiB), sent with bpf_ringbuf_output of its used size.
 * Frames that are not Python calls are skipped: 3.12+'s C-stack entry
 * frames and 3.13's __init__ shim. A stack deeper than
 * TR_SAMPLE_FRAMES_MAX is sent cut, flagged TR_SAMPLE_TRUNCATED.
 *
 * Lines: each frame records its instruction offset (f_lasti, or the
 * instruction pointer less co_code_adaptive), read in the same one read of
 * the frame. Userspace turns it into a line with the code object's line
 * table, which is sent (TR_EV_LINETABLE chunks) after the TR_EV_CODE of
 * each identity the walk is first to meet, once the walk is done. A table
 * lost to a full ring buffer makes its code object's identity be sent
 * again, with its table, by a later sample.
 *
 * Every read of the target's memory made here goes through user_read
 * (bpf/pyobj.bpf.h), with the task whose memory it is in the iterator.
 */
#ifndef TRACER_SAMPLE_BPF_H
#define TRACER_SAMPLE_BPF_H

/* ---- knobs, set by userspace before load ----------------------------- */
const volatile __u32 sample_period_ns = 0;
/* --lines: send the line tables of the code objects sampled (TR_EV_LINETABLE) */
const volatile bool sample_linetables = false;
/* the target is a free-threaded build (3.14t): a frame's instruction is in
 * its thread's copy of the bytecode (tlbc_bytecode). A load-time constant,
 * as unicode_kind_shift (bpf/pyobj.bpf.h): a GIL build's session verifies
 * none of it */
const volatile bool sample_tlbc = false;
/* glibc's offsetof(struct pthread, specific_1stblock) and (.., specific),
 * x86-64 glibc 2.26 and later (constants: not calibrated per target, see
 * docs/sampling.md; a wrong value fails the thread_id check, counted) */
#define PTHREAD_SPECIFIC_1ST 784
#define PTHREAD_SPECIFIC 1296

#define PTHREAD_KEYS_MAX 1024
#define PTHREAD_KEY_2NDLEVEL 32	/* keys per block */
/* new identities of one sample whose line tables are sent after the walk;
 * those past this many are forgotten (sent again by a later sample) */
#define SAMPLE_NEW_CODES_MAX 64

struct sample_new_code {
	__u64 code;
	__u64 table;		/* its bytes object, 0 when unreadable */
	__u32 total;		/* its size */
	__u32 flags;		/* TR_LINETABLE_* of its first chunk */
};

/* 32 + 2048 * 16 + 136 + 64 * 24 + 2048 * 8 bytes: a plain array's value may be up to
 * KMALLOC_MAX_SIZE (a per-CPU array's only 32 KiB) */
struct sample_slot {
	struct tr_ev_sample ev;
	/* the frame just read; 8 bytes past the span so that a field at any
	 * offset below TR_SAMPLE_FRAME_SPAN can be loaded */
	__u8 frame[TR_SAMPLE_FRAME_SPAN + 8];
	struct sample_new_code new_codes[SAMPLE_NEW_CODES_MAX];
	/* --wall, and sample_tlbc: the address of each frame recorded
	 * (wall_walk, tlbc_fix_of) */
	__u64 addrs[TR_SAMPLE_FRAMES_MAX];
};

/* one slot per CPU (max_entries set by userspace to the number of CPUs) */
/* written by BPF only; sized by user/capture/sampler.c */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_slot);
} sample_slots SEC(".maps");

/* the thread state bound to the thread whose FS base is FSBASE, 0 if none,
 * ~0 if the one found is not that thread's (not counted: sampled_tstate,
 * bpf/attach_walk.bpf.h) */
static __always_inline __u64 thread_tstate(const struct tr_proc_cfg *cfg, __u64 fsbase,
					   struct task_struct *task)
{
	__u64 word = 0, slot = 0, tstate = 0;
	__u32 key;

	/* {int _is_initialized; pthread_key_t _key;} */
	if (!cfg->tss_key_addr || !fsbase || read_ptr(cfg->tss_key_addr, &word, task) ||
	    !(__u32)word)
		return 0;
	key = word >> 32;
	if (key < PTHREAD_KEY_2NDLEVEL) {
		slot = fsbase + PTHREAD_SPECIFIC_1ST + key * 16 + 8;
	} else {
		if (key >= PTHREAD_KEYS_MAX ||
		    read_ptr(fsbase + PTHREAD_SPECIFIC + (key / PTHREAD_KEY_2NDLEVEL) * 8, &slot,
			     task) ||
		    !slot)
			return 0;
		slot += (key % PTHREAD_KEY_2NDLEVEL) * 16 + 8;
	}
	if (read_ptr(slot, &tstate, task) || !tstate)
		return 0;
	return tstate_of_thread(&cfg->layout, tstate, fsbase, task) ? tstate : ~0ULL;
}

/* the thread state bound to the running thread (FSBASE), 0 if none, ~0
 * (counted) if the one found is another's */
static __always_inline __u64 sampled_tstate(const struct tr_proc_cfg *cfg, __u64 fsbase,
					    struct task_struct *task)
{
	__u64 tstate = thread_tstate(cfg, fsbase, task);

	if (tstate == ~0ULL)
		drop(TR_DROP_FOREIGN_TSTATE);
	return tstate;
}

struct sample_walk {
	__u64 pid_tgid;
	__u32 instance;
	__u64 frame;		/* next frame to read, 0 at the end of the chain */
	__u64 last_code;	/* described already (recursion repeats it) */
	struct task_struct *task;	/* --wall: whose memory (see user_read) */
	__u32 cpu;
	__u32 n;		/* frames recorded */
	__u32 span;		/* bytes of a frame to read */
	__u32 n_new;		/* new identities met (slot->new_codes) */
	int err;		/* a TR_DROP_* reason: the sample is lost */
	/* --wall (wall_walk): the hash of the frames walked (frame_hash), and
	 * P to the power of their number; the second walk's: the first's
	 * frames recorded (n1), 1 or 2 once it met the first's top or second
	 * frame (0 before), the frames it compared */
	__u64 hash, pow;
	__u32 n1;
	__u32 joined;
	__u32 m;
};

/* the field at OFF (< TR_SAMPLE_FRAME_SPAN) of the frame just read */
#define FRAME_FIELD(slot, type, off) \
	(*(type *)((slot)->frame + ((off) & (TR_SAMPLE_FRAME_SPAN - 1))))
#define FRAME_WORD(slot, off) FRAME_FIELD(slot, __u64, off)

/* the instruction offset (bytes) of the frame just read, running CODE
 * (a free-threaded build's: in entry 0 of its bytecode copies; the others
 * are fixed after the walk, see tlbc_fix_of) */
static __always_inline __u32 frame_offset(const struct tr_py_layout *L,
					  const struct sample_slot *slot, __u64 code)
{
	__u64 instr, first;
	__s32 lasti;

	if (L->frame_lasti >= 0) {
		/* f_lasti: -1 before the first instruction */
		lasti = FRAME_FIELD(slot, __s32, L->frame_lasti);
		if (lasti == -1)
			return TR_SAMPLE_NOT_STARTED;
		if (lasti < 0 || lasti >= (1 << 28))
			return TR_SAMPLE_NO_OFFSET;
		/* 3.10 counts code units of 2 bytes */
		return L->version_hex >= 0x030a0000 ? lasti * 2 : lasti;
	}
	if (L->frame_instr < 0 || L->code_code_adaptive < 0)
		return TR_SAMPLE_NO_OFFSET;
	/* 3.11/3.12's prev_instr is one unit before the first instruction
	 * until it runs (3.13's instr_ptr is on it: offset 0) */
	instr = FRAME_WORD(slot, L->frame_instr);
	first = code + L->code_code_adaptive;
	if (instr == first + L->frame_instr_start && L->frame_instr_start < 0)
		return TR_SAMPLE_NOT_STARTED;
	if (instr < first || instr - first >= (1 << 28))
		return TR_SAMPLE_NO_OFFSET;
	return instr - first;
}

/* remember CODE, a new identity, for sending its line table */
static __always_inline void note_new_code(struct sample_walk *w, struct sample_slot *slot,
					  __u64 code)
{
	__u32 k = w->n_new;

	if (k >= SAMPLE_NEW_CODES_MAX) {
		forget_code(w->pid_tgid, w->instance, code);	/* its table comes with a later sample */
		return;
	}
	slot->new_codes[k & (SAMPLE_NEW_CODES_MAX - 1)].code = code;
	w->n_new = k + 1;
}

/*
 * A hash of a walk's frames that the second walk of --wall can compare
 * with the first's from its top or from its second frame: the sum of
 * frame i's (address, code) mixed, times P^i, mod 2^64. P is odd, so the
 * first's from its second frame is (hash - its top's term) / P, and that
 * division is a product by P's inverse (no branch in the walk: the
 * verifier's work on it grows with every branch).
 */
#define FRAME_HASH_P 0x100000001b3ULL
#define FRAME_HASH_P_INV 0xce965057aff6957bULL

static __always_inline __u64 frame_term(__u64 frame, __u64 code)
{
	return (frame ^ (code << 1)) * FRAME_HASH_P;
}

static __always_inline void frame_hash(struct sample_walk *w, __u64 code)
{
	w->hash += frame_term(w->frame, code) * w->pow;
	w->pow *= FRAME_HASH_P;
}

/*
 * A frame (code CODE, caller BACK) of --wall's second walk (wall_walk):
 * frames above the first walk's are the thread's new calls; from the
 * first walk's top frame (or its second: the top returned), the frames
 * are hashed as the first walk's were, to the end.
 */
static __always_inline long verify_step(struct sample_walk *w, const struct sample_slot *slot,
					__u64 code, __u64 back)
{
	__u32 k;

	if (!w->joined) {
		/* the first walk's top two frames (its first is there); above
		 * them, a frame being pushed may have no code yet: passed */
		if (!code) {
			w->n++;
			w->frame = back;
			return 0;
		}
		if (w->frame == slot->addrs[0] && code == slot->ev.frames[0].code)
			w->joined = 1;
		else if (w->n1 > 1 && w->frame == slot->addrs[1] &&
			 code == slot->ev.frames[1].code)
			w->joined = 2;
		else {
			w->n++;		/* new calls: bounds the walk */
			w->frame = back;
			return 0;
		}
	}
	if (!code) {
		w->err = TR_DROP_READ_FAIL;
		return 1;
	}
	frame_hash(w, code);
	w->m++;
	w->frame = back;
	/* to the chain's end, through the frames not recorded after the last
	 * (3.12+'s entry frames): it must end where the first walk's did; or
	 * as deep as a first walk that was cut */
	k = w->m + w->joined - 1;
	return k > w->n1 || (k == w->n1 && w->n1 >= TR_SAMPLE_FRAMES_MAX);
}

/* one frame of the walk; TASK: see user_read. VERIFY (a constant): the
 * --wall walk that checks the first (wall_walk, verify_step): nothing
 * recorded, no identity sent */
static __always_inline long sample_step_of(struct sample_walk *w, struct task_struct *task,
					   bool verify)
{
	__u32 pid = w->pid_tgid >> 32, span = w->span, n = w->n;
	struct tr_proc_cfg *cfg = bpf_map_lookup_elem(&procs, &pid);
	struct sample_slot *slot = bpf_map_lookup_elem(&sample_slots, &w->cpu);
	const struct tr_py_layout *L;
	struct tr_sample_frame *f;
	__u64 code, back;
	__s32 co_flags;
	int known = 0;

	if (!cfg || !slot) {
		w->err = TR_DROP_NO_CONFIG;
		return 1;
	}
	if (!w->frame)
		return 1;
	if (n >= TR_SAMPLE_FRAMES_MAX)
		return 1;	/* truncated: w->frame stays set */
	L = &cfg->layout;
	if (span > TR_SAMPLE_FRAME_SPAN)
		span = TR_SAMPLE_FRAME_SPAN;
	barrier_var(span);
	if (span > TR_SAMPLE_FRAME_SPAN ||
	    user_read(slot->frame, span, w->frame, task)) {
		w->err = TR_DROP_READ_FAIL;
		return 1;
	}
	/* up to 3.10 a frame is an object: one that returned under a --wall
	 * walk has a reference count of 0 and its f_back relinked to the
	 * frame free list (see wall_walk) */
	if (task && L->version_hex < 0x030b0000 && !FRAME_WORD(slot, 0)) {
		w->err = TR_DROP_READ_FAIL;
		return 1;
	}
	code = FRAME_WORD(slot, L->frame_code) & ~(__u64)L->frame_code_tag;
	back = FRAME_WORD(slot, L->frame_back);
	if (back == w->frame)
		back = 0;	/* a cycle: garbage */
	/* a C-stack entry frame (3.12+) or 3.13's __init__ shim: not a call */
	if ((L->frame_owner >= 0 && L->frame_owner < TR_SAMPLE_FRAME_SPAN &&
	     slot->frame[L->frame_owner & (TR_SAMPLE_FRAME_SPAN - 1)] >= L->owner_cstack) ||
	    (code && code == cfg->shim_code)) {
		w->frame = back;
		return 0;
	}
	if (verify)
		return verify_step(w, slot, code, back);
	if (!code) {
		w->err = TR_DROP_READ_FAIL;
		return 1;
	}
	if (code != w->last_code)
		known = ensure_code(cfg, w->pid_tgid, code, &co_flags, task);
	if (known < 0) {
		w->err = -1;	/* counted by ensure_code */
		return 1;
	}
	if (known > 0 && sample_linetables)
		note_new_code(w, slot, code);
	w->last_code = code;
	f = &slot->ev.frames[n & (TR_SAMPLE_FRAMES_MAX - 1)];
	f->code = code;
	f->offset = frame_offset(L, slot, code);
	f->pad = 0;

	if (task) {
		/* for --wall's second walk (wall_walk), and tlbc_fix_of */
		frame_hash(w, code);
		slot->addrs[n & (TR_SAMPLE_FRAMES_MAX - 1)] = w->frame;
	} else if (sample_tlbc) {
		slot->addrs[n & (TR_SAMPLE_FRAMES_MAX - 1)] = w->frame;	/* for tlbc_fix_of */
	}
	w->n = n + 1;
	w->frame = back;
	return 0;
}

/* the bpf_loop callbacks: the cpu-clock program's reads the current task,
 * the iterator's the task it samples (a constant NULL specialises the
 * first; see user_read) */
static long sample_step(__u32 i, void *data)
{
	return sample_step_of(data, NULL, false);
}

static long sample_step_task(__u32 i, void *data)
{
	struct sample_walk *w = data;

	return sample_step_of(w, w->task, false);
}

static long sample_verify_task(__u32 i, void *data)
{
	struct sample_walk *w = data;

	return sample_step_of(w, w->task, true);
}

/*
 * --wall reads a thread's frames from another CPU while the thread may run:
 * a frame popped and its memory reused during the walk leads it into
 * another stack. On 3.10 and older a freed frame's f_back is relinked to the
 * interpreter's free list, so the walk went on through freed frames and
 * ended early at the list's end, or through a frame reused at another depth
 * into the live stack: measured on a 600-deep stack built and unwound over
 * and over (3.10, 199 Hz, 3 s), 3 of 584 samples came out 205, 868 and 886
 * frames deep, unmarked. (3.11+'s frames live on a per-thread stack whose
 * popped frames keep their links: a torn walk there mostly fails its read.)
 * Up to 3.10, a frame met with a reference count of 0 has returned: the
 * walk fails, counted as a read failure (two walks of a stack unwinding
 * can agree on the free list, measured).
 *
 * A walk is steady when the thread did not run during it: off every CPU
 * (task->on_cpu 0) before and after, and no context switch in between (a
 * thread that ran in between was switched out again, which counts one:
 * nvcsw + nivcsw). When it may have run, the frames are walked a second
 * time from the thread's top frame then, recording nothing (verify_step):
 * the first walk is taken when the second meets the first's top frame, or
 * its second (the top has returned since), after any number of new calls,
 * and from there the same frames (addresses and codes) in the same order
 * to the same end. A thread that calls and returns at its top while its
 * stack below holds still (a loop calling a function) passes; a stack
 * unwound or rebuilt under the read does not. Otherwise the sample is
 * flagged TR_SAMPLE_UNSTEADY (userspace marks and counts it), never sent
 * as if whole. (Walking again until two walks agree would lose fewer, but
 * the verifier's work on the walk, 441k instructions for sample_wall
 * already, went past its limit of 1M with a loop of walks; with the second
 * walk it is 702k.) The cpu-clock program needs none of this: the thread
 * it samples is the one it interrupted.
 */
static __always_inline __u64 task_switches(struct task_struct *task)
{
	return *(volatile unsigned long *)&task->nvcsw +
	       *(volatile unsigned long *)&task->nivcsw;
}

static __always_inline bool task_on_cpu(struct task_struct *task)
{
	return *(volatile int *)&task->on_cpu;
}

/* walk TASK's frames into W and SLOT (the sample's), from thread state TSTATE;
 * true when they changed during the walk (see above) */
static __always_inline bool wall_walk(struct sample_walk *w, const struct sample_slot *slot,
				      const struct tr_py_layout *L, struct task_struct *task,
				      __u64 tstate)
{
	struct sample_walk v = {
		.pid_tgid = w->pid_tgid, .instance = w->instance, .cpu = w->cpu,
		.task = task, .span = w->span, .pow = 1,
	};
	__u64 sw = task_switches(task);
	bool on = task_on_cpu(task);

	w->pow = 1;
	w->frame = frame_of_tstate(L, tstate, task);
	if (!w->frame)
		return false;
	bpf_loop(2 * TR_SAMPLE_FRAMES_MAX, sample_step_task, w, 0);
	if (w->err || !w->n || (!on && !task_on_cpu(task) && task_switches(task) == sw))
		return false;
	v.n1 = w->n;
	v.frame = frame_of_tstate(L, tstate, task);
	if (v.frame)
		bpf_loop(2 * TR_SAMPLE_FRAMES_MAX, sample_verify_task, &v, 0);
	if (v.err || !v.joined || v.m + v.joined - 1 != w->n || v.frame != w->frame)
		return true;
	return v.hash != (v.joined == 1 ? w->hash :
			  (w->hash - frame_term(slot->addrs[0], slot->ev.frames[0].code)) *
			  FRAME_HASH_P_INV);
}

/* the user-mode instruction pointer of a task that is not running: the
 * registers saved on its kernel entry */
static __always_inline __u64 task_user_ip(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return regs ? BPF_CORE_READ(regs, ip) : 0;
}

/*
 * Where the thread runs in user mode: the interrupted registers when the
 * sample hit user mode, else the registers saved on kernel entry (the top
 * of the task's kernel stack: where it returns to). A JIT's code is named
 * from it (user/analysis/jit_map.c): the frame chain does not show native code.
 */
static __always_inline __u64 sampled_user_ip(struct bpf_perf_event_data *ctx,
					     struct task_struct *task)
{
	/* the context allows only whole 8-byte loads: cs is a u16 in its word */
	__u64 cs = *(volatile __u64 *)((void *)&ctx->regs + offsetof(struct pt_regs, cs));

	return (cs & 3) == 3 ? ctx->regs.ip : task_user_ip(task);
}

/* --lines: the line tables of the code objects a sample met first,
 * bpf/sample_lines.bpf.h */
#include "sample_lines.bpf.h"

/* a free-threaded build's own bytecode copies: bpf/sample_tlbc.bpf.h */
#include "sample_tlbc.bpf.h"

/*
 * Sample thread TASK (PID_TGID) of the traced process CFG and send its
 * stack, weighted PERIOD_NS, with FLAGS (TR_SAMPLE_WALL) and its user-mode
 * instruction pointer USER_IP. READER is NULL in
 * the perf_event program (TASK is current) and TASK in the iterator: a
 * constant in each, see user_read.
 */
static __always_inline int sample_task(struct tr_proc_cfg *cfg, struct task_struct *task,
				       __u64 pid_tgid, struct task_struct *reader,
				       __u32 period_ns, __u8 flags, __u64 user_ip)
{
	struct sample_walk w = {
		.pid_tgid = pid_tgid, .instance = cfg->instance,
		.cpu = bpf_get_smp_processor_id(), .task = reader,
	};
	struct sample_slot *slot;
	__u64 tstate;
	__u32 size;

	slot = bpf_map_lookup_elem(&sample_slots, &w.cpu);
	if (!slot) {
		drop(TR_DROP_MAP_FULL);
		return 0;
	}
	tstate = sampled_tstate(cfg, task->thread.fsbase, reader);
	if (tstate == ~0ULL)
		return 0;	/* counted */
	w.span = cfg->sample_span;
	if (reader) {
		if (wall_walk(&w, slot, &cfg->layout, task, tstate))
			flags |= TR_SAMPLE_UNSTEADY;
	} else {
		/* the thread is stopped on this CPU: its stack holds still */
		w.frame = frame_of_tstate(&cfg->layout, tstate, NULL);
		if (w.frame)
			bpf_loop(2 * TR_SAMPLE_FRAMES_MAX, sample_step, &w, 0);
	}
	if (sample_tlbc && w.n && !w.err) {
		struct tlbc_fix x = {
			.task = reader, .cpu = w.cpu, .n = w.n,
			.code_tlbc = cfg->layout.code_tlbc,
			.frame_tlbc_index = cfg->layout.frame_tlbc_index,
			.frame_instr = cfg->layout.frame_instr,
		};

		if (reader)
			bpf_loop(TR_SAMPLE_FRAMES_MAX, tlbc_fix_task, &x, 0);
		else
			bpf_loop(TR_SAMPLE_FRAMES_MAX, tlbc_fix, &x, 0);
	}
	if (w.n_new) {
		/* the tables go before the sample, which needs them */
		struct linetable_send ls = {
			.task = reader, .pid_tgid = pid_tgid, .instance = cfg->instance,
			.cpu = w.cpu, .n_new = w.n_new,
			.linetable = cfg->layout.code_linetable,
			.bytes_size = cfg->layout.bytes_size,
			.bytes_sval = cfg->layout.bytes_sval,
		};

		if (reader)
			bpf_loop(SAMPLE_NEW_CODES_MAX * TR_LINETABLE_CHUNKS, linetable_step_task,
				 &ls, 0);
		else
			bpf_loop(SAMPLE_NEW_CODES_MAX * TR_LINETABLE_CHUNKS, linetable_step, &ls, 0);
	}
	if (w.err) {
		drop(w.err);
		return 0;
	}
	if (!w.n) {
		drop(TR_DROP_NO_PYTHON);
		return 0;
	}
	fill_hdr(&slot->ev.hdr, TR_EV_SAMPLE, 0, pid_tgid, cfg->instance);
	slot->ev.hdr.flags = (w.frame ? TR_SAMPLE_TRUNCATED : 0) | flags;
	slot->ev.n_frames = w.n;
	slot->ev.period_ns = period_ns;
	slot->ev.user_ip = user_ip;
	size = w.n;
	if (size > TR_SAMPLE_FRAMES_MAX)
		size = TR_SAMPLE_FRAMES_MAX;
	size = TR_SAMPLE_HDR_SIZE + size * sizeof(struct tr_sample_frame);
	slot->ev.hdr.size = size;
	barrier_var(size);
	if (size > sizeof(slot->ev))
		return 0;
	if (bpf_ringbuf_output(&events, &slot->ev, size, wakeup_flags(size)))
		drop(TR_DROP_RINGBUF_FULL);
	return 0;
}

SEC("perf_event")
int sample_cpu(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	struct tr_proc_cfg *cfg = session_live() ? bpf_map_lookup_elem(&procs, &pid) : NULL;

	if (!cfg || (cfg->proc_flags & TR_PROC_IGNORED))
		return 0;	/* another process, or one -a's filters leave out */
	struct task_struct *task = bpf_get_current_task_btf();

	return sample_task(cfg, task, pid_tgid, NULL, sample_period_ns, 0,
			   sampled_user_ip(ctx, task));
}

/*
 * --wall: every thread of the traced process, running or not. Userspace
 * reads this iterator (attached with the process's pid: its threads only,
 * Linux 6.1+; under -a with none: every task, those of no traced process
 * left at the lookup) once a tick; it runs in the tracer's context, sleepable, and
 * reads each thread's memory with bpf_copy_from_user_task. A thread's FS
 * base is saved in its task_struct when it is switched out, so it is valid
 * for a sleeping thread. Each sample weighs wall_period_ns: the real time
 * since the previous tick, set by userspace before each read.
 */
__u64 wall_period_ns;

SEC("iter.s/task")
int sample_wall(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct tr_proc_cfg *cfg;
	__u64 pid_tgid;
	__u32 pid;

	if (!task || !session_live())
		return 0;
	pid = task->tgid;
	pid_tgid = (__u64)pid << 32 | (__u32)task->pid;
	cfg = bpf_map_lookup_elem(&procs, &pid);
	if (!cfg || (cfg->proc_flags & TR_PROC_IGNORED))
		return 0;
	return sample_task(cfg, task, pid_tgid, task, wall_period_ns, TR_SAMPLE_WALL,
			   task_user_ip(task));
}

#endif /* TRACER_SAMPLE_BPF_H */
