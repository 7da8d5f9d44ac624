// SPDX-License-Identifier: MIT
/*
 * Several Python stacks on one OS thread: greenlets.
 *
 * greenlet (and gevent and eventlet on top of it) runs many Python stacks on
 * one OS thread: greenlet.switch() saves the thread state's frame chain and
 * puts another one in its place. The switch is a C call: no Python event
 * marks it. It shows in the events that follow, though, because each call
 * carries its caller frame (PARENT) and each return its frame (USDT and
 * dispatch strategies): after a switch, a call's caller is not the top of
 * the running stack but the top of another one, and a return's frame is the
 * top of another stack. A greenlet's first frame (its `run`) has no caller:
 * greenlet starts it on an empty frame chain (PARENT 0), while the running
 * stack has frames.
 *
 * So each thread keeps one shadow stack per greenlet (struct pystack): the
 * running one in thread_st.s, the others parked, found by their top frame.
 * Before each event the pairing (user/analysis/call_pairing.c) asks which
 * stack the event belongs to, and switches:
 *
 *  call from PARENT:  the running stack's top is PARENT (or it is empty and
 *      PARENT is 0): no switch. A parked stack's top (or, empty, its base) is
 *      PARENT: switch to it. PARENT 0: a new greenlet starts, on a new stack.
 *      PARENT deeper in the running stack: no switch (returns not probed,
 *      or lost: the pairing handles it). PARENT nowhere: a greenlet
 *      suspended since before the attach resumed (its frames were not on
 *      the chain the BPF side walked at the thread's first event): a new
 *      stack whose base is PARENT. Unless the call is a gen.throw()
 *      (TR_CALL_THROW), whose PARENT can be a delegating generator that
 *      never ran (see pystacks__for_call): on the running stack.
 *  return of FRAME:   on the running stack's top, or deeper: no switch. On
 *      a parked stack's top: switch to it. Nowhere: when it is a stack's
 *      base, that stack (its greenlet's frame running since before the
 *      attach returns); else a new stack: a greenlet suspended since before
 *      the attach, whose frames were on no chain the BPF side walked (its
 *      first event after the attach may well be a return). Without
 *      greenlets only a lost call (events lost: counted and said) leaves a
 *      return on no stack: its frame then shows as running since before
 *      the attach, on a stack of its own, rather than being dropped.
 *
 * Only where returns carry their frame (USDT, dispatch): the EVAL strategy's
 * come from uretprobes, which greenlet's copying of C stacks confuses
 * anyway, and its calls' callers are read at the evaluator's entry, not
 * exact enough: there a thread has one stack, as before.
 *
 * Each stack is a track of the thread (call_rec.track): 0 is the thread's
 * first stack, greenlets are numbered from 1 per thread; a greenlet whose
 * stack has emptied (its `run` returned) is dead, and its number goes to the
 * next greenlet: tracks are not reused while their greenlet lives, so the
 * events of a track nest. Durations are wall times from call to return, as
 * sys.setprofile sees them (a frame that switched away stays open on its
 * stack); self time is a frame's duration minus its callees' on the same
 * stack.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/internal.h"
#include "util/array.h"

/* the frame a parked stack is found by: its top, or its base when empty */
static uint64_t key_of(const struct pystack *s)
{
	return s->depth ? s->stack[s->depth - 1].frame : s->base;
}

static void stack_free(struct pystack *s)
{
	free(s->stack);
	free(s->active);
	rt_slices__free(&s->rt);
}

/* a dead greenlet's stack: emptied, nothing under it */
static bool is_dead(const struct pystack *s)
{
	return s->track && !s->depth && !s->base && !s->rt.n;
}

static void track_release(struct thread_st *t, uint32_t track)
{
	if (track < t->n_tracks)
		t->tracks[track] = 0;
}

/* the lowest track not in use (0 is the thread's own): 0 on ENOMEM */
static uint32_t track_take(struct thread_st *t)
{
	size_t i;

	for (i = 1; i < t->n_tracks; i++)
		if (!t->tracks[i])
			break;
	if (i >= t->n_tracks) {
		size_t n = t->n_tracks ? t->n_tracks * 2 : 16;
		uint8_t *v = realloc(t->tracks, n);

		if (!v)
			return 0;
		memset(v + t->n_tracks, 0, n - t->n_tracks);
		if (!t->n_tracks)
			v[0] = 1;
		t->tracks = v;
		i = t->n_tracks ? t->n_tracks : 1;
		t->n_tracks = n;
	}
	t->tracks[i] = 1;
	return i;
}

/* park the running stack (a dead one is freed instead) */
static int park_running(struct thread_st *t)
{
	uint64_t key = key_of(&t->s);

	if (is_dead(&t->s)) {
		/* nothing can resume it: a new greenlet starts on a new stack */
		track_release(t, t->s.track);
		stack_free(&t->s);
		memset(&t->s, 0, sizeof(t->s));
		return 0;
	}
	if (!t->by_top && !(t->by_top = hashmap__new()))
		return -ENOMEM;
	if (array__grow((void **)&t->parked, &t->cap_parked, t->n_parked, sizeof(*t->parked)))
		return -ENOMEM;
	if (key && hashmap__set(t->by_top, key, (void *)(uintptr_t)(t->n_parked + 1)))
		return -ENOMEM;
	t->parked[t->n_parked++] = t->s;
	memset(&t->s, 0, sizeof(t->s));
	return 0;
}

/* the parked stack found by KEY, made the running one (the running one
 * parked): true if there is one */
static bool unpark(struct thread_st *t, uint64_t key, int *err)
{
	uintptr_t i = t->by_top && key ? (uintptr_t)hashmap__get(t->by_top, key) : 0;
	struct pystack s;

	if (!i || i > t->n_parked || key_of(&t->parked[i - 1]) != key)
		return false;
	hashmap__del(t->by_top, key);
	s = t->parked[i - 1];
	/* the last parked stack takes its place */
	if (i != t->n_parked) {
		t->parked[i - 1] = t->parked[t->n_parked - 1];
		uint64_t k = key_of(&t->parked[i - 1]);
		if (k)
			hashmap__set(t->by_top, k, (void *)i);
	}
	t->n_parked--;
	*err = park_running(t);
	t->s = s;
	return true;
}

/* a new stack (a greenlet) becomes the running one, with BASE under it */
static int start_new(struct thread_st *t, uint64_t base)
{
	uint32_t track = track_take(t);
	int err;

	if (!track)
		return -ENOMEM;
	err = park_running(t);
	if (err) {
		track_release(t, track);
		return err;
	}
	t->s.track = track;
	t->s.base = base;
	return 0;
}

static bool on_running(const struct thread_st *t, uint64_t frame)
{
	for (size_t i = t->s.depth; i > 0; i--)
		if (t->s.stack[i - 1].frame == frame)
			return true;
	return false;
}

int pystacks__for_call(struct thread_st *t, uint64_t parent, bool throw)
{
	int err = 0;

	if (t->s.depth ? t->s.stack[t->s.depth - 1].frame == parent : t->s.base == parent)
		return 0;
	if (unpark(t, parent, &err))
		return err;
	/* the running stack is a dead greenlet's (emptied): the event is of
	 * another greenlet */
	bool dead = is_dead(&t->s);

	if (!parent)
		return t->s.depth || t->s.base || dead ? start_new(t, 0) : 0;
	if (!t->s.depth && !t->s.base && !dead) {
		/* the thread's first stack, empty, adopts a caller running since
		 * before the attach */
		t->s.base = parent;
		return 0;
	}
	/* a throw is made by the running frame (a C call of its): where its
	 * PARENT is on no stack, CPython made a generator current only to
	 * hand the throw on to the one it delegates to, without running it
	 * (_gen_throw, `yield from`/await), and no event started it: the
	 * call belongs on the running stack, as sys.setprofile's nesting
	 * of events has it */
	if (throw || on_running(t, parent))
		return 0;
	return start_new(t, parent);
}

int pystacks__for_return(struct thread_st *t, uint64_t frame)
{
	int err = 0;

	if (!frame || (t->s.depth && t->s.stack[t->s.depth - 1].frame == frame))
		return 0;
	unpark(t, frame, &err);
	return err;
}

bool pystacks__for_unknown_return(struct thread_st *t, uint64_t frame, int *err)
{
	*err = 0;
	if (t->s.base == frame) {
		t->s.base = 0;
		return !t->s.depth;
	}
	if (unpark(t, frame, err)) {
		/* found by its base (its top would have been found before) */
		t->s.base = 0;
		return !*err && !t->s.depth;
	}
	*err = start_new(t, 0);
	return !*err;
}

void pystacks__base_returned(struct thread_st *t, uint64_t frame)
{
	if (!t->s.depth && t->s.base == frame)
		t->s.base = 0;
}

bool pystacks__next_parked(struct thread_st *t)
{
	if (!t->n_parked)
		return false;
	stack_free(&t->s);
	t->s = t->parked[--t->n_parked];
	return true;
}

void pystacks__free(struct thread_st *t)
{
	stack_free(&t->s);
	for (size_t i = 0; i < t->n_parked; i++)
		stack_free(&t->parked[i]);
	free(t->parked);
	free(t->tracks);
	hashmap__free(t->by_top, NULL);
}
