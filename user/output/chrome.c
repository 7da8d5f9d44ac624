// SPDX-License-Identifier: MIT
/*
 * Chrome trace event format (.json), streamed: one complete ("X") event per
 * call, written as the call is handed over, plus process/thread name
 * metadata events. Memory: the function table and the process list only
 * (and with --sample, each thread's open stack). Timestamps are absolute
 * CLOCK_MONOTONIC microseconds, so several files of one machine line up.
 *
 * The file is the format's JSON Array Form: `[`, one event a line, `]`. The
 * comma between two events is written with the second one, so a file cut
 * between events ends with a whole event's `}`. The array form is the one a file cut
 * short stays readable in: its closing `]` is optional, readers (catapult's
 * trace viewer, speedscope) strip a trailing comma and append the `]`
 * themselves, because tracers get killed before they write it (the
 * object form, {"traceEvents":[...],...}, has no such rule and a cut one is
 * rejected). Events reach the file only whole (util/cut_stream.h), so after
 * a kill -9 of the tracer its temporary file NAME.tracer-partial-XXXXXX
 * holds every event written before the last write (at most 64 KiB or
 * 100 ms of events are lost), and a full disk cuts the file back to its
 * last whole event, which is kept under NAME with a message.
 *
 * What the object form kept in "otherData" (the session's counters, drops,
 * warnings, the process list) is known at the end only: it is the last
 * event, a metadata event (ph "M") named "tracer_session" with all of it in
 * its args. The first event, a metadata event "tracer_start", says which
 * tool and clock wrote the file; a file without "tracer_session" was cut
 * short. (Viewers ignore metadata events of names they do not know; pid 0,
 * tid 0 holds no other event.)
 *
 * CPU samples (--sample) are the slices of user/output/sample_stack.h, category
 * "sample", written as begin ("B") and end ("E") events when they open and
 * close: frames opened by one sample begin at the same time, and only the
 * order of B events tells their nesting (complete events of equal times
 * would leave it to the reader). An end carries the samples its slice
 * stands for ("samples" in the E event's args, which readers merge into
 * the slice's) and nothing else: catapult's importer warns once per
 * argument a B and its E both give ("Both the B and E phases of f provided
 * values for argument file"), thousands of times in a sampled file when
 * the E repeated the B's file and line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/cut_stream.h"
#include "util/json_writer.h"
#include "util/array.h"
#include "model/func_names.h"
#include "util/hashmap.h"
#include "output/sample_stack.h"
#include "model/proc_label.h"
#include "cpython/pyversion.h"
#include "model/strategy.h"
#include "model/rec_labels.h"
#include "output/sinks.h"
#include "output/observer.h"

#define CHROME_BIG_FILE (256ull << 20)	/* UIs struggle past this size */

struct chrome_sink {
	struct sink base;
	FILE *f;
	struct out_file *file;	/* F's, until the end */
	struct cut_stream *cut;	/* what reaches F: whole events */
	struct json_writer jw;
	struct func_names names;
	struct chrome_proc *procs;	/* for the tracer_session event */
	size_t n_procs, cap_procs;
	struct hashmap *latest;		/* pid -> index + 1 of its latest process */
	struct hashmap *samples;	/* pid << 32 | tid -> chrome_thread */
	struct hashmap *greenlets;	/* greenlet and task tracks named (chrome_track_tid) */
};

/* a process, and how it ended */
struct chrome_proc {
	struct in_process p;
	struct proc_end_rec end;
	bool ended;		/* else running at the end */
};

/* a thread's samples (--sample) */
struct chrome_thread {
	struct chrome_sink *cs;
	uint32_t pid, tid;
	struct sample_stack stack;
};

static struct sink *chrome_open(const char *path)
{
	struct chrome_sink *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->base.ops = &sink_chrome;
	cs->base.path = strdup(path);
	cs->samples = hashmap__new();
	cs->latest = hashmap__new();
	cs->f = cs->samples && cs->latest ? sink__open_file(path, &cs->file) : NULL;
	cs->cut = cs->f ? cut_stream__new(cs->f) : NULL;
	if (!cs->base.path || !cs->cut) {
		int e = cs->samples && cs->latest ? errno : ENOMEM;

		out_file__discard(&cs->file);
		hashmap__free(cs->samples, NULL);
		hashmap__free(cs->latest, NULL);
		free(cs->base.path);
		free(cs);
		errno = e;
		return NULL;
	}
	json_writer__init(&cs->jw, cut_stream__file(cs->cut));
	json_writer__raw(&cs->jw, "[\n{\"name\":\"tracer_start\",\"ph\":\"M\",\"pid\":0,\"tid\":0,"
			 "\"args\":{\"tracer\":\"tracer 0.1\",\"clock\":\"CLOCK_MONOTONIC\"}}");
	cut_stream__end_record(cs->cut);	/* (an error is told at the next) */
	return &cs->base;
}

/* an event begins: the comma that separates it from the previous one */
static void chrome_event_sep(struct chrome_sink *cs)
{
	json_writer__raw(&cs->jw, ",\n");
}

/* an event is complete: 0 or the first error so far */
static int chrome_event_end(struct chrome_sink *cs)
{
	int err = json_writer__error(&cs->jw);

	return err ? err : cut_stream__end_record(cs->cut);
}

/* {"name":"NAME","ph":"M","pid":P,"tid":T,"args":{"name": */
static void chrome_meta_head(struct chrome_sink *cs, const char *name,
			     uint32_t pid, uint32_t tid)
{
	chrome_event_sep(cs);
	json_writer__printf(&cs->jw,
			    "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
			    "\"args\":{\"name\":", name, pid, tid);
}

/* the latest process of PID, NULL if none */
static struct chrome_proc *chrome_proc_of(struct chrome_sink *cs, uint32_t pid)
{
	uintptr_t i = (uintptr_t)hashmap__get(cs->latest, pid);

	return i ? &cs->procs[i - 1] : NULL;
}

/*
 * A process's group is its pid's: a later process with a reused pid renames
 * the group (Chrome's format knows nothing else of a process); the
 * tracer_session event lists each one. A pid's latest process not ended is described again.
 */
static int chrome_process(struct sink *s, const struct in_process *p)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;
	struct chrome_proc *cp = chrome_proc_of(cs, p->pid);
	char label[1024];

	if (cp && !cp->ended) {
		cp->p = *p;
	} else {
		if (array__grow((void **)&cs->procs, &cs->cap_procs, cs->n_procs,
				sizeof(*cs->procs)) ||
		    hashmap__set(cs->latest, p->pid, (void *)(uintptr_t)(cs->n_procs + 1)))
			return -ENOMEM;
		cs->procs[cs->n_procs++] = (struct chrome_proc){ .p = *p };
	}
	proc_label__name(p, label, sizeof(label));
	chrome_meta_head(cs, "process_name", p->pid, p->pid);
	json_writer__string(&cs->jw, label);
	json_writer__raw(&cs->jw, "}}");
	return chrome_event_end(cs);
}

static int chrome_thread(struct sink *s, const struct in_thread *t)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;

	chrome_meta_head(cs, "thread_name", t->pid, t->tid);
	json_writer__string_n(&cs->jw, t->name, strnlen(t->name, sizeof(t->name)));
	json_writer__raw(&cs->jw, "}}");
	return chrome_event_end(cs);
}

static int chrome_func(struct sink *s, const struct func_info *f)
{
	return func_names__set(&((struct chrome_sink *)s)->names, f);
}

/* ,"args":{"file":...,"line":N of function CF (NULL: unknown); of a C
 * function (--c-calls) ,"args":{"module":... where known */
static void chrome_func_args(struct json_writer *jw, const struct func_info *cf)
{
	if (cf && cf->c_func) {
		json_writer__raw(jw, ",\"args\":{\"c_function\":true");
		if (cf->file[0]) {
			json_writer__raw(jw, ",\"module\":");
			json_writer__string(jw, cf->file);
		}
		return;
	}
	json_writer__raw(jw, ",\"args\":{\"file\":");
	json_writer__string(jw, cf ? cf->file : "");
	json_writer__printf(jw, ",\"line\":%u", cf ? cf->line : 0);
}

/* the CALL_* flags of a slice, as arguments */
static void chrome_flags(struct json_writer *jw, uint32_t flags)
{
	if (flags & CALL_BEGAN_BEFORE_ATTACH)
		json_writer__raw(jw, ",\"began_before_attach\":true");
	if (flags & CALL_END_INFERRED)
		json_writer__raw(jw, ",\"end_inferred\":true");
	if (flags & CALL_END_AT_SESSION_END)
		json_writer__raw(jw, ",\"end_at_session_end\":true");
	if (flags & CALL_END_AT_EXIT)
		json_writer__raw(jw, ",\"end_at_exit\":true");
	if (flags & CALL_C_EXCEPTION)	/* --c-calls: sys.setprofile's c_exception */
		json_writer__raw(jw, ",\"c_exception\":true");
}

/* an event PH of function FUNC at TS, up to its args' file and line (an
 * E: up to the opening of its args, which carry no file and line) (the
 * caller closes the args and the event) */
static void chrome_func_event(struct chrome_sink *cs, uint32_t func, const char *cat,
			      char ph, uint32_t pid, uint64_t tid, uint64_t ts)
{
	struct json_writer *jw = &cs->jw;
	const struct func_info *cf = func_names__get(&cs->names, func);

	chrome_event_sep(cs);
	json_writer__raw(jw, "{\"name\":");
	if (cf) {
		json_writer__string(jw, cf->qualname);
	} else {
		char unk[40];

		snprintf(unk, sizeof(unk), "<unknown function %u>", func);
		json_writer__string(jw, unk);
	}
	json_writer__printf(jw, ",\"cat\":\"%s\",\"ph\":\"%c\",\"pid\":%u,\"tid\":%llu,\"ts\":",
			    cat, ph, pid, (unsigned long long)tid);
	json_writer__usec(jw, ts);
	if (ph == 'X')
		return;	/* the caller writes dur first */
	if (ph == 'E') {	/* its B's args are the slice's already */
		json_writer__raw(jw, ",\"args\":{");
		return;
	}
	chrome_func_args(jw, cf);
}

/* name track TID of PID (KEY: a key no other track has) on its first use;
 * a track left unnamed for want of memory still stands apart */
static void chrome_name_track(struct chrome_sink *cs, uint64_t key, uint32_t pid, uint64_t tid,
			      const char *name)
{
	if (!cs->greenlets && !(cs->greenlets = hashmap__new()))
		return;
	if (hashmap__get(cs->greenlets, key) || hashmap__set(cs->greenlets, key, (void *)1))
		return;
	chrome_event_sep(cs);
	json_writer__printf(&cs->jw, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,"
			    "\"tid\":%llu,\"args\":{\"name\":", pid, (unsigned long long)tid);
	json_writer__string(&cs->jw, name);
	json_writer__raw(&cs->jw, "}}");
}

/*
 * The track of a call: its thread's; for a greenlet's (call_rec.track N >
 * 0) a tid-like track of its own, N << 22 | tid (tids are below 2^22: no
 * thread has it; within 32 bits up to 1023 greenlets alive at once on a
 * thread), named "greenlet N (thread TID)" on first use; with
 * --async-tasks, for a call an asyncio Task runs (call_rec.task N > 0), the
 * task's track, tid 2^31 + N (above every thread's, and every greenlet's
 * track below number 512), named "task NAME".
 */
static uint64_t chrome_track_tid(struct chrome_sink *cs, const struct call_rec *c)
{
	char name[320];	/* a task's name is at most 2 * TR_TASKNAME_MAX + 3 bytes */
	uint64_t tid;

	if (c->task) {
		tid = 0x80000000ull + c->task;
		snprintf(name, sizeof(name), "task %s", c->task_name ? c->task_name : "?");
		chrome_name_track(cs, 1ull << 63 | (uint64_t)c->pid << 32 | c->task, c->pid, tid,
				  name);
		return tid;
	}
	if (!c->track)
		return c->tid;
	tid = (uint64_t)c->track << 22 | c->tid;
	snprintf(name, sizeof(name), "greenlet %u (thread %u)", c->track, c->tid);
	chrome_name_track(cs, (uint64_t)c->track << 44 | (uint64_t)c->pid << 22 | c->tid, c->pid,
			  tid, name);
	return tid;
}

static int chrome_call(struct sink *s, const struct call_rec *c)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;
	struct json_writer *jw = &cs->jw;
	uint64_t dur = c->end_ns > c->start_ns ? c->end_ns - c->start_ns : 0;
	uint64_t tid = chrome_track_tid(cs, c);
	const struct func_info *cf = func_names__get(&cs->names, c->func);

	/* (a C function, --c-calls: the category the PyTorch profiler's
	 * users know it by) */
	chrome_func_event(cs, c->func, cf && cf->c_func ? "c_function" : "python", 'X', c->pid,
			  tid, c->start_ns);
	json_writer__raw(jw, ",\"dur\":");
	json_writer__usec(jw, dur);
	chrome_func_args(jw, cf);
	chrome_flags(jw, c->flags);
	if (c->task_name) {
		json_writer__raw(jw, ",\"task\":");
		json_writer__string(jw, c->task_name);
	}
	json_writer__raw(jw, "}}");
	return chrome_event_end(cs);
}

static int chrome_sample_slice(void *ctx, uint64_t at, const struct sample_frame *f, bool open)
{
	struct chrome_thread *t = ctx;
	struct json_writer *jw = &t->cs->jw;

	chrome_func_event(t->cs, f->func, "sample", open ? 'B' : 'E', t->pid, t->tid, at);
	if (!open)
		json_writer__printf(jw, "\"samples\":%u", f->samples);
	json_writer__raw(jw, "}}");
	return chrome_event_end(t->cs);
}

static void chrome_thread_free(void *p)
{
	struct chrome_thread *t = p;

	sample_stack__free(&t->stack);
	free(t);
}

/* a thread's sampled slices close: ERR (an int *) keeps the first error */
static void chrome_thread_end(void *err, void *p)
{
	struct chrome_thread *t = p;
	int e = sample_stack__close(&t->stack, chrome_sample_slice, t);

	if (e && !*(int *)err)
		*(int *)err = e;
	chrome_thread_free(t);
}

/* a process has ended: its threads' sampled slices too, and a later
 * thread with one of their tids is another */
static int chrome_process_end(struct sink *s, const struct proc_end_rec *e)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;
	struct chrome_proc *cp = chrome_proc_of(cs, e->pid);
	int err = 0;

	if (cp) {
		cp->end = *e;
		cp->ended = true;
	}
	hashmap__del_upper(cs->samples, e->pid, chrome_thread_end, &err);
	return err;
}

static int chrome_sample(struct sink *s, const struct sample_rec *r)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;
	uint64_t key = (uint64_t)r->pid << 32 | r->tid;
	struct chrome_thread *t = hashmap__get(cs->samples, key);

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || hashmap__set(cs->samples, key, t)) {
			free(t);
			return -ENOMEM;
		}
		*t = (struct chrome_thread){ .cs = cs, .pid = r->pid, .tid = r->tid };
	}
	return sample_stack__sample(&t->stack, r, chrome_sample_slice, t);
}

/* a GC collection or an import: a slice of its own category on the thread */
static int chrome_runtime(struct sink *s, const struct runtime_rec *r)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;
	struct json_writer *jw = &cs->jw;
	char label[TR_MODNAME_MAX + 16];
	bool gc = r->kind == TR_RT_GC;

	chrome_event_sep(cs);
	json_writer__raw(jw, "{\"name\":");
	json_writer__string(jw, runtime_rec__label(r, label, sizeof(label)));
	json_writer__printf(jw, ",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":",
			    gc ? "gc" : "import", r->pid, r->tid);
	json_writer__usec(jw, r->start_ns);
	json_writer__raw(jw, ",\"dur\":");
	json_writer__usec(jw, r->end_ns - r->start_ns);
	if (gc) {
		json_writer__printf(jw, ",\"args\":{\"generation\":%lld,\"unreachable\":%lld",
				    (long long)r->generation, (long long)r->result);
	} else {
		json_writer__raw(jw, ",\"args\":{\"module\":");
		json_writer__string(jw, r->name ? r->name : "");
		json_writer__printf(jw, ",\"loaded\":%s", r->result == 1 ? "true"
							  : r->result == 0 ? "false" : "null");
	}
	chrome_flags(jw, r->flags);
	json_writer__raw(jw, "}}");
	return chrome_event_end(cs);
}

/* JIT code registered: an instant on the thread that registered it (on the
 * process for what was read from the perf map at attach); a jitdump's code
 * loads say so (source), and those written before the attach too */
static int chrome_jit(struct sink *s, const struct jit_rec *r)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;
	struct json_writer *jw = &cs->jw;
	bool map = r->source == JIT_SRC_PERF_MAP;

	chrome_event_sep(cs);
	json_writer__raw(jw, "{\"name\":");
	json_writer__string(jw, r->name);
	json_writer__printf(jw, ",\"cat\":\"jit\",\"ph\":\"i\",\"s\":\"%s\",\"pid\":%u,"
			    "\"tid\":%u,\"ts\":", map ? "p" : "t", r->pid, r->tid);
	json_writer__usec(jw, r->ts);
	json_writer__printf(jw, ",\"args\":{\"address\":\"0x%llx\",\"size\":%llu%s%s%s}}",
			    (unsigned long long)r->addr, (unsigned long long)r->size,
			    r->source == JIT_SRC_JITDUMP ? ",\"source\":\"jitdump\"" : "",
			    r->flags & JIT_REC_BEFORE_ATTACH ? ",\"before_attach\":true" : "",
			    r->flags & JIT_REC_NAME_TRUNC ? ",\"name_truncated\":true" : "");
	return chrome_event_end(cs);
}

static void chrome_kv(struct json_writer *jw, const char *key, uint64_t v, bool comma)
{
	json_writer__key(jw, key);
	json_writer__u64(jw, v);
	if (comma)
		json_writer__raw(jw, ",");
}

/* the last event: what the session counted, and its processes */
static void chrome_session_event(struct chrome_sink *cs, const struct session_stats *st)
{
	struct json_writer *jw = &cs->jw;

	chrome_event_sep(cs);
	json_writer__raw(jw, "{\"name\":\"tracer_session\",\"ph\":\"M\",\"pid\":0,\"tid\":0,"
			 "\"args\":{\"tracer\":\"tracer 0.1\",\"clock\":\"CLOCK_MONOTONIC\",");
	chrome_kv(jw, "first_ts_ns", st->first_ts, true);
	chrome_kv(jw, "last_ts_ns", st->last_ts, true);
	chrome_kv(jw, "events", st->events, true);
	chrome_kv(jw, "calls", st->calls, true);
	json_writer__raw(jw, "\"lost\":{");
	chrome_kv(jw, "total", st->lost_total, true);
	chrome_kv(jw, "ringbuf_full", st->drops[TR_DROP_RINGBUF_FULL], true);
	chrome_kv(jw, "map_full", st->drops[TR_DROP_MAP_FULL], true);
	chrome_kv(jw, "read_failed", st->drops[TR_DROP_READ_FAIL], true);
	chrome_kv(jw, "no_config", st->drops[TR_DROP_NO_CONFIG], true);
	chrome_kv(jw, "foreign_thread_state", st->drops[TR_DROP_FOREIGN_TSTATE], false);
	json_writer__raw(jw, "},");
	chrome_kv(jw, "inferred_returns", st->inferred_returns, true);
	chrome_kv(jw, "unmatched_returns", st->unmatched_returns, true);
	chrome_kv(jw, "open_at_end", st->open_at_end, true);
	chrome_kv(jw, "open_at_exit", st->open_at_exit, true);
	/* (the list of "processes" follows) */
	chrome_kv(jw, "processes_traced", st->processes, true);
	chrome_kv(jw, "exits", st->exits, true);
	chrome_kv(jw, "exits_unseen", st->exits_unseen, true);
	chrome_kv(jw, "exits_ignored", st->exits_ignored, true);
	chrome_kv(jw, "events_stale", st->events_stale, true);
	chrome_kv(jw, "truncated_names", st->truncated_names, true);
	if (st->async_tasks || st->async_unknown) {	/* --async-tasks */
		chrome_kv(jw, "async_tasks", st->async_tasks, true);
		chrome_kv(jw, "async_steps", st->async_steps, true);
		chrome_kv(jw, "async_unknown", st->async_unknown, true);
	}
	chrome_kv(jw, "gc_collections", st->gc_collections, true);
	chrome_kv(jw, "gc_ns", st->gc_ns, true);
	chrome_kv(jw, "imports", st->imports, true);
	chrome_kv(jw, "import_ns", st->import_ns, true);
	if (st->sample_period_ns) {	/* --sample */
		chrome_kv(jw, "samples", st->samples, true);
		chrome_kv(jw, "samples_truncated", st->samples_truncated, true);
		chrome_kv(jw, "sample_period_ns", st->sample_period_ns, true);
		chrome_kv(jw, "no_python_samples", st->drops[TR_DROP_NO_PYTHON], true);
	}
	if (st->calls && st->probe_share)
		observer__json(jw, st->probe_share, &st->probe_cost, &cs->names);
	chrome_kv(jw, "exit_code", st->exit_code, true);
	json_writer__printf(jw, "\"recording_truncated\":%s,",
			    st->end_flags & IN_END_RECORDING_TRUNCATED ? "true" : "false");
	json_writer__raw(jw, "\"warnings\":[");
	for (uint32_t w = 0; w < st->n_warnings; w++) {
		if (w)
			json_writer__raw(jw, ",");
		json_writer__string_n(jw, st->warnings[w],
				      strnlen(st->warnings[w], sizeof(st->warnings[w])));
	}
	json_writer__raw(jw, "],\"processes\":[");
	for (size_t i = 0; i < cs->n_procs; i++) {
		const struct in_process *p = &cs->procs[i].p;
		const struct proc_end_rec *end = cs->procs[i].ended ? &cs->procs[i].end : NULL;
		uint32_t nw = p->n_warnings < IN_MAX_WARNINGS ? p->n_warnings : IN_MAX_WARNINGS;

		char ver[16];

		json_writer__printf(jw, "%s{\"pid\":%u,\"python\":\"%s\",",
				    i ? "," : "", p->pid,
				    pyversion__format(p->version_hex, ver, sizeof(ver)));
		/* known in system-wide sessions: instance, namespace pid, cgroup;
		 * how it ended ("running": at the end of the session) */
		if (p->instance)
			json_writer__printf(jw, "\"instance\":%u,", p->instance);
		if (p->ns_pid)
			json_writer__printf(jw, "\"ns_pid\":%u,", p->ns_pid);
		if (p->cgroup[0]) {
			json_writer__raw(jw, "\"cgroup\":");
			json_writer__string_n(jw, p->cgroup, strnlen(p->cgroup, sizeof(p->cgroup)));
			json_writer__raw(jw, ",");
		}
		if (end)
			json_writer__printf(jw, "\"end\":\"%s\",\"end_ts_ns\":%llu,",
					    end->flags & PROC_END_UNSEEN ? "exit_not_seen" :
					    end->flags & PROC_END_EXEC ? "exec" : "exit",
					    (unsigned long long)end->ts);
		/* the launched command's, reaped by the tracer: its code, or
		 * the signal that killed it */
		if (end && !(end->flags & (PROC_END_UNSEEN | PROC_END_EXEC)) &&
		    st->launch.pid == p->pid && st->launch.how == LAUNCH_END_EXIT)
			json_writer__printf(jw, "\"exit_code\":%u,", st->launch.value);
		else if (end && !(end->flags & (PROC_END_UNSEEN | PROC_END_EXEC)) &&
			 st->launch.pid == p->pid && st->launch.how == LAUNCH_END_SIGNAL)
			json_writer__printf(jw, "\"exit_signal\":%u,\"exit_signal_name\":\"SIG%s\","
					    "\"core_dumped\":%s,", st->launch.value,
					    proc_label__signal(st->launch.value),
					    st->launch.core ? "true" : "false");
		if (!end)
			json_writer__raw(jw, "\"end\":\"running\",");
		json_writer__raw(jw, "\"exe\":");
		json_writer__string_n(jw, p->exe, strnlen(p->exe, sizeof(p->exe)));
		json_writer__raw(jw, ",\"lib\":");
		json_writer__string_n(jw, p->lib, strnlen(p->lib, sizeof(p->lib)));
		json_writer__printf(jw, ",\"strategy\":\"%s\",\"warnings\":[",
				    strategy__name(p->strategy));
		for (uint32_t w = 0; w < nw; w++) {
			if (w)
				json_writer__raw(jw, ",");
			json_writer__string_n(jw, p->warnings[w],
					      strnlen(p->warnings[w], sizeof(p->warnings[w])));
		}
		json_writer__raw(jw, "]}");
	}
	json_writer__raw(jw, "]}}");
}

/*
 * ERR stopped the output (a full disk, most often): what reached the file
 * is whole events (cut_stream cut it back to the last one), readable as
 * Chrome's array form is when cut, so it is kept under its name rather
 * than thrown away with the whole session; without a byte of events, the
 * partial file is removed. ERR either way.
 */
static int chrome_keep_cut(struct chrome_sink *cs, int err)
{
	uint64_t kept = cut_stream__kept(cs->cut);

	cut_stream__close(cs->cut);
	cs->cut = NULL;
	cs->f = NULL;
	if (!kept)
		return out_file__commit(&cs->file, err);
	fprintf(stderr, "tracer: %s: %s: kept the events written before it (%llu bytes, "
		"whole events; the JSON array is not closed and the session's totals, "
		"event \"tracer_session\", are missing: Perfetto, chrome://tracing and "
		"speedscope read it as it is)\n", cs->base.path, strerror(-err),
		(unsigned long long)kept);
	out_file__keep(&cs->file);
	return err;
}

static int chrome_finish(struct sink *s, const struct session_stats *st)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;
	struct chrome_thread *t;
	struct stat sb;
	size_t pos = 0;
	uint64_t key;
	int err = 0;

	while (!err && hashmap__next(cs->samples, &pos, &key, (void **)&t))
		err = sample_stack__close(&t->stack, chrome_sample_slice, t);
	if (!err) {
		chrome_session_event(cs, st);
		json_writer__raw(&cs->jw, "\n]\n");
		err = chrome_event_end(cs);
	}
	if (!err)
		err = cut_stream__flush(cs->cut);
	if (err)
		return chrome_keep_cut(cs, err);
	err = cut_stream__close(cs->cut);
	cs->cut = NULL;
	if (!err && fstat(fileno(cs->f), &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size > CHROME_BIG_FILE)
		fprintf(stderr, "warning: %s is %llu MiB; Chrome/Perfetto UIs struggle "
			"past ~256 MiB: write .pftrace instead (-o NAME.pftrace, about a "
			"sixth of the size, opens in ui.perfetto.dev)\n",
			s->path, (unsigned long long)(sb.st_size >> 20));
	return sink__close_file(&cs->file, &cs->f, err);
}

static void chrome_free(struct sink *s)
{
	struct chrome_sink *cs = (struct chrome_sink *)s;

	if (!cs)
		return;
	cut_stream__close(cs->cut);
	out_file__discard(&cs->file);
	func_names__free(&cs->names);
	hashmap__free(cs->samples, chrome_thread_free);
	hashmap__free(cs->latest, NULL);
	hashmap__free(cs->greenlets, NULL);
	free(cs->procs);
	free(cs->base.path);
	free(cs);
}

const struct sink_ops sink_chrome = {
	.name = "chrome",
	.wants_probe_share = true,
	.timeline = true,
	.suffix = ".json",
	.help = "Chrome trace events (ui.perfetto.dev, chrome://tracing)",
	.open = chrome_open,
	.process = chrome_process,
	.thread = chrome_thread,
	.func = chrome_func,
	.call = chrome_call,
	.runtime = chrome_runtime,
	.jit = chrome_jit,
	.sample = chrome_sample,
	.process_end = chrome_process_end,
	.finish = chrome_finish,
	.free = chrome_free,
};
