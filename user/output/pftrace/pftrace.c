// SPDX-License-Identifier: MIT
/*
 * Perfetto protobuf trace (.pftrace): a stream of Trace.packet
 * (TracePacket) records, opened by ui.perfetto.dev and trace_processor.
 * Streamed while tracing: a slice begins when a call begins (`begin`) and
 * ends when it completes (`call`); memory is the function names and a
 * little per thread, never per call.
 *
 * Layout:
 *  - sequence 1 (this writer's "global" sequence): a ClockSnapshot making
 *    CLOCK_MONOTONIC the trace clock (the tracer's timestamps are
 *    bpf_ktime_get_ns), the track descriptors (a process track per process,
 *    a thread track per thread under it, a "tracer" track), an instant event
 *    on each process track saying the strategy and the warnings of that
 *    process and one at its end if it ended (user/output/pftrace/proc.c: a
 *    reused pid gets new tracks), and at the end a slice over the whole session on the tracer
 *    track whose name says the events seen and lost and whose arguments
 *    hold every counter: a partial trace always says so.
 *  - one packet sequence per thread (trusted_packet_sequence_id), so that
 *    every event packet can leave out what is the same for the thread:
 *    the track (TrackEventDefaults.track_uuid) and the absolute time: the
 *    sequence's first packet defines a sequence-scoped clock (id 64) that
 *    is incremental, i.e. each packet's timestamp is the nanoseconds since
 *    the previous packet of the thread (1 to 3 bytes instead of 8), and
 *    makes it the sequence's default clock.
 *  - names are interned per sequence: a function's EventName is sent with
 *    the first begin of that function on the thread, then referred to by
 *    iid = func_info.id + 1; the one category "python" has iid 1.
 * A begin is then 14-16 bytes (packet and sequence id 4, time delta 3,
 * type, category and name 7-8) and an end 11: under 16 bytes per BPF event
 * (two per call), the goal. A function's file and line (SourceLocation)
 * would cost 3-4 more bytes per begin, i.e. 1.5-2 per event, more than
 * the margin left, so slices carry the qualified name only (as the slice
 * names of the Chrome trace).
 *
 * A begin whose time is before the previous packet of its thread (the one
 * exception in model.h: a call running since before the attach, known only
 * at its return) carries an absolute CLOCK_MONOTONIC timestamp instead; an
 * incremental clock cannot go back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "model/func_names.h"
#include "util/hashmap.h"
#include "util/pb_writer.h"
#include "output/pftrace/fields.h"
#include "output/pftrace/internal.h"
#include "model/rec_labels.h"
#include "util/text_escape.h"
#include "output/sinks.h"


#define SEQ_INCREMENTAL_STATE_CLEARED 1
#define CLOCK_MONOTONIC_ID 3		/* BuiltinClock */
#define CLOCK_SEQ_INCREMENTAL 64	/* first sequence-scoped clock id */
#define FLUSH_AT (64 << 10)

/* the flags of a call, as debug annotations (their names interned) */
static const struct {
	uint32_t flag;		/* CALL_* */
	uint32_t iid;		/* DA_* */
	const char *name;
} call_flags[] = {
	{ CALL_BEGAN_BEFORE_ATTACH, DA_BEGAN_BEFORE_ATTACH, "began_before_attach" },
	{ CALL_END_INFERRED, DA_END_INFERRED, "end_inferred" },
	{ CALL_END_AT_SESSION_END, DA_END_AT_SESSION_END, "end_at_session_end" },
	{ CALL_END_AT_EXIT, DA_END_AT_EXIT, "end_at_exit" },
	{ CALL_C_EXCEPTION, DA_C_EXCEPTION, "c_exception" },
};
#define N_CALL_FLAGS (sizeof(call_flags) / sizeof(call_flags[0]))

/* write the packets built so far; the first error is kept */
static int pf_flush(struct pftrace_sink *ps)
{
	size_t n = pb_writer__len(&ps->pb);

	if (!ps->err)
		ps->err = pb_writer__error(&ps->pb);
	if (!ps->err && n) {
		errno = 0;
		if (fwrite(pb_writer__data(&ps->pb), 1, n, ps->f) != n)
			ps->err = errno ? -errno : -EIO;
	}
	pb_writer__reset(&ps->pb);
	return ps->err;
}

/* open a TracePacket of sequence SEQ; close it with pf_packet_end */
size_t pf_packet(struct pftrace_sink *ps, uint32_t seq)
{
	size_t t = pb__begin(&ps->pb, TRACE_PACKET);

	pb__uint(&ps->pb, TP_SEQ_ID, seq);
	return t;
}

int pf_packet_end(struct pftrace_sink *ps, size_t token)
{
	pb__end(&ps->pb, token);
	if (pb_writer__len(&ps->pb) >= FLUSH_AT || pb_writer__error(&ps->pb))
		return pf_flush(ps);
	return ps->err;
}

static void pf_clock(struct pb_writer *pb, uint32_t id, uint64_t ts, bool incremental)
{
	size_t c = pb__begin(pb, CS_CLOCKS);

	pb__uint(pb, CLK_ID, id);
	pb__uint(pb, CLK_TIMESTAMP, ts);
	if (incremental)
		pb__uint(pb, CLK_INCREMENTAL, 1);
	pb__end(pb, c);
}

static void pf_free(struct sink *s);

static struct sink *pf_open(const char *path)
{
	struct pftrace_sink *ps = calloc(1, sizeof(*ps));
	struct pb_writer *pb;
	size_t t, m;

	if (!ps)
		return NULL;
	ps->base.ops = &sink_pftrace;
	ps->base.path = strdup(path);
	ps->threads = hashmap__new();
	ps->procs = hashmap__new();
	ps->next_seq = SEQ_GLOBAL + 1;
	ps->next_uuid = PF_REUSED_UUID;
	pb = &ps->pb;
	pb_writer__init(pb);
	if (!ps->base.path || !ps->threads || !ps->procs) {
		pf_free(&ps->base);
		errno = ENOMEM;
		return NULL;
	}
	ps->f = sink__open_file(path, &ps->file);
	if (!ps->f) {
		int e = errno;

		pf_free(&ps->base);
		errno = e;
		return NULL;
	}
	/* the trace clock is CLOCK_MONOTONIC; a snapshot relates it to a
	 * clock of this sequence (a snapshot needs two clocks) */
	t = pf_packet(ps, SEQ_GLOBAL);
	pb__uint(pb, TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	m = pb__begin(pb, TP_DEFAULTS);
	pb__uint(pb, TPD_TIMESTAMP_CLOCK_ID, CLOCK_MONOTONIC_ID);
	pb__end(pb, m);
	m = pb__begin(pb, TP_CLOCK_SNAPSHOT);
	pf_clock(pb, CLOCK_MONOTONIC_ID, 0, false);
	pf_clock(pb, CLOCK_SEQ_INCREMENTAL, 0, false);
	pb__uint(pb, CS_PRIMARY_TRACE_CLOCK, CLOCK_MONOTONIC_ID);
	pb__end(pb, m);
	pf_packet_end(ps, t);
	/* the track of the session's own events */
	t = pf_packet(ps, SEQ_GLOBAL);
	m = pb__begin(pb, TP_TRACK_DESCRIPTOR);
	pb__uint(pb, TD_UUID, PF_TRACER_TRACK_UUID);
	pb__string(pb, TD_NAME, "tracer");
	pb__end(pb, m);
	pf_packet_end(ps, t);
	return &ps->base;
}

/* warnings as arguments warning_1, warning_2... */
void pf_arg_warnings(struct pb_writer *pb, const char (*w)[256], uint32_t n)
{
	for (uint32_t i = 0; i < n && i < IN_MAX_WARNINGS; i++) {
		char key[24];

		snprintf(key, sizeof(key), "warning_%u", i + 1);
		pf_arg_str(pb, key, w[i], strnlen(w[i], sizeof(w[i])));
	}
}

void pf_text(struct pb_writer *pb, uint32_t field, const char *s, size_t n)
{
	char *fixed;

	if (text_escape__is_utf8(s, n)) {
		pb__bytes(pb, field, s, n);
		return;
	}
	fixed = text_escape__utf8(s, n);
	pb__string(pb, field, fixed ? fixed : "?");
	free(fixed);
}

/* a debug annotation NAME = S (N bytes) or = V */
void pf_arg_str(struct pb_writer *pb, const char *name, const char *s, size_t n)
{
	size_t a = pb__begin(pb, TE_DEBUG_ANNOTATIONS);

	pb__string(pb, DA_NAME, name);
	pf_text(pb, DA_STRING, s, n);
	pb__end(pb, a);
}

void pf_arg_uint(struct pb_writer *pb, const char *name, uint64_t v)
{
	size_t a = pb__begin(pb, TE_DEBUG_ANNOTATIONS);

	pb__string(pb, DA_NAME, name);
	pb__uint(pb, DA_UINT, v);
	pb__end(pb, a);
}


void pf_thread_free(void *p)
{
	struct pf_thread *t = p;

	free(t->sent);
	sample_stack__free(&t->samples);
	free(t);
}

/* describe the track of thread TH (NAME: N bytes) */
static void pf_describe_thread(struct pftrace_sink *ps, const struct pf_thread *th,
			       const char *name, size_t n)
{
	struct pb_writer *pb = &ps->pb;
	size_t t = pf_packet(ps, SEQ_GLOBAL), m, d;

	m = pb__begin(pb, TP_TRACK_DESCRIPTOR);
	pb__uint(pb, TD_UUID, th->uuid);
	if (hashmap__get(ps->procs, th->pid))
		pb__uint(pb, TD_PARENT_UUID, pf_proc_uuid(ps, th->pid));
	d = pb__begin(pb, TD_THREAD);
	pb__uint(pb, THD_PID, th->pid);
	pb__uint(pb, THD_TID, th->tid);
	if (n)
		pf_text(pb, THD_THREAD_NAME, name, n);
	pb__end(pb, d);
	pb__end(pb, m);
	pf_packet_end(ps, t);
}

/* the state of thread PID/TID, created (and described, when NAME) if new */
struct pf_thread *pf_thread_get(struct pftrace_sink *ps, uint32_t pid, uint32_t tid,
				       const char *name, size_t name_n)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	struct pf_thread *t = ps->last;

	if (t && t->pid == pid && t->tid == tid)
		return t;
	t = hashmap__get(ps->threads, key);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || hashmap__set(ps->threads, key, t)) {
			free(t);
			return NULL;
		}
		t->pid = pid;
		t->tid = tid;
		t->uuid = pf_thread_uuid(ps, pid, tid);
		t->seq = ps->next_seq++;
		pf_describe_thread(ps, t, name, name_n);
	}
	return ps->last = t;
}

static int pf_thread(struct sink *s, const struct in_thread *th)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;

	size_t n = strnlen(th->name, sizeof(th->name));
	bool known = hashmap__get(ps->threads, (uint64_t)th->pid << 32 | th->tid);
	struct pf_thread *t = pf_thread_get(ps, th->pid, th->tid, th->name, n);

	if (!t)
		return -ENOMEM;
	if (known)	/* told again (renamed): describe it again */
		pf_describe_thread(ps, t, th->name, n);
	return ps->err;
}

static int pf_func(struct sink *s, const struct func_info *f)
{
	return func_names__set(&((struct pftrace_sink *)s)->names, f);
}

/* The first packet of thread T's sequence, at time TS: the incremental
 * clock, the defaults (that clock, the thread's track), the category. */
void pf_start_sequence(struct pftrace_sink *ps, struct pf_thread *t, uint64_t ts)
{
	struct pb_writer *pb = &ps->pb;
	size_t p = pf_packet(ps, t->seq), m, d, e;

	pb__uint(pb, TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	m = pb__begin(pb, TP_DEFAULTS);
	pb__uint(pb, TPD_TIMESTAMP_CLOCK_ID, CLOCK_SEQ_INCREMENTAL);
	d = pb__begin(pb, TPD_TRACK_EVENT_DEFAULTS);
	pb__uint(pb, TED_TRACK_UUID, t->uuid);
	pb__end(pb, d);
	pb__end(pb, m);
	m = pb__begin(pb, TP_INTERNED_DATA);
	e = pb__begin(pb, ID_EVENT_CATEGORIES);
	pb__uint(pb, IE_IID, CATEGORY_IID);
	pb__string(pb, IE_NAME, "python");
	pb__end(pb, e);
	pb__end(pb, m);
	m = pb__begin(pb, TP_CLOCK_SNAPSHOT);
	pf_clock(pb, CLOCK_SEQ_INCREMENTAL, ts, true);
	pf_clock(pb, CLOCK_MONOTONIC_ID, ts, false);
	pb__end(pb, m);
	pf_packet_end(ps, p);
	t->started = true;
	t->clock = ts;
}

/* the timestamp of a packet of T at TS: a delta, or absolute if TS is
 * before the previous packet */
void pf_timestamp(struct pb_writer *pb, struct pf_thread *t, uint64_t ts)
{
	if (ts >= t->clock) {
		pb__uint(pb, TP_TIMESTAMP, ts - t->clock);
		t->clock = ts;
	} else {
		pb__uint(pb, TP_TIMESTAMP, ts);
		pb__uint(pb, TP_TIMESTAMP_CLOCK_ID, CLOCK_MONOTONIC_ID);
	}
}

/* bit I of a bitmap of *CAP bytes at *MAP: set it and say whether it was
 * clear; -ENOMEM */
static int pf_first_use(uint8_t **map, size_t *cap, uint32_t i)
{
	if (array__grow((void **)map, cap, i >> 3, 1))
		return -ENOMEM;
	if ((*map)[i >> 3] & (1u << (i & 7)))
		return 0;
	(*map)[i >> 3] |= 1u << (i & 7);
	return 1;
}

/* interned data for the first use of FUNC on T's sequence */
int pf_intern_func(struct pftrace_sink *ps, struct pf_thread *t, uint32_t func)
{
	struct pb_writer *pb = &ps->pb;
	const struct func_info *f;
	char unk[40];
	size_t m, e;
	int first = pf_first_use(&t->sent, &t->cap_sent, func);

	if (first <= 0)
		return first;
	f = func_names__get(&ps->names, func);
	if (!f)
		snprintf(unk, sizeof(unk), "<unknown function %u>", func);
	m = pb__begin(pb, TP_INTERNED_DATA);
	e = pb__begin(pb, ID_EVENT_NAMES);
	pb__uint(pb, IE_IID, func + 1);
	pf_text(pb, IE_NAME, f ? f->qualname : unk, strlen(f ? f->qualname : unk));
	pb__end(pb, e);
	pb__end(pb, m);
	return 0;
}

/* The TrackEvent of the begin (BEGIN) or the end of C: a type, for a
 * begin the category and name, and its flags known then as arguments
 * (with their names interned if this sequence has not had them yet). */
static void pf_event(struct pftrace_sink *ps, struct pf_thread *t, const struct call_rec *c,
		     bool begin)
{
	struct pb_writer *pb = &ps->pb;
	uint32_t flags = c->flags & (begin ? CALL_BEGAN_BEFORE_ATTACH
					   : CALL_END_INFERRED | CALL_END_AT_SESSION_END |
					     CALL_END_AT_EXIT | CALL_C_EXCEPTION);
	uint32_t want[N_CALL_FLAGS], n = 0;
	size_t m = 0, e;
	bool open = false;

	for (uint32_t i = 0; i < N_CALL_FLAGS; i++) {
		if (!(flags & call_flags[i].flag))
			continue;
		want[n++] = call_flags[i].iid;
		if (t->flags_sent & (1u << call_flags[i].iid))
			continue;
		t->flags_sent |= 1u << call_flags[i].iid;
		if (!open)
			m = pb__begin(pb, TP_INTERNED_DATA);
		open = true;
		e = pb__begin(pb, ID_DEBUG_ANNOTATION_NAMES);
		pb__uint(pb, IE_IID, call_flags[i].iid);
		pb__string(pb, IE_NAME, call_flags[i].name);
		pb__end(pb, e);
	}
	if (open)
		pb__end(pb, m);
	m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, begin ? TYPE_SLICE_BEGIN : TYPE_SLICE_END);
	for (uint32_t i = 0; i < n; i++) {
		e = pb__begin(pb, TE_DEBUG_ANNOTATIONS);
		pb__uint(pb, DA_NAME_IID, want[i]);
		pb__uint(pb, DA_BOOL, 1);
		pb__end(pb, e);
	}
	if (begin) {
		pb__uint(pb, TE_CATEGORY_IIDS, CATEGORY_IID);
		pb__uint(pb, TE_NAME_IID, c->func + 1);
		/* --async-tasks: the asyncio Task it runs for */
		if (c->task_name)
			pf_arg_str(pb, "task", c->task_name, strlen(c->task_name));
	}
	pb__end(pb, m);
}

static int pf_begin(struct sink *s, const struct call_rec *c)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	struct pf_thread *t = pf_track_of(ps, c);
	size_t p;

	if (!t)
		return -ENOMEM;
	if (!t->started)
		pf_start_sequence(ps, t, c->start_ns);
	p = pf_packet(ps, t->seq);
	if (pf_intern_func(ps, t, c->func)) {
		/* the packet stays unfinished: write nothing more */
		ps->err = ps->err ? ps->err : -ENOMEM;
		return -ENOMEM;
	}
	pf_timestamp(&ps->pb, t, c->start_ns);
	pf_event(ps, t, c, true);
	return pf_packet_end(ps, p);
}

static int pf_call(struct sink *s, const struct call_rec *c)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	struct pf_thread *t = pf_track_of(ps, c);
	size_t p;

	if (!t)
		return -ENOMEM;
	if (!t->started)
		return 0;	/* no begin: cannot happen with a begin callback */
	p = pf_packet(ps, t->seq);
	pf_timestamp(&ps->pb, t, c->end_ns);
	pf_event(ps, t, c, false);
	return pf_packet_end(ps, p);
}

/*
 * A GC collection or an import, told when it has ended: its begin goes out
 * of stream order (an absolute timestamp, before slices of calls inside
 * it); trace processors sort a sequence's packets by time.
 */
static int pf_runtime(struct sink *s, const struct runtime_rec *r)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	struct pf_thread *t = pf_thread_get(ps, r->pid, r->tid, NULL, 0);
	struct pb_writer *pb = &ps->pb;
	char label[TR_MODNAME_MAX + 16];
	const char *what;
	bool gc = r->kind == TR_RT_GC;
	size_t p, m;
	int err;

	if (!t)
		return -ENOMEM;
	if (!t->started)
		pf_start_sequence(ps, t, r->start_ns);
	p = pf_packet(ps, t->seq);
	pf_timestamp(pb, t, r->start_ns);
	m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, TYPE_SLICE_BEGIN);
	pb__string(pb, TE_CATEGORIES, gc ? "gc" : "import");
	what = runtime_rec__label(r, label, sizeof(label));
	pf_text(pb, TE_NAME, what, strlen(what));
	if (gc && r->generation >= 0)
		pf_arg_uint(pb, "generation", r->generation);
	if (gc && r->result >= 0)
		pf_arg_uint(pb, "unreachable", r->result);
	if (!gc && r->name)
		pf_arg_str(pb, "module", r->name, strlen(r->name));
	if (!gc && r->result >= 0)
		pf_arg_uint(pb, "loaded", r->result);
	for (uint32_t i = 0; i < N_CALL_FLAGS; i++)
		if (r->flags & call_flags[i].flag)
			pf_arg_uint(pb, call_flags[i].name, 1);
	pb__end(pb, m);
	err = pf_packet_end(ps, p);
	if (err)
		return err;
	p = pf_packet(ps, t->seq);
	pf_timestamp(pb, t, r->end_ns);
	m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, TYPE_SLICE_END);
	pb__end(pb, m);
	return pf_packet_end(ps, p);
}

/* the session as a slice of the tracer track, its counters as arguments */
static void pf_session(struct pftrace_sink *ps, const struct session_stats *st)
{
	static const char *const drop_names[TR_DROP__COUNT] = {
		"lost_ringbuf_full", "lost_map_full", "lost_read_failed", "lost_no_config",
		"lost_foreign_thread_state", "lost_no_python_stack",
	};
	struct pb_writer *pb = &ps->pb;
	char name[160];
	size_t t, m;

	snprintf(name, sizeof(name), "tracer: %llu events, %llu lost%s%s",
		 (unsigned long long)st->events, (unsigned long long)st->lost_total,
		 st->lost_total ? " (INCOMPLETE)" : "",
		 st->end_flags & IN_END_RECORDING_TRUNCATED ? ", recording truncated" : "");
	t = pf_packet(ps, SEQ_GLOBAL);
	pb__uint(pb, TP_TIMESTAMP, st->first_ts);
	m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, TYPE_SLICE_BEGIN);
	pb__uint(pb, TE_TRACK_UUID, PF_TRACER_TRACK_UUID);
	pb__string(pb, TE_CATEGORIES, "tracer");
	pb__string(pb, TE_NAME, name);
	pf_arg_str(pb, "clock", "CLOCK_MONOTONIC", 15);
	pf_arg_uint(pb, "events", st->events);
	pf_arg_uint(pb, "calls", st->calls);
	pf_arg_uint(pb, "lost", st->lost_total);
	for (int i = 0; i < TR_DROP__COUNT; i++)
		pf_arg_uint(pb, drop_names[i], st->drops[i]);
	pf_arg_uint(pb, "inferred_returns", st->inferred_returns);
	pf_arg_uint(pb, "unmatched_returns", st->unmatched_returns);
	pf_arg_uint(pb, "open_at_end", st->open_at_end);
	pf_arg_uint(pb, "open_at_exit", st->open_at_exit);
	pf_arg_uint(pb, "processes", st->processes);
	pf_arg_uint(pb, "exits", st->exits);
	pf_arg_uint(pb, "exits_unseen", st->exits_unseen);
	pf_arg_uint(pb, "exits_ignored", st->exits_ignored);
	pf_arg_uint(pb, "events_stale", st->events_stale);
	pf_arg_uint(pb, "truncated_names", st->truncated_names);
	if (st->async_tasks || st->async_unknown) {	/* --async-tasks */
		pf_arg_uint(pb, "async_tasks", st->async_tasks);
		pf_arg_uint(pb, "async_steps", st->async_steps);
		pf_arg_uint(pb, "async_unknown", st->async_unknown);
	}
	if (st->sample_period_ns) {	/* --sample */
		pf_arg_uint(pb, "samples", st->samples);
		pf_arg_uint(pb, "samples_truncated", st->samples_truncated);
		pf_arg_uint(pb, "sample_period_ns", st->sample_period_ns);
	}
	pf_arg_uint(pb, "exit_code", st->exit_code);
	pf_arg_uint(pb, "recording_truncated", !!(st->end_flags & IN_END_RECORDING_TRUNCATED));
	pf_arg_warnings(pb, st->warnings, st->n_warnings);
	pb__end(pb, m);
	pf_packet_end(ps, t);

	t = pf_packet(ps, SEQ_GLOBAL);
	pb__uint(pb, TP_TIMESTAMP, st->last_ts > st->first_ts ? st->last_ts : st->first_ts);
	m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, TYPE_SLICE_END);
	pb__uint(pb, TE_TRACK_UUID, PF_TRACER_TRACK_UUID);
	pb__end(pb, m);
	pf_packet_end(ps, t);
}

static int pf_finish(struct sink *s, const struct session_stats *st)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	int err = pf_close_samples(ps);

	if (err)
		return sink__close_file(&ps->file, &ps->f, err);
	pf_session(ps, st);
	err = pf_flush(ps);
	return sink__close_file(&ps->file, &ps->f, err);
}

static void pf_free(struct sink *s)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;

	if (!ps)
		return;
	out_file__discard(&ps->file);
	hashmap__free(ps->threads, pf_thread_free);
	hashmap__free(ps->greenlets, pf_thread_free);
	hashmap__free(ps->procs, free);
	func_names__free(&ps->names);
	pb_writer__free(&ps->pb);
	free(ps->base.path);
	free(ps);
}

const struct sink_ops sink_pftrace = {
	.name = "pftrace",
	.suffix = ".pftrace",
	.help = "Perfetto protobuf trace, streamed, compact (ui.perfetto.dev)",
	.open = pf_open,
	.process = pf_process,
	.process_end = pf_process_end,
	.thread = pf_thread,
	.func = pf_func,
	.timeline = true,
	.begin = pf_begin,
	.call = pf_call,
	.runtime = pf_runtime,
	.jit = pf_jit,
	.sample = pf_sample,
	.finish = pf_finish,
	.free = pf_free,
};
