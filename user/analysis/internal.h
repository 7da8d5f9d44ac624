/* SPDX-License-Identifier: MIT */
/*
 * The analyzer's state, shared by user/analysis/analyzer.c (processes, threads,
 * identities, the end of the session) and user/analysis/call_pairing.c (each
 * thread's shadow stack: calls paired with returns, GC collections and
 * imports). Nothing else includes it.
 */
#ifndef TRACER_ANALYZER_INT_H
#define TRACER_ANALYZER_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "analysis/probe_share.h"
#include "analysis/probe_subtract.h"
#include "analysis/analyzer.h"
#include "util/hashmap.h"
#include "analysis/jit_map.h"
#include "model/model.h"
#include "analysis/runtime_slices.h"

struct frame_ent {
	uint64_t frame;
	uint64_t start;
	uint64_t child;
	uint32_t func;
	uint32_t flags;		/* TR_CALL_* flags of the call event */
	bool preattach;		/* running since before the thread was first seen */
	bool hidden;		/* creates a generator: on the stack only to be
				 * paired with its return, never reported */
	bool begun;		/* its begin was told to the sinks */
	uint32_t stack;		/* stack_node.id (a hidden frame: its caller's) */
	uint32_t task;		/* call_rec.task (tasks.c) */
	/* --subtract-probe-cost: start and child corrected (probe_subtract.h) */
	uint64_t start_c, child_c;
};

/*
 * One Python stack of a thread: the thread's own, or a greenlet's (a stack
 * the interpreter switches to and from under one OS thread: greenlet,
 * gevent, eventlet; user/analysis/pystacks.c).
 */
struct pystack {
	struct frame_ent *stack;
	size_t depth, cap;
	uint32_t *active;	/* active[func]: activations on the stack */
	size_t n_active;
	uint64_t bottom_child;	/* time of calls completed at depth 0 not yet
				 * attributed to a frame running since attach */
	uint64_t bottom_child_c;	/* ... corrected (probe_subtract.h) */
	bool unbegun;		/* frames running since attach wait for their
				 * begin: they arrive innermost first */
	struct rt_slices rt;	/* GC collections and imports open */
	uint64_t base;		/* the frame under its bottom frame, not on it
				 * (running since before the attach), 0 if none
				 * or unknown */
	uint32_t track;		/* call_rec.track: 0 the thread's own stack */
};

struct thread_st {
	uint32_t pid, tid;
	/* --subtract-probe-cost: the probe cost the thread paid so far (ns,
	 * its events in order: user/analysis/probe_subtract.h) */
	double pshift;
	uint64_t last_c;	/* its latest corrected time: the next is not
				 * earlier (a cost calibrated above what a hit
				 * took would turn time back) */
	struct pystack s;	/* the stack running now */
	/* the other stacks (greenlets switched away from), and an index of
	 * them by their top frame (their base when empty) -> index + 1 */
	struct pystack *parked;
	size_t n_parked, cap_parked;
	struct hashmap *by_top;
	uint8_t *tracks;	/* tracks[n]: track n is in use */
	size_t n_tracks;
	/* --async-tasks: the task of the next call of frame task_frame
	 * (a TR_EV_TASK precedes it), 0 when none is pending */
	uint64_t task_frame;
	uint32_t task_pending;
};

/* the process of a pid: its live instance, or the last one, ended (its
 * maps freed: a later process with the pid starts clean) */
struct proc_st {
	/* of its description (struct in_process): what the pairing needs; the
	 * rest went to the sinks, so an ended pid keeps ~100 bytes here, not
	 * the description's ~3.4 KiB (the soak: 4 KiB per PID ever seen) */
	uint32_t pid;
	uint32_t instance;
	uint64_t attach_ts;
	uint32_t strategy;	/* enum tr_strategy */
	struct hashmap *code;	/* code object address -> func id + 1 */
	struct jit_map jit;	/* JIT code registered so far */
	struct sample_lines *lines;	/* line tables of sampled code objects */
	uint64_t last_ts;	/* its latest event's time, 0 before any */
	bool ended;		/* its TR_EV_EXIT came */
};

struct analyzer {
	struct sink **sinks;
	int n_sinks;
	int err;
	struct func_table *funcs;
	struct hashmap *procs;		/* pid -> proc_st (never removed: an ended
					 * one keeps pid and instance, ~100 bytes) */
	struct hashmap *threads;	/* pid << 32 | tid -> thread_st (of live
					 * processes: removed when one ends) */
	struct thread_st *last_thread;	/* of the previous event: most events
					 * come in runs of one thread (NULL
					 * when a process ends) */
	struct proc_st *last_proc;	/* stays valid: a proc_st is reset,
					 * never freed, when its pid's process
					 * ends or a new one begins */
	struct stack_table *stacks;	/* only when a sink takes stacks */
	bool want_begin;		/* a sink takes begins */
	/* importlib's _find_and_load, one identity per interpreter version:
	 * its calls tell which import statements load a module */
	uint32_t loaders[8];
	int n_loaders;
	uint32_t *sample_funcs;		/* scratch: one sample's functions */
	size_t cap_sample_funcs;
	bool by_line;			/* --lines: a frame is its function's line */
	uint32_t truncated_func;	/* "[truncated]" + 1, 0 until used */
	uint32_t unsteady_func;		/* "[changed while read]" + 1, 0 until used */
	struct session_stats st;
	struct probe_share *probe_share;	/* st.probe_share, when a sink wants it */
	struct probe_split psplit;	/* --subtract-probe-cost (.on) */
	uint64_t slow_hits;		/* returns from single-stepped sites */
	struct hashmap *tasks;		/* Task address -> struct task_ent list (tasks.c) */
	bool eval_greenlet;		/* greenlet imported in a process traced with eval */
	char **task_names;		/* task_names[n - 1]: task n's name */
	size_t n_tasks, cap_tasks;
	uint64_t *unknown_ts;		/* times of resumptions of unknown task */
	size_t n_unknown_ts, cap_unknown_ts;
	uint64_t unknown_late;		/* ... beyond those kept */
	uint64_t task_absent_until;	/* _asyncio not imported then (TR_TASK_ABSENT) */
};

static inline void note_err(struct analyzer *a, int err)
{
	if (err && !a->err)
		a->err = err;
}

#define FOR_SINKS(a, s) for (int _i = 0; _i < (a)->n_sinks && ((s) = (a)->sinks[_i]); _i++)


/* user/analysis/analyzer.c */
/* the state of a thread, made at its first sight; NULL when out of memory */
struct thread_st *analyzer__thread_of(struct analyzer *a, uint32_t pid, uint32_t tid);
void analyzer__free_thread(void *t);
/* the identity of CODE in process PS, or a placeholder when never described */
int analyzer__func_of(struct analyzer *a, struct proc_st *ps, uint64_t code, uint32_t *id);
/* the function NAME without a file (a placeholder frame): 0 or -ENOMEM */
int analyzer__pseudo_func(struct analyzer *a, const char *name, uint32_t *id);
/* --lines: the frame of line LINE (0: unknown) of function FUNC */
int analyzer__line_func(struct analyzer *a, uint32_t func, uint32_t line, uint32_t *id);

/* user/analysis/tasks.c */
/* TR_EV_TASK: the task of the next call of its frame: 0 or -ENOMEM */
int tasks__event(struct analyzer *a, const struct tr_ev_task *e);
/* the task of a call of FRAME about to be pushed on T: the one a
 * TR_EV_TASK gave it, else its caller's (inherited down the stack) */
uint32_t tasks__of_call(struct thread_st *t, uint64_t frame);
/* the session's end: st.async_unknown */
void tasks__finish(struct analyzer *a);
/* task N's name, NULL for 0 */
const char *tasks__name(const struct analyzer *a, uint32_t n);
void tasks__free(struct analyzer *a);

/* user/analysis/analyzer_procs.c */
/* the state of process PID (entries are never removed), NULL if unknown */
struct proc_st *analyzer__proc(struct analyzer *a, uint32_t pid);
/* the process of an event, with its time; NULL (counted) when the event is
 * not of the pid's live process: skip it. No process known: *SKIP false */
struct proc_st *procs__of_event(struct analyzer *a, const struct tr_ev_hdr *h, bool *skip);
/* TR_EV_EXIT */
int procs__exit(struct analyzer *a, const struct tr_ev_exit *e);
void procs__free(void *ps);

/* user/analysis/call_pairing.c */
int pairing__call(struct analyzer *a, const struct tr_ev_call *e);
int pairing__return(struct analyzer *a, const struct tr_ev_return *e);
int pairing__runtime(struct analyzer *a, const struct tr_ev_runtime *e);
/* T's process or the session ends at END_TS: close everything still open
 * on T, flagged FLAGS (CALL_END_AT_SESSION_END, CALL_END_AT_EXIT) */
void pairing__close_thread(struct analyzer *a, struct thread_st *t, uint64_t end_ts,
			   uint32_t flags);
/* the stack of FUNC called from stack PARENT, told to the sinks if new (0
 * when no sink takes stacks) */
uint32_t pairing__stack_of(struct analyzer *a, uint32_t parent, uint32_t func);

/* user/analysis/pystacks.c: T's running stack becomes the one a call from
 * PARENT (THROW: a frame resumed by gen.throw(), TR_CALL_THROW), or a
 * return of FRAME, belongs to (a greenlet switch happened since T's
 * previous event); 0 or -ENOMEM */
int pystacks__for_call(struct thread_st *t, uint64_t parent, bool throw);
int pystacks__for_return(struct thread_st *t, uint64_t frame);
/* a return of FRAME, found on no stack of T: the frame, running since
 * before the attach, is at the bottom of a greenlet's stack; true when T
 * now runs that stack (a new one if need be) */
bool pystacks__for_unknown_return(struct thread_st *t, uint64_t frame, int *err);
/* FRAME, running since before the attach, returned with T's running stack
 * empty: when it was the stack's base, its caller (not known) is the base
 * now, which the next call's caller becomes (not a new greenlet) */
void pystacks__base_returned(struct thread_st *t, uint64_t frame);
/* at the end: the next parked stack becomes the running one (the running
 * one, closed, is freed); false when none is left */
bool pystacks__next_parked(struct thread_st *t);
void pystacks__free(struct thread_st *t);

/* user/analysis/samples.c */
int samples__event(struct analyzer *a, const struct tr_ev_sample *e);
/* the function "[truncated]" (a cut sampled stack's outermost frame, the
 * frame under which calls deeper than STACK_DEPTH_MAX are): 0 or -ENOMEM */
int samples__truncated_func(struct analyzer *a, uint32_t *id);
/* a JIT registration: into the process's range table, told to the sinks */
int samples__jit(struct analyzer *a, const struct tr_ev_jit *e);
int samples__linetable(struct analyzer *a, const struct tr_ev_linetable *e, size_t len);
#endif
