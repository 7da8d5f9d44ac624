/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * --async-tasks: which asyncio Task a coroutine resumes for (3.11-3.14).
 *
 * asyncio's C Task steps its coroutine in task_step: enter_task(loop, task)
 * puts the task into _asyncio's current_tasks dict ({loop: task}, the dict
 * asyncio.current_task() reads) and then sends into the coroutine, whose
 * frame starts running: our call event. So when a coroutine frame resumes
 * and some value of current_tasks is a Task whose task_coro is that very
 * coroutine, the frame is that task's step: exact, whatever thread or loop
 * (two loops on two threads have two entries; the coroutine identifies
 * the one that steps it). A coroutine awaited by another resumes from its
 * awaiter's frame and matches no task: it runs for its caller's task, which
 * userspace inherits down the stack (user/analysis/tasks.c), as does every
 * plain function called inside a step. An eager task (3.12+) is stepped
 * inside its creator's step: it matches, so it is told apart from the
 * creator even though its caller is the creator's coroutine.
 *
 * A coroutine object holds its frame inline (gi_iframe), so the coroutine
 * is the frame's address minus that offset (async_gen_frame, from the
 * DWARF of the pyenv builds; the same source gives Debian's build the same
 * layout). current_tasks holds one entry per loop stepping a task, plus
 * deleted slots until the dict is resized: it is scanned up to
 * ASYNC_ENTRIES_MAX entries (a general-keys dict: {hash, key, value}
 * entries after the index table); a bigger one is counted as unreadable.
 * A value is taken for a Task only if its type is _asyncio.Task or a direct
 * subclass (a Python-level task would have no task_coro at that offset).
 * Every read is a fault-safe user read; a failed one is counted the same
 * way. Only coroutine frames (CO_COROUTINE, CO_ITERABLE_COROUTINE) pay.
 *
 * 3.14 keeps the running task in the thread state instead
 * (_PyThreadStateImpl.asyncio_running_task, what `python -m asyncio ps`
 * and _Py_AsyncioDebug describe; enter_task sets it before the step): the
 * thread's state is found as the sampler finds it (autoTSSkey, through the
 * thread's FS base: bpf/sample.bpf.h), its running task read, and taken if
 * it is a Task (its type, or its type's base, named "_asyncio.Task": no
 * table to find first) whose task_coro is the resumed coroutine.
 */
#ifndef TRACER_ASYNCIO_BPF_H
#define TRACER_ASYNCIO_BPF_H

#define ASYNC_ENTRIES_MAX 16
#define ASYNC_CO_FLAGS 0x180	/* CO_COROUTINE | CO_ITERABLE_COROUTINE */
#define PY_OB_TYPE 8
#define PY_TYPE_FLAGS 0xa8
#define PY_TYPE_BASE 0x100
#define PY_TYPE_NAME 0x18
#define PY_TPFLAGS_LONG (1ul << 24)
#define PY_TPFLAGS_UNICODE (1ul << 28)

/* forced wakeups sent for TR_TASK_NO_TABLE (a few: see async_task_of) */
__u32 async_no_table_wakeups;

struct async_scan {
	__u64 entries;		/* the first entry */
	__u64 coro;		/* the coroutine resumed */
	__u32 n;		/* entries in use (dk_nentries) */
	__u16 task_coro;
	__u64 task_type;
	__u64 task;		/* found */
	bool unreadable;
};

static long async_entry(__u32 i, void *data)
{
	struct async_scan *s = data;
	__u64 value = 0, type = 0, base = 0, coro = 0;

	if (i >= s->n)
		return 1;
	if (read_ptr(s->entries + 24ull * i + 16, &value, NULL)) {
		s->unreadable = true;
		return 1;
	}
	if (!value)
		return 0;	/* a deleted slot */
	if (read_ptr(value + PY_OB_TYPE, &type, NULL))
		return 0;
	if (type != s->task_type &&
	    (read_ptr(type + PY_TYPE_BASE, &base, NULL) || base != s->task_type))
		return 0;
	if (read_ptr(value + s->task_coro, &coro, NULL) || coro != s->coro)
		return 0;
	s->task = value;
	return 1;
}

/* the name of TASK into E: a str, or (3.12+) the int N of "Task-N" */
static __always_inline void async_task_name(const struct tr_proc_cfg *cfg, __u64 task,
					    struct tr_ev_task *e)
{
	__u64 name = 0, type = 0, flags = 0, tag = 0;
	__u32 digits[2] = {};
	int trunc = 0;

	if (read_ptr(task + cfg->async_task_name, &name, NULL) || !name ||
	    read_ptr(name + PY_OB_TYPE, &type, NULL) ||
	    read_ptr(type + PY_TYPE_FLAGS, &flags, NULL))
		return;
	if (flags & PY_TPFLAGS_UNICODE) {
		e->name_enc = read_unicode(&cfg->layout, name, e->name, TR_TASKNAME_MAX,
					   &e->name_len, &trunc, NULL);
		if (trunc)
			e->hdr.flags |= TR_TASK_NAME_TRUNC;
		return;
	}
	/* 3.12+: lv_tag = ndigits << 3 | sign (0 positive), 30-bit digits;
	 * a counter: up to two digits */
	if (!(flags & PY_TPFLAGS_LONG) || cfg->layout.version_hex < 0x030c0000 ||
	    read_ptr(name + 16, &tag, NULL) || (tag & 3) != 0 || (tag >> 3) > 2 ||
	    user_read(digits, 8, name + 24, NULL))
		return;
	e->name_num = (tag >> 3) == 2 ? ((__u64)(digits[1] & 0x3fffffff) << 30) |
					(digits[0] & 0x3fffffff)
				      : (tag >> 3) == 1 ? (digits[0] & 0x3fffffff) : 0;
	e->hdr.flags |= TR_TASK_NAME_NUM;
}

/* is TYPE named "_asyncio.Task" (the C Task's name)? */
static __always_inline bool async_is_task_type(__u64 type)
{
	static const char want[16] = "_asyncio.Task";
	char name[16] = {};
	__u64 p = 0;

	if (read_ptr(type + PY_TYPE_NAME, &p, NULL) || !p || user_read(name, 14, p, NULL))
		return false;
	for (int i = 0; i < 14; i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* 3.14: the task the thread runs, if its coroutine is CORO; 0 if none,
 * ~0 when the thread state cannot be read */
static __always_inline __u64 async_running_task(const struct tr_proc_cfg *cfg, __u64 coro)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 tstate = thread_tstate(cfg, cur->thread.fsbase, NULL), task = 0, type = 0, base = 0;
	__u64 c = 0;

	if (!tstate || tstate == ~0ULL)
		return ~0ULL;
	if (read_ptr(tstate + cfg->async_running_task, &task, NULL))
		return ~0ULL;
	if (!task || read_ptr(task + PY_OB_TYPE, &type, NULL) ||
	    read_ptr(task + cfg->async_task_coro, &c, NULL) || c != coro)
		return 0;
	if (!async_is_task_type(type) &&
	    (read_ptr(type + PY_TYPE_BASE, &base, NULL) || !async_is_task_type(base)))
		return 0;
	return task;
}

/* FRAME, a frame of code with CO_FLAGS, is about to be sent as a call */
static __always_inline void async_task_of(const struct tr_proc_cfg *cfg, __u64 pid_tgid,
					  __u64 frame, __s32 co_flags)
{
	struct async_scan s = {
		.coro = frame - cfg->async_gen_frame, .task_coro = cfg->async_task_coro,
		.task_type = cfg->async_task_type,
	};
	struct tr_ev_task *e;
	__u64 dict = cfg->async_current_tasks, keys = 0;
	__s64 n = 0;
	__u8 head[2] = {};
	__u8 flags = 0;

	if (!cfg->async_task_coro || !(co_flags & ASYNC_CO_FLAGS))
		return;
	if (cfg->async_running_task) {
		s.task = async_running_task(cfg, s.coro);
		if (s.task == ~0ULL)
			flags = TR_TASK_UNREADABLE, s.task = 0;
		else if (s.task)
			flags = TR_TASK_FOUND;
		else
			return;	/* no task steps it: its caller's task */
	} else if (!dict || !s.task_type) {
		flags = TR_TASK_NO_TABLE;
	} else if (read_ptr(dict + 32, &keys, NULL) || !keys ||
		   user_read(head, 2, keys + 9, NULL) ||	/* log2_index_bytes, kind */
		   user_read(&n, 8, keys + 24, NULL) ||	/* dk_nentries */
		   head[0] > 40 || head[1] != 0 || n < 0 || n > ASYNC_ENTRIES_MAX) {
		flags = TR_TASK_UNREADABLE;
	} else {
		s.entries = keys + 32 + (1ull << head[0]);
		s.n = n;
		bpf_loop(ASYNC_ENTRIES_MAX, async_entry, &s, 0);
		if (s.unreadable)
			flags = TR_TASK_UNREADABLE;
		else if (s.task)
			flags = TR_TASK_FOUND;
		else
			return;	/* no task steps it: its caller's task */
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return;
	}
	fill_hdr(&e->hdr, TR_EV_TASK, sizeof(*e), pid_tgid, cfg->instance);
	e->hdr.flags = flags;
	e->frame = frame;
	e->task = s.task;
	e->name_num = 0;
	e->name_len = 0;
	e->name_enc = 0;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	if (s.task)
		async_task_name(cfg, s.task, e);
	/* the table not found yet: wake userspace, which looks for it at
	 * once (user/capture/async_tasks.c); the first few times only, lest
	 * a table never found wake it at every resumption */
	if (flags == TR_TASK_NO_TABLE && async_no_table_wakeups < 16) {
		async_no_table_wakeups++;
		wakeup_flags(sizeof(*e));
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
		return;
	}
	submit(e, sizeof(*e));
}

#endif /* TRACER_ASYNCIO_BPF_H */
