// SPDX-License-Identifier: MIT
/*
 * Greenlets' tracks (call_rec.track > 0, user/analysis/pystacks.c): each is a
 * track of its own under its thread's, named "greenlet N", with a packet
 * sequence of its own (its slices nest by themselves, apart from the
 * thread's and the other greenlets'), like a thread's (pf_thread).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/pftrace/internal.h"
#include "output/pftrace/fields.h"

/* the state of the track of C's stack: its thread's, its greenlet's, or
 * its asyncio task's */
struct pf_thread *pf_track_of(struct pftrace_sink *ps, const struct call_rec *c)
{
	/* pids and tids are below 2^22 */
	uint64_t key = (uint64_t)c->track << 44 | (uint64_t)c->pid << 22 | c->tid;
	struct pf_thread *th = pf_thread_get(ps, c->pid, c->tid, NULL, 0), *t;
	struct pb_writer *pb = &ps->pb;
	char name[320];	/* a task's name: at most 2 * TR_TASKNAME_MAX + 3 bytes */
	size_t p, m;

	/* --async-tasks: an asyncio Task's track, "task NAME", under the
	 * thread that runs it (a task runs on its loop's thread) */
	if (c->task)
		key = 1ull << 63 | (uint64_t)c->pid << 32 | c->task;
	if ((!c->track && !c->task) || !th)
		return th;
	if (!ps->greenlets && !(ps->greenlets = hashmap__new()))
		return NULL;
	t = hashmap__get(ps->greenlets, key);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t || hashmap__set(ps->greenlets, key, t)) {
		free(t);
		return NULL;
	}
	t->pid = c->pid;
	t->tid = c->tid;
	t->uuid = ps->next_uuid++;	/* above any pid << 32 | tid */
	t->seq = ps->next_seq++;
	p = pf_packet(ps, SEQ_GLOBAL);
	m = pb__begin(pb, TP_TRACK_DESCRIPTOR);
	pb__uint(pb, TD_UUID, t->uuid);
	pb__uint(pb, TD_PARENT_UUID, th->uuid);
	if (c->task)
		snprintf(name, sizeof(name), "task %s", c->task_name ? c->task_name : "?");
	else
		snprintf(name, sizeof(name), "greenlet %u", c->track);
	pf_text(pb, TD_NAME, name, strlen(name));
	pb__end(pb, m);
	pf_packet_end(ps, p);
	return t;
}
