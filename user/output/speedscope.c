// SPDX-License-Identifier: MIT
/*
 * speedscope's own file format (.speedscope.json, schema
 * https://www.speedscope.app/file-format-schema.json): one "evented"
 * profile per thread, a list of open ("O") and close ("C") events of frames,
 * each naming an entry of shared.frames (here: frame index = function id).
 *
 * Times: "at" is in nanoseconds from the earliest time of the session
 * (integers, exact in a double, where absolute CLOCK_MONOTONIC values would
 * lose the last bits after ~100 days of uptime); each profile starts at its
 * thread's first event and ends at its last.
 *
 * Order: speedscope requires, per profile, that events nest (a C closes the
 * innermost open frame) and that "at" never decreases. The analyzer gives
 * begins (`begin`: O) and completed calls (`call`: C) of a thread nested and
 * in time order, except for a call running since before the attach that is
 * only known at its return: it encloses everything traced on its thread so
 * far, so its O is put at the very start of the thread's events (before
 * those of such calls that came earlier: each encloses the previous ones).
 * As a safety net, "at" is clamped to the thread's latest time so far, and
 * a C that does not match the innermost open frame closes the frames above
 * its own (or is dropped when its frame is not open).
 *
 * CPU samples (--sample) become the same O/C events, the slices of
 * user/output/sample_stack.h. A wall-clock sample (--wall) opens its stack for
 * the real time since the previous tick.
 *
 * Bounded memory: the output is assembled at finish (JSON key order is
 * free, so the frames come after the profiles), and until then the events
 * of each thread go to one temporary file (tmpfile()), in fixed-size
 * blocks chained by offset. A thread keeps one block in memory, the
 * offsets of its first and last blocks, and its open frames.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/array.h"
#include "model/func_names.h"
#include "util/hashmap.h"
#include "util/json_writer.h"
#include "output/observer.h"
#include "output/sample_stack.h"
#include "output/sinks.h"


#define SS_BLOCK_EVENTS 255	/* a block is 4 KiB in the file */

struct ss_event {
	uint64_t at;		/* absolute ns */
	uint32_t frame;		/* function id */
	uint32_t open;		/* 1: O, 0: C */
};

struct ss_block {
	uint64_t next;		/* file offset of the next block, 0 = none */
	uint64_t pad;
	struct ss_event ev[SS_BLOCK_EVENTS];
};

struct ss_thread {
	uint32_t pid, tid;
	char name[sizeof(((struct in_thread *)0)->name)];
	uint64_t n_events;	/* written or buffered, not counting prefix */
	uint64_t first_at, last_at;
	uint64_t first_block, last_block;	/* file offsets + 1, 0 = none */
	struct ss_block buf;	/* events not yet in the file */
	uint32_t n_buf;
	uint32_t *open;		/* frames open now, innermost last */
	size_t depth, cap_open;
	uint32_t *prefix;	/* O events that belong before all others,
				 * in arrival order (the last one outermost) */
	size_t n_prefix, cap_prefix;
	uint64_t prefix_at;
	struct sample_stack samples;	/* --sample: the slices open */
};

struct ss_sink {
	struct sink base;
	FILE *f;
	struct out_file *file;	/* F's, until the end */
	FILE *tmp;		/* the threads' event blocks */
	uint64_t tmp_end;	/* where the next block goes */
	int err;		/* first error (-errno) */
	struct func_names names;
	uint32_t n_frames;	/* highest function id used + 1 */
	struct hashmap *by_tid;	/* pid << 32 | tid -> ss_thread, of processes
				 * not ended: a later thread with the same ids
				 * (a reused pid) has a profile of its own */
	struct ss_thread **threads;	/* in order of first appearance (owned) */
	size_t n_threads, cap_threads;
	char title[640];	/* the first process */
	uint32_t n_procs;
};

static struct sink *ss_open(const char *path)
{
	struct ss_sink *ss = calloc(1, sizeof(*ss));
	int e;

	if (!ss)
		return NULL;
	ss->base.ops = &sink_speedscope;
	ss->base.path = strdup(path);
	ss->by_tid = hashmap__new();
	if (!ss->base.path || !ss->by_tid) {
		e = ENOMEM;
		goto fail;
	}
	ss->f = sink__open_file(path, &ss->file);
	if (!ss->f) {
		e = errno;
		goto fail;
	}
	ss->tmp = tmpfile();
	if (!ss->tmp) {
		e = errno;
		goto fail;
	}
	return &ss->base;
fail:
	out_file__discard(&ss->file);
	hashmap__free(ss->by_tid, NULL);
	free(ss->base.path);
	free(ss);
	errno = e;
	return NULL;
}

static int ss_fail(struct ss_sink *ss, int err)
{
	if (!ss->err)
		ss->err = err;
	return err;
}

static struct ss_thread *ss_thread_of(struct ss_sink *ss, uint32_t pid, uint32_t tid)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	struct ss_thread *t = hashmap__get(ss->by_tid, key);

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t || array__grow((void **)&ss->threads, &ss->cap_threads, ss->n_threads,
			      sizeof(*ss->threads)) ||
	    hashmap__set(ss->by_tid, key, t)) {
		free(t);
		ss_fail(ss, -ENOMEM);
		return NULL;
	}
	t->pid = pid;
	t->tid = tid;
	ss->threads[ss->n_threads++] = t;
	return t;
}

static int ss_process(struct sink *s, const struct in_process *p)
{
	struct ss_sink *ss = (struct ss_sink *)s;

	if (!ss->n_procs++)
		snprintf(ss->title, sizeof(ss->title), "%.*s (pid %u)",
			 (int)strnlen(p->exe, sizeof(p->exe)), p->exe, p->pid);
	return 0;
}

/* a process has ended: its threads' profiles are complete (closed at the
 * finish like the others) */
static int ss_process_end(struct sink *s, const struct proc_end_rec *e)
{
	hashmap__del_upper(((struct ss_sink *)s)->by_tid, e->pid, NULL, NULL);
	return 0;
}

static int ss_on_thread(struct sink *s, const struct in_thread *th)
{
	struct ss_sink *ss = (struct ss_sink *)s;
	struct ss_thread *t = ss_thread_of(ss, th->pid, th->tid);

	if (!t)
		return -ENOMEM;
	memcpy(t->name, th->name, sizeof(t->name));
	return 0;
}

static int ss_func(struct sink *s, const struct func_info *f)
{
	return func_names__set(&((struct ss_sink *)s)->names, f);
}

static int ss_pwrite(struct ss_sink *ss, const void *p, size_t n, uint64_t off)
{
	ssize_t w = pwrite(fileno(ss->tmp), p, n, off);

	if (w == (ssize_t)n)
		return 0;
	return ss_fail(ss, w < 0 ? -errno : -ENOSPC);
}

/* the thread's block is full: append it to the temporary file */
static int ss_flush_block(struct ss_sink *ss, struct ss_thread *t)
{
	uint64_t off = ss->tmp_end;
	int err;

	t->buf.next = 0;
	err = ss_pwrite(ss, &t->buf, sizeof(t->buf), off);
	if (err)
		return err;
	ss->tmp_end += sizeof(t->buf);
	/* chain it: the previous block's next field */
	if (t->last_block) {
		err = ss_pwrite(ss, &off, sizeof(off), t->last_block - 1 +
				offsetof(struct ss_block, next));
		if (err)
			return err;
	} else {
		t->first_block = off + 1;
	}
	t->last_block = off + 1;
	t->n_buf = 0;
	return 0;
}

static int ss_event(struct ss_sink *ss, struct ss_thread *t, uint64_t at, uint32_t frame,
		    bool open)
{
	if (t->n_events && at < t->last_at)
		at = t->last_at;
	if (!t->n_events)
		t->first_at = at;
	t->last_at = at;
	t->n_events++;
	if (frame >= ss->n_frames)
		ss->n_frames = frame + 1;
	t->buf.ev[t->n_buf++] = (struct ss_event){ .at = at, .frame = frame, .open = open };
	return t->n_buf == SS_BLOCK_EVENTS ? ss_flush_block(ss, t) : 0;
}

/* the timeline of C's stack: its thread's, or its greenlet's (call_rec.track
 * N > 0: N << 22 | tid, tids being below 2^22; distinct for N < 1024) */
static uint32_t ss_track_tid(const struct call_rec *c)
{
	return c->track ? c->track << 22 | c->tid : c->tid;
}

static int ss_begin(struct sink *s, const struct call_rec *c)
{
	struct ss_sink *ss = (struct ss_sink *)s;
	struct ss_thread *t = ss_thread_of(ss, c->pid, ss_track_tid(c));

	if (!t)
		return -ENOMEM;
	if (ss->err)
		return ss->err;
	if (array__grow((void **)&t->open, &t->cap_open, t->depth, sizeof(*t->open)))
		return ss_fail(ss, -ENOMEM);
	t->open[t->depth++] = c->func;
	if (t->depth == 1 && t->n_events && c->start_ns < t->last_at &&
	    (c->flags & CALL_BEGAN_BEFORE_ATTACH)) {
		/* known only at its return: it encloses all the thread's
		 * events so far (see the top comment) */
		if (array__grow((void **)&t->prefix, &t->cap_prefix, t->n_prefix,
				sizeof(*t->prefix)))
			return ss_fail(ss, -ENOMEM);
		if (!t->n_prefix || c->start_ns < t->prefix_at)
			t->prefix_at = c->start_ns;
		t->prefix[t->n_prefix++] = c->func;
		if (c->func >= ss->n_frames)
			ss->n_frames = c->func + 1;
		return 0;
	}
	return ss_event(ss, t, c->start_ns, c->func, true);
}

static int ss_call(struct sink *s, const struct call_rec *c)
{
	struct ss_sink *ss = (struct ss_sink *)s;
	struct ss_thread *t = ss_thread_of(ss, c->pid, ss_track_tid(c));
	size_t i;
	int err = 0;

	if (!t)
		return -ENOMEM;
	if (ss->err)
		return ss->err;
	for (i = t->depth; i > 0 && t->open[i - 1] != c->func; i--)
		;
	if (!i)
		return 0;	/* its begin was never told: not nested, dropped */
	while (t->depth >= i && !err)
		err = ss_event(ss, t, c->end_ns, t->open[--t->depth], false);
	return err;
}

struct ss_sample_ctx {
	struct ss_sink *ss;
	struct ss_thread *t;
};

static int ss_sample_slice(void *ctx, uint64_t at, const struct sample_frame *f, bool open)
{
	struct ss_sample_ctx *c = ctx;

	return ss_event(c->ss, c->t, at, f->func, open);
}

static int ss_sample(struct sink *s, const struct sample_rec *r)
{
	struct ss_sink *ss = (struct ss_sink *)s;
	struct ss_sample_ctx c = { ss, ss_thread_of(ss, r->pid, r->tid) };

	if (!c.t)
		return -ENOMEM;
	if (ss->err)
		return ss->err;
	return ss_fail(ss, sample_stack__sample(&c.t->samples, r, ss_sample_slice, &c));
}

/* the title of the file: the traced command, and what samples are */
static void ss_write_head(struct ss_sink *ss, struct json_writer *jw,
			  const struct session_stats *st)
{
	const char *what = !st->samples ? "" : st->samples_wall
		? " (wall-clock samples: every thread, running or not)" : " (CPU samples)";
	char name[760];

	json_writer__raw(jw, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
			 "\"exporter\":\"tracer 0.1\",\"name\":");
	if (ss->n_procs > 1)
		snprintf(name, sizeof(name), "%s and %u more processes%s", ss->title,
			 ss->n_procs - 1, what);
	else
		snprintf(name, sizeof(name), "%s%s", ss->n_procs ? ss->title : "tracer", what);
	/* (the name is what speedscope shows of the file: said there) */
	if (st->probe_cost.subtracted) {
		char sub[300];
		size_t n = strlen(name);

		observer__subtracted(&st->probe_cost, sub, sizeof(sub));
		snprintf(name + n, sizeof(name) - n, " [%s]", sub);
	}
	json_writer__string(jw, name);
	json_writer__raw(jw, ",\"activeProfileIndex\":0,\"profiles\":[");
}

static void ss_write_ev(struct json_writer *jw, const struct ss_event *e, uint64_t base,
			bool *first)
{
	json_writer__printf(jw, "%s{\"type\":\"%c\",\"frame\":%u,\"at\":%llu}",
			    *first ? "" : ",", e->open ? 'O' : 'C', e->frame,
			    (unsigned long long)(e->at - base));
	*first = false;
}

static int ss_write_thread(struct ss_sink *ss, struct json_writer *jw, struct ss_thread *t,
			   uint64_t base, bool comma)
{
	uint64_t start = t->first_at, off = t->first_block;
	struct ss_block *blk;
	char name[96];
	bool first = true;

	if (t->n_prefix && t->prefix_at < start)
		start = t->prefix_at;
	/* the loader names a thread by its tid when its comm was not readable */
	snprintf(name, sizeof(name), "%u", t->tid);
	if (t->tid >> 22)
		snprintf(name, sizeof(name), "greenlet %u (thread %u, pid %u)", t->tid >> 22,
			 t->tid & ((1u << 22) - 1), t->pid);
	else if (t->name[0] && strncmp(t->name, name, sizeof(t->name)))
		snprintf(name, sizeof(name), "%.*s (tid %u, pid %u)",
			 (int)strnlen(t->name, sizeof(t->name)), t->name, t->tid, t->pid);
	else
		snprintf(name, sizeof(name), "thread %u (pid %u)", t->tid, t->pid);
	json_writer__raw(jw, comma ? ",\n{\"type\":\"evented\",\"name\":" :
			 "\n{\"type\":\"evented\",\"name\":");
	json_writer__string(jw, name);
	json_writer__printf(jw, ",\"unit\":\"nanoseconds\",\"startValue\":%llu,"
			    "\"endValue\":%llu,\"events\":[",
			    (unsigned long long)(start - base),
			    (unsigned long long)(t->last_at - base));
	for (size_t i = t->n_prefix; i > 0; i--) {
		struct ss_event e = { .at = start, .frame = t->prefix[i - 1], .open = 1 };

		ss_write_ev(jw, &e, base, &first);
	}
	/* the blocks in the file, then the one in memory */
	blk = off ? malloc(sizeof(*blk)) : NULL;
	if (off && !blk)
		return -ENOMEM;
	while (off) {
		ssize_t r = pread(fileno(ss->tmp), blk, sizeof(*blk), off - 1);

		if (r != (ssize_t)sizeof(*blk)) {
			free(blk);
			return r < 0 ? -errno : -EIO;
		}
		for (uint32_t i = 0; i < SS_BLOCK_EVENTS; i++)
			ss_write_ev(jw, &blk->ev[i], base, &first);
		off = blk->next ? blk->next + 1 : 0;
	}
	free(blk);
	for (uint32_t i = 0; i < t->n_buf; i++)
		ss_write_ev(jw, &t->buf.ev[i], base, &first);
	json_writer__raw(jw, "]}");
	return json_writer__error(jw);
}

static void ss_write_frames(struct ss_sink *ss, struct json_writer *jw)
{
	json_writer__raw(jw, "\n],\"shared\":{\"frames\":[");
	for (uint32_t id = 0; id < ss->n_frames; id++) {
		const struct func_info *fi = func_names__get(&ss->names, id);

		json_writer__raw(jw, id ? ",\n{\"name\":" : "\n{\"name\":");
		if (fi && fi->c_func) {
			char *name = NULL;

			if (asprintf(&name, "%s%s", func_info__mark(fi), fi->qualname) < 0)
				name = NULL;
			json_writer__string(jw, name ? name : fi->qualname);
			free(name);
			json_writer__raw(jw, ",\"file\":");
			json_writer__string(jw, fi->file);
			json_writer__raw(jw, "}");
		} else if (fi) {
			json_writer__string(jw, fi->qualname);
			json_writer__raw(jw, ",\"file\":");
			json_writer__string(jw, fi->file);
			/* --lines: a line frame is at its line */
			json_writer__printf(jw, ",\"line\":%u}", fi->at_line ? fi->at_line : fi->line);
		} else {
			char unk[40];

			snprintf(unk, sizeof(unk), "<unknown function %u>", id);
			json_writer__string(jw, unk);
			json_writer__raw(jw, "}");
		}
	}
	json_writer__raw(jw, "\n]}}\n");
}

static int ss_finish(struct sink *s, const struct session_stats *st)
{
	struct ss_sink *ss = (struct ss_sink *)s;
	struct json_writer jw;
	uint64_t base = UINT64_MAX;
	size_t n_written = 0;
	int err = ss->err;

	/* the analyzer closes every call at the end; close what is left */
	for (size_t i = 0; i < ss->n_threads && !err; i++) {
		struct ss_thread *t = ss->threads[i];
		struct ss_sample_ctx c = { ss, t };

		err = sample_stack__close(&t->samples, ss_sample_slice, &c);
		while (t->depth && !err)
			err = ss_event(ss, t, t->last_at, t->open[--t->depth], false);
		if (t->n_events && t->first_at < base)
			base = t->first_at;
		if (t->n_events && t->n_prefix && t->prefix_at < base)
			base = t->prefix_at;
	}
	json_writer__init(&jw, ss->f);
	if (!err) {
		ss_write_head(ss, &jw, st);
		for (size_t i = 0; i < ss->n_threads && !err; i++) {
			if (!ss->threads[i]->n_events)
				continue;
			err = ss_write_thread(ss, &jw, ss->threads[i], base, n_written++);
		}
		if (!n_written)	/* nothing traced: one empty profile, still valid */
			json_writer__raw(&jw, "\n{\"type\":\"evented\",\"name\":\"no calls traced\","
					 "\"unit\":\"nanoseconds\",\"startValue\":0,"
					 "\"endValue\":0,\"events\":[]}");
		ss_write_frames(ss, &jw);
	}
	if (!err)
		err = json_writer__flush(&jw);
	return sink__close_file(&ss->file, &ss->f, err);
}

static void ss_free_thread(void *p)
{
	struct ss_thread *t = p;

	free(t->open);
	free(t->prefix);
	sample_stack__free(&t->samples);
	free(t);
}

static void ss_free(struct sink *s)
{
	struct ss_sink *ss = (struct ss_sink *)s;

	if (!ss)
		return;
	out_file__discard(&ss->file);
	if (ss->tmp)
		fclose(ss->tmp);
	hashmap__free(ss->by_tid, NULL);
	for (size_t i = 0; i < ss->n_threads; i++)
		ss_free_thread(ss->threads[i]);
	free(ss->threads);
	func_names__free(&ss->names);
	free(ss->base.path);
	free(ss);
}

const struct sink_ops sink_speedscope = {
	.name = "speedscope",
	.suffix = ".speedscope.json",
	.help = "speedscope's format, one timeline per thread (speedscope.app)",
	.open = ss_open,
	.process = ss_process,
	.process_end = ss_process_end,
	.thread = ss_on_thread,
	.func = ss_func,
	.begin = ss_begin,
	.call = ss_call,
	.sample = ss_sample,
	.finish = ss_finish,
	.free = ss_free,
};
