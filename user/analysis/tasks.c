// SPDX-License-Identifier: MIT
/*
 * --async-tasks: the asyncio Task each call runs for.
 *
 * The BPF side (bpf/asyncio.bpf.h) sends a TR_EV_TASK just before the call
 * event of a coroutine frame that a Task steps (the task's own coroutine,
 * resumed by asyncio's task_step): the Task's address and name. That call
 * runs for the task; so does everything it calls, down the stack: a
 * coroutine it awaits (resumed from its frame, matching no task), a plain
 * function, until a callee is itself a task's step (an eager task started
 * inside it). A call no task's step is under (the event loop's own code,
 * callbacks of call_soon) runs for none. This is what
 * asyncio.current_task() answers inside a coroutine; calls the C Task
 * machinery itself makes between the coroutine's yield and the end of the
 * step (loop.call_soon scheduling the next step) run for none here.
 *
 * Tasks are numbered per session in order of first sight, one number per
 * (process, Task object, name): a task renamed (set_name) gets a new one; a
 * Task object freed and another made at its address with the same name
 * shares it (they never overlap in time). Names are UTF-8 (the
 * interpreter's str, cut at TR_TASKNAME_MAX bytes with "..."), or
 * "Task-N" for 3.12+'s lazily formatted default names.
 *
 * A resumption whose task could not be told (TR_TASK_NO_TABLE: asyncio's
 * table not found yet; TR_TASK_UNREADABLE) runs for no task here, and is
 * counted as unknown (st.async_unknown, said in a warning) unless a later
 * look found _asyncio not imported at a time after it (TR_TASK_ABSENT,
 * user/capture/async_tasks.c): then no Task could have stepped it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/internal.h"
#include "cpython/pystr.h"
#include "util/array.h"

/* unknown resumptions whose time is kept (for TR_TASK_ABSENT); beyond,
 * counted as unknown whatever comes */
#define UNKNOWN_TS_MAX (1u << 20)

struct task_ent {
	struct task_ent *next;	/* other tasks of the same address */
	uint32_t pid;
	uint32_t n;		/* its number */
};

static int task_number(struct analyzer *a, const struct tr_ev_task *e, uint32_t *out)
{
	struct task_ent *first, *t;
	bool trunc = false;
	char *name;

	if (!a->tasks && !(a->tasks = hashmap__new()))
		return -ENOMEM;
	if (e->hdr.flags & TR_TASK_NAME_NUM) {
		if (asprintf(&name, "Task-%llu", (unsigned long long)e->name_num) < 0)
			return -ENOMEM;
	} else if (!(name = pystr__to_utf8(e->name, TR_TASKNAME_MAX, e->name_len,
					    e->name_enc, &trunc))) {
		return -ENOMEM;
	}
	first = hashmap__get(a->tasks, e->task);
	for (t = first; t; t = t->next)
		if (t->pid == e->hdr.pid && !strcmp(a->task_names[t->n - 1], name)) {
			free(name);
			*out = t->n;
			return 0;
		}
	if (array__grow((void **)&a->task_names, &a->cap_tasks, a->n_tasks,
			sizeof(*a->task_names)) ||
	    !(t = calloc(1, sizeof(*t)))) {
		free(name);
		return -ENOMEM;
	}
	*t = (struct task_ent){ .next = first, .pid = e->hdr.pid, .n = a->n_tasks + 1 };
	if (hashmap__set(a->tasks, e->task, t)) {
		free(t);
		free(name);
		return -ENOMEM;
	}
	a->task_names[a->n_tasks++] = name;
	a->st.async_tasks++;
	*out = t->n;
	return 0;
}

int tasks__event(struct analyzer *a, const struct tr_ev_task *e)
{
	struct thread_st *t;
	uint32_t n = 0;
	int err;

	if (e->hdr.flags & TR_TASK_ABSENT) {
		a->st.events--;	/* made by userspace: no BPF event */
		if (e->hdr.ts > a->task_absent_until)
			a->task_absent_until = e->hdr.ts;
		return 0;
	}
	if (!(t = analyzer__thread_of(a, e->hdr.pid, e->hdr.tid)))
		return -ENOMEM;
	if (!(e->hdr.flags & TR_TASK_FOUND) || !e->task) {
		/* unknown, unless _asyncio turns out not imported then */
		if (a->n_unknown_ts < UNKNOWN_TS_MAX) {
			if (array__grow((void **)&a->unknown_ts, &a->cap_unknown_ts,
					a->n_unknown_ts, sizeof(*a->unknown_ts)))
				return -ENOMEM;
			a->unknown_ts[a->n_unknown_ts++] = e->hdr.ts;
		} else {
			a->unknown_late++;
		}
	} else {
		if ((err = task_number(a, e, &n)))
			return err;
		a->st.async_steps++;
	}
	/* (no task known: 0, not the caller's) */
	t->task_frame = e->frame;
	t->task_pending = n;
	return 0;
}

uint32_t tasks__of_call(struct thread_st *t, uint64_t frame)
{
	uint32_t n;

	if (t->task_frame && t->task_frame == frame)
		n = t->task_pending;
	else
		n = t->s.depth ? t->s.stack[t->s.depth - 1].task : 0;
	t->task_frame = 0;
	return n;
}

void tasks__finish(struct analyzer *a)
{
	a->st.async_unknown = a->unknown_late;
	for (size_t i = 0; i < a->n_unknown_ts; i++)
		if (a->unknown_ts[i] > a->task_absent_until)
			a->st.async_unknown++;
}

const char *tasks__name(const struct analyzer *a, uint32_t n)
{
	return n && n <= a->n_tasks ? a->task_names[n - 1] : NULL;
}

static void free_ents(void *p)
{
	for (struct task_ent *t = p, *next; t; t = next) {
		next = t->next;
		free(t);
	}
}

void tasks__free(struct analyzer *a)
{
	hashmap__free(a->tasks, free_ents);
	for (size_t i = 0; i < a->n_tasks; i++)
		free(a->task_names[i]);
	free(a->task_names);
	free(a->unknown_ts);
}
