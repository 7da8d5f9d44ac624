// SPDX-License-Identifier: MIT
/*
 * --async-tasks: see async_tasks.h and bpf/asyncio.bpf.h.
 *
 * What the BPF side reads of the target's asyncio, per version (from the
 * DWARF of the pyenv builds 3.11.7, 3.12.1, 3.13.0 with gdb: `ptype /o
 * TaskObj` in _asyncio's module, offsetof(PyCoroObject, cr_iframe) in
 * libpython; Debian's 3.11 is built from the same source for the same ABI):
 *
 *            task_coro  task_name  cr_iframe
 *   3.11        136        144        80
 *   3.12        136        144        72
 *   3.13        120        128        72
 *
 *   3.14        128        136        72   running task: thread state + 872
 *
 * 3.14 keeps the running task in the thread state (what `python -m asyncio
 * ps` reads): its offsets are those its _asyncio module publishes in
 * _Py_AsyncioDebug (3.14.7: task_coro 128, task_name 136,
 * asyncio_running_task 872, the DWARF agrees), taken from this table, not
 * read from the target's module (loaded only once asyncio is imported);
 * the thread state is found through autoTSSkey (T->cfg.tss_key_addr). No
 * table to look for there. Before 3.11 a frame is no part of its
 * coroutine; a free-threaded build is refused by the tracer anyway.
 *
 * The table, _asyncio's current_tasks dict, is the module's global
 * `_current_tasks` (the very dict enter_task fills, 3.11-3.13), and the
 * Task type its global `Task`: read from outside (process_vm_readv,
 * user/capture/py_thread_names.c: sys.modules -> "_asyncio" -> its dict),
 * every LOOK_EVERY_NS until found, then handed to the BPF side in the
 * process's `procs` entry. A dict lives as long as its module: once found
 * it stays valid, until the target execs: a new image of the same
 * interpreter file, followed, gets an entry without it (checked every 20
 * ms), and the table is looked for again. Coroutine resumptions before that are sent as
 * TR_TASK_NO_TABLE, and the first few wake us to look at once. A look that
 * finds no `_asyncio` in sys.modules (read whole) is told to the analyzer
 * when the table is found, or at the end (one TR_EV_TASK with
 * TR_TASK_ABSENT at the last such look's start): a resumption
 * before that moment ran while no asyncio Task could exist (the interpreter
 * runs a few coroutines at start-up, _collections_abc and types make one
 * each to get their types), so it had no task. The others, between the
 * last look without the module and the table handed over (a task stepped
 * within a few ms of asyncio's import), are counted and said, never
 * guessed. (A program that deletes _asyncio from sys.modules after
 * importing it would never have its table found: every resumption
 * unknown, but after such a look said to have no task.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "capture/async_tasks.h"
#include "capture/feed.h"
#include "capture/py_mem.h"
#include "capture/py_thread_names.h"
#include "capture/target.h"
#include "output/outputs.h"
#include "util/mono_clock.h"
#include "tracer.skel.h"

#define LOOK_EVERY_NS (2 * 1000000ull)
#define LOOK_MAX_NS (1000 * 1000000ull)
#define RECHECK_NS (20 * 1000000ull)	/* found: is it still there (an exec)? */

static const struct {
	uint16_t task_coro, task_name, gen_frame, running_task;
} rows[] = {
	[11] = { 136, 144, 80, 0 }, [12] = { 136, 144, 72, 0 }, [13] = { 120, 128, 72, 0 },
	[14] = { 128, 136, 72, 872 },
};

int async_tasks__plan(struct target *t, char *err, size_t errlen)
{
	unsigned major = t->bin.version_hex >> 24, minor = (t->bin.version_hex >> 16) & 0xff;

	if (major != 3 || minor < 11 || minor > 14 || t->bin.rt.runtime_interpreters_main < 0 ||
	    (minor == 14 && (t->bin.rt.runtime_tss_key <= 0 || !t->runtime_addr))) {
		snprintf(err, errlen, "--async-tasks: asyncio's tasks are read on CPython "
			 "3.11-3.14, not on this %u.%u (before 3.11 a coroutine's frame is no "
			 "part of it); nothing was traced", major, minor);
		return -ENOTSUP;
	}
	if (minor == 14)
		t->cfg.tss_key_addr = t->runtime_addr + t->bin.rt.runtime_tss_key;
	t->cfg.async_running_task = rows[minor].running_task;
	t->cfg.async_task_coro = rows[minor].task_coro;
	t->cfg.async_task_name = rows[minor].task_name;
	t->cfg.async_gen_frame = rows[minor].gen_frame;
	return 0;
}

void async_tasks__say_recordings(const char *const *outputs, int n)
{
	for (int i = 0; i < n; i++) {
		size_t len = strlen(outputs[i]);

		if (len >= 6 && !strcmp(outputs[i] + len - 6, ".trace")) {
			fprintf(stderr, "tracer: warning: --async-tasks: a recording (.trace) does "
				"not keep the tasks; the other outputs of this session have them\n");
			return;
		}
	}
}

void async_tasks__init(struct async_tasks *a, const struct target *t, struct tracer_bpf *skel,
		       struct feed *feed)
{
	*a = (struct async_tasks){ .t = t, .skel = skel, .feed = feed, .every_ns = LOOK_EVERY_NS,
				   .instance = t->cfg.instance };
	async_tasks__tick(a, true);
}

/* tell the analyzer _asyncio was not imported at the look of A->absent_ns
 * (straight to the outputs: not a BPF event, not counted as one) */
static void tell_absent(struct async_tasks *a)
{
	const struct target *t = a->t;
	struct tr_ev_task ev = {
		.hdr = { .type = TR_EV_TASK, .flags = TR_TASK_ABSENT, .size = sizeof(ev),
			 .pid = t->pid, .tid = t->pid, .instance = a->instance,
			 .ts = a->absent_ns },
	};

	if (a->absent_ns && a->feed)
		outputs__event(a->feed->out, &ev, sizeof(ev));
	a->absent_ns = 0;
}

void async_tasks__tick(struct async_tasks *a, bool force)
{
	const struct target *t = a->t;
	struct py_mem m;
	struct tr_proc_cfg cfg;
	uint64_t now = mono_clock__ns(), interp = 0, dict = 0, type, took;
	bool absent = false;
	__u32 pid;

	if (!t || !t->cfg.async_task_coro || t->cfg.async_running_task)
		return;
	pid = t->pid;
	if (a->found) {
		/* the target exec'd the same interpreter (followed): its new
		 * image's entry, made from the template, has no table yet */
		if (now - a->last_ns < RECHECK_NS)
			return;
		a->last_ns = now;
		if (bpf_map__lookup_elem(a->skel->maps.procs, &pid, sizeof(pid), &cfg,
					 sizeof(cfg), 0) || cfg.async_current_tasks)
			return;
		a->found = false;
		a->instance = cfg.instance;
	}
	if (!force && now - a->last_ns < a->every_ns)
		return;
	a->last_ns = now;
	a->looks++;
	m = (struct py_mem){ .pid = t->pid, .minor = (t->bin.version_hex >> 16) & 0xff,
			     .L = &t->cfg.layout };
	if (!py_mem__ptr(&m, t->runtime_addr + t->bin.rt.runtime_interpreters_main, &interp) &&
	    interp)
		dict = py_thread_names__module_attr(&m, interp, "_asyncio", "_current_tasks",
						    &absent);
	if (absent)
		a->absent_ns = now;	/* (the look's start: absent then too) */
	if (dict && (type = py_thread_names__module_attr(&m, interp, "_asyncio", "Task",
							 &absent))) {
		/* the entry as the BPF side has it (it writes hooks_seen: one
		 * written between this lookup and the update would be lost, a
		 * coverage session's first bootstrap call, long before any
		 * asyncio import) */
		if (!bpf_map__lookup_elem(a->skel->maps.procs, &pid, sizeof(pid), &cfg,
					  sizeof(cfg), 0)) {
			cfg.async_current_tasks = dict;
			cfg.async_task_type = type;
			if (!bpf_map__update_elem(a->skel->maps.procs, &pid, sizeof(pid), &cfg,
						  sizeof(cfg), BPF_EXIST)) {
				a->found = true;
				tell_absent(a);
				return;
			}
		}
	}
	/* a process that makes a look long (a sys.modules of thousands of
	 * entries) is looked at less often: the poll loop must drain the
	 * ring buffer */
	took = mono_clock__ns() - now;
	a->every_ns = took * 20 > LOOK_EVERY_NS ? (took * 20 < LOOK_MAX_NS ? took * 20 : LOOK_MAX_NS)
						: LOOK_EVERY_NS;
}

void async_tasks__end(struct async_tasks *a)
{
	if (a->t && !a->found)
		tell_absent(a);
}
