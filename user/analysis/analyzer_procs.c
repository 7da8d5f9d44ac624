// SPDX-License-Identifier: MIT
/*
 * The analyzer's processes: one state per pid, for the pid's live process
 * instance (or its last one, ended).
 *
 * A system-wide session sees processes begin and end, and a pid can be
 * reused: a process exits and a later one gets its pid (or one exec's
 * another interpreter). An instance is session-unique (in_process.instance
 * and every event's hdr.instance, 0 where unknown: instances are only
 * compared when both are known). What ends a process:
 *
 *  - its TR_EV_EXIT, which comes after every event of the instance: the
 *    calls, GC collections and imports still open on its threads end at
 *    the exit's time, flagged CALL_END_AT_EXIT;
 *  - a new in_process with its pid and another instance, no TR_EV_EXIT seen
 *    (lost): the same, at the time of its latest event (its attach time if
 *    it had none), the lower bound of its end, and counted (exits_unseen).
 *
 * Its threads' states are then freed (a later thread with the same tid is
 * a new one) and so are its code-object identities, JIT ranges and line
 * tables: code addresses of a later process with the pid are its own. The
 * sinks hear of the end (`process_end`) after the calls it closed. What
 * comes for an instance that is not its pid's live one (an event after its
 * exit, of another instance) is counted (events_stale, exits_ignored) and
 * skipped. The state itself is kept, reset, and reused by the pid's next
 * process, so pointers to it stay valid (the last_proc cache).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/internal.h"
#include "analysis/sample_lines.h"

/* instances A and B may be the same process (one of them unknown, or equal) */
static bool same_instance(uint32_t a, uint32_t b)
{
	return !a || !b || a == b;
}

/* forget what addresses meant in the process */
static void proc_forget(struct proc_st *ps)
{
	hashmap__free(ps->code, NULL);
	ps->code = NULL;
	jit_map__free(&ps->jit);
	sample_lines__free(ps->lines);
	ps->lines = NULL;
}

void procs__free(void *p)
{
	proc_forget(p);
	free(p);
}

struct proc_st *analyzer__proc(struct analyzer *a, uint32_t pid)
{
	if (!a->last_proc || a->last_proc->pid != pid)
		a->last_proc = hashmap__get(a->procs, pid);
	return a->last_proc;
}

struct end_ctx {
	struct analyzer *a;
	uint64_t ts;
};

static void end_thread(void *ctx, void *t)
{
	struct end_ctx *c = ctx;

	pairing__close_thread(c->a, t, c->ts, CALL_END_AT_EXIT);
	analyzer__free_thread(t);
}

/* process PS has ended at TS (FLAGS: PROC_END_*) */
static void proc_end(struct analyzer *a, struct proc_st *ps, uint64_t ts, uint32_t flags)
{
	struct end_ctx c = { a, ts };
	struct proc_end_rec e = {
		.pid = ps->pid, .instance = ps->instance, .ts = ts, .flags = flags,
	};
	struct sink *s;

	hashmap__del_upper(a->threads, ps->pid, end_thread, &c);
	a->last_thread = NULL;
	proc_forget(ps);
	ps->ended = true;
	if (flags & PROC_END_UNSEEN)
		a->st.exits_unseen++;
	else
		a->st.exits++;
	FOR_SINKS(a, s)
		if (s->ops->process_end)
			note_err(a, s->ops->process_end(s, &e));
}

int procs__exit(struct analyzer *a, const struct tr_ev_exit *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);

	/* the session's own notice of the end of a process no longer live
	 * (it exec'd into a program not traced, whose end was that exec) */
	if ((e->hdr.flags & TR_EXIT_SEEN) && (!ps || ps->ended))
		return 0;
	if (!ps || ps->ended || !same_instance(ps->instance, e->hdr.instance)) {
		a->st.exits_ignored++;
		return 0;
	}
	proc_end(a, ps, e->hdr.ts, e->hdr.flags & TR_EXIT_EXEC ? PROC_END_EXEC : 0);
	return 0;
}

struct proc_st *procs__of_event(struct analyzer *a, const struct tr_ev_hdr *h, bool *skip)
{
	struct proc_st *ps = analyzer__proc(a, h->pid);

	*skip = false;
	if (!ps)
		return NULL;
	if (ps->ended || !same_instance(ps->instance, h->instance)) {
		a->st.events_stale++;
		*skip = true;
		return NULL;
	}
	if (h->ts > ps->last_ts)
		ps->last_ts = h->ts;
	return ps;
}

/* what PS keeps of its description P */
static void describe(struct proc_st *ps, const struct in_process *p)
{
	ps->pid = p->pid;
	ps->instance = p->instance;
	ps->attach_ts = p->attach_ts;
	ps->strategy = p->strategy;
}

int analyzer__process(struct analyzer *a, const struct in_process *p)
{
	struct proc_st *ps = hashmap__get(a->procs, p->pid);
	struct sink *s;

	if (ps && !ps->ended && same_instance(ps->instance, p->instance)) {
		/* the live process, described again */
		describe(ps, p);
		goto tell;
	}
	if (ps && !ps->ended)
		proc_end(a, ps, ps->last_ts ? ps->last_ts : ps->attach_ts, PROC_END_UNSEEN);
	if (!ps) {
		ps = calloc(1, sizeof(*ps));
		if (!ps || hashmap__set(a->procs, p->pid, ps)) {
			free(ps);
			return -ENOMEM;
		}
	}
	/* a new process: clean */
	describe(ps, p);
	ps->last_ts = 0;
	ps->ended = false;
	ps->code = hashmap__new();
	ps->lines = sample_lines__new((p->version_hex >> 16) & 0xff);
	if (!ps->code || !ps->lines) {
		/* the pid's events are skipped (stale) rather than misread */
		proc_forget(ps);
		ps->ended = true;
		return -ENOMEM;
	}
	a->st.processes++;
tell:
	FOR_SINKS(a, s)
		if (s->ops->process)
			note_err(a, s->ops->process(s, p));
	return a->err;
}
