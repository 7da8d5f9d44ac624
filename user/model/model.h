/* SPDX-License-Identifier: MIT */
/*
 * The userspace data model.
 *
 * Two layers:
 *  - input records (struct in_*): what the analyzer consumes and what a
 *    .trace recording stores, in stream order: process and thread
 *    descriptions made by the loader, raw BPF events, and the end of the
 *    session with its counters. A live session and `tracer report` feed the
 *    same records to the same analyzer, so their outputs are identical.
 *  - output records (struct func_info, call_rec, ...): what the analyzer
 *    hands to every output sink (table of callbacks in struct sink_ops).
 */
#ifndef TRACER_MODEL_H
#define TRACER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tracer.h"
#include "model/probe_cost.h"
#include "model/wall_ticks.h"

/* ---- input records --------------------------------------------------- */

#define IN_MAX_WARNINGS 8

/* A traced process, described by the loader before its first event. */
struct in_process {
	uint32_t pid;		/* host pid */
	/* session-unique (tr_ev_hdr.instance): a later in_process with the
	 * same pid and another instance is another process (PID reuse, or an
	 * exec); the earlier one ended, with a TR_EV_EXIT or without */
	uint32_t instance;
	uint32_t ns_pid;	/* its pid in its own PID namespace (0: unknown;
				 * = pid in the host's) */
	char cgroup[256];	/* its cgroup v2 path ("" unknown) */
	uint32_t version_hex;	/* 0x030b0200 = 3.11.2 (micro may be 0 if unknown) */
	uint32_t strategy;	/* enum tr_strategy */
	uint64_t attach_ts;	/* CLOCK_MONOTONIC ns when its probes were active */
	char exe[512];		/* executable path as the process sees it */
	char lib[512];		/* file probed (libpython or executable) */
	/* what the tracer cannot trace exactly in this process, one line each;
	 * said before tracing and repeated in every output */
	uint32_t n_warnings;
	char warnings[IN_MAX_WARNINGS][256];
};

/* A thread, described when its first event is seen. */
struct in_thread {
	uint32_t pid;
	uint32_t tid;
	/* its Python name (threading.Thread.name) when known, else its OS
	 * name /proc/PID/task/TID/comm; told again when it changes */
	char name[64];
};

/*
 * How the launched command ended, when it did during the session: the
 * tracer is its parent and reaped it (its wait status). LAUNCH_END_NONE
 * when attached (-p, -a: not our child) or when it was still running at
 * the end of the session.
 */
enum { LAUNCH_END_NONE = 0, LAUNCH_END_EXIT = 1, LAUNCH_END_SIGNAL = 2 };
struct launch_end {
	uint32_t pid;		/* 0: nothing known */
	uint32_t how;		/* LAUNCH_END_* */
	uint32_t value;		/* its exit code, or the signal that killed it */
	uint32_t core;		/* 1: the signal dumped a core */
};

/* The end of a session (always the last record). */
struct in_end {
	uint64_t end_ts;	/* CLOCK_MONOTONIC ns */
	uint64_t drops[TR_DROP__COUNT];	/* BPF-side drop counters */
	uint64_t ringbuf_events;	/* records read from the ring buffer */
	uint32_t exit_code;	/* launched command's exit status, or 0 */
	struct launch_end launch;	/* how the launched command ended */
	uint32_t flags;		/* IN_END_* */
	/* what the loader found wrong during the session, after the processes
	 * were described (a jitdump found later and refused, or not read
	 * whole): one line each, said in every output with the processes'
	 * warnings */
	uint32_t n_warnings;
	char warnings[IN_MAX_WARNINGS][256];
	/* --wall: the ticks run (ticks 0 otherwise; not in recordings, which
	 * --sample does not write) */
	struct wall_ticks wall;
	/* what a probe hit cost in this session (measured: false when not, and
	 * in recordings, which do not keep it) */
	struct probe_cost probe_cost;
	/* CLOCK_REALTIME - CLOCK_MONOTONIC (ns) when the session ended: the
	 * wall-clock time of the events (0: unknown, a recording older than
	 * format 8); set by the outputs of a live session */
	int64_t realtime_offset_ns;
};
#define IN_END_RECORDING_TRUNCATED 0x1 /* recorder stopped early (disk full...) */

/*
 * What coverage measured in a process, and its files' code objects as its
 * interpreter compiles them (user/capture/cover_map.c), made by the loader at the
 * end of a session with coverage (one per process, before the end).
 */
struct in_codemap {
	uint32_t pid;
	uint32_t instance;	/* in_process.instance (0: the pid's latest) */
	uint32_t lines;		/* 1: line events were on (else functions only) */
	char note[256];		/* how lines were measured, or why not */
	char *text;		/* the code map, docs/coverage-map.md (owned) */
	size_t len;
};

/* ---- output records -------------------------------------------------- */

/* One Python function identity: (qualified name, file, first line). */
struct func_info {
	uint32_t id;		/* dense, from 0, in order of first use */
	const char *qualname;	/* UTF-8 */
	const char *file;	/* UTF-8, absolute co_filename */
	uint32_t line;		/* co_firstlineno */
	/* --lines: a line of function BASE - 1, named "qualname:AT_LINE"
	 * ("qualname:?" with AT_LINE 0: the line is unknown); 0 and 0 for a
	 * function */
	uint32_t base;
	uint32_t at_line;
	/* --c-calls: a C function (sys.setprofile's c_call): QUALNAME is its
	 * qualified name (sorted, time.sleep, list.append), FILE its module
	 * (builtins, time; "" when unknown), LINE 0 */
	bool c_func;
};

/* what flame graphs, profiles and tables put before a function's name:
 * "[C] " for a C function (--c-calls), else "" */
static inline const char *func_info__mark(const struct func_info *f)
{
	return f && f->c_func ? "[C] " : "";
}

/* flags of call_rec */
#define CALL_BEGAN_BEFORE_ATTACH 0x01	/* start_ns is the attach time */
#define CALL_END_INFERRED 0x02		/* return not probed: end_ns is the
					 * time it was noticed (upper bound) */
#define CALL_END_AT_SESSION_END 0x04	/* still running when tracing ended */
#define CALL_END_AT_EXIT 0x10		/* still running when its process exited
					 * (or exec'd): end_ns is that time */
#define CALL_C_EXCEPTION 0x20		/* --c-calls: the C function raised
					 * (sys.setprofile's c_exception) */
#define CALL_NESTED_SAME_FUNC 0x08	/* runs inside another active call of the
					 * same function on the same thread
					 * (recursion): its time is already in
					 * the outer call's total */

/*
 * One call stack (told to sinks with a `stack` callback before the first
 * call_rec that uses it): the stack PARENT (0 = none: the function is the
 * outermost traced frame of its thread) with FUNC called on top. Stacks
 * are shared by all threads and processes of a session.
 */
struct stack_node {
	uint32_t id;		/* dense, from 1 */
	uint32_t parent;	/* 0 = the root */
	uint32_t func;		/* func_info.id of the innermost frame */
	uint32_t depth;		/* 0 for an outermost frame */
};

/* One call: at its start (`begin`, end_ns 0, child_ns 0) and when it has
 * completed (`call`). */
struct call_rec {
	uint32_t pid;
	uint32_t tid;
	uint32_t func;		/* func_info.id */
	uint32_t depth;		/* 0 = outermost traced frame of the thread */
	uint32_t stack;		/* stack_node.id whose innermost frame is this
				 * call (0 unless a sink has `stack`) */
	/* the thread's Python stack it ran on: 0 the thread's own, N > 0 a
	 * greenlet's (numbered per thread from 1; a number is reused by a
	 * later greenlet once its greenlet has ended) */
	uint32_t track;
	uint64_t start_ns;
	uint64_t end_ns;
	uint64_t child_ns;	/* time spent in traced callees (for self time) */
	uint32_t flags;
	/* --async-tasks: the asyncio Task it ran for (user/analysis/tasks.c),
	 * numbered per session from 1, and its name (UTF-8, the analyzer's,
	 * valid for the session); 0 and NULL: none (or not known) */
	uint32_t task;
	const char *task_name;
};

/*
 * One GC collection or import, a slice on the thread that ran it (the
 * `runtime` callback, once it has ended: per thread in the order of their
 * ends, interleaved with the calls in time order).
 */
struct runtime_rec {
	uint32_t pid;
	uint32_t tid;
	uint32_t kind;		/* enum tr_runtime_kind: TR_RT_GC, TR_RT_IMPORT */
	uint32_t depth;		/* calls open on the thread when it began */
	uint64_t start_ns;
	uint64_t end_ns;
	int64_t generation;	/* GC: the generation collected; -1 unknown */
	/* GC: unreachable objects found (collected + uncollectable); import:
	 * 1 loaded, 0 failed (an exception); -1 unknown */
	int64_t result;
	const char *name;	/* import: the module (UTF-8; a relative import
				 * starts with its dots); NULL for GC */
	uint32_t flags;		/* CALL_END_INFERRED, CALL_END_AT_SESSION_END,
				 * CALL_END_AT_EXIT, CALL_BEGAN_BEFORE_ATTACH */
};

/*
 * A process instance has ended (the `process_end` callback): after its
 * last call, slice and sample. Its pid's records that come later belong to
 * a later process (a later in_process with that pid). A process still
 * running when the session ends gets none.
 */
#define PROC_END_EXEC   0x01	/* it exec'd another image (TR_EXIT_EXEC) */
#define PROC_END_UNSEEN 0x02	/* no TR_EV_EXIT came for it (lost): a later
				 * process with its pid showed it had ended;
				 * ts is its last event's time (its attach
				 * time if it had none): when it was last
				 * seen alive, the lower bound of its end */

struct proc_end_rec {
	uint32_t pid;
	uint32_t instance;	/* in_process.instance */
	uint64_t ts;		/* CLOCK_MONOTONIC ns */
	uint32_t flags;		/* PROC_END_* */
};

/*
 * One CPU sample (--sample; the `sample` callback): the Python stack of a
 * thread that was on a CPU. FUNCS are its functions innermost first; a
 * truncated stack ends with the function "[truncated]" (outermost).
 */
#define SAMPLE_TRUNCATED 0x01	/* the stack was deeper than the BPF side walks */
#define SAMPLE_WALL      0x02	/* a wall-clock sample (--wall): the thread ran
				 * or not; period_ns is the real time since the
				 * previous tick */
#define SAMPLE_UNSTEADY  0x04	/* --wall: the thread changed its stack while
				 * it was read; outermost function
				 * "[changed while read]" */

struct sample_rec {
	uint32_t pid;
	uint32_t tid;
	uint32_t stack;		/* stack_node.id of the whole stack (0 unless a
				 * sink has `stack`) */
	uint32_t flags;		/* SAMPLE_* */
	uint64_t ts;		/* CLOCK_MONOTONIC ns */
	uint64_t period_ns;	/* CPU time (wall time with SAMPLE_WALL) the
				 * sample stands for */
	const uint32_t *funcs;	/* func_info.id, innermost first */
	uint32_t n_funcs;
};

/* where a JIT registration comes from */
enum jit_source {
	JIT_SRC_LIVE = 0,	/* seen live (the registration uprobe) */
	JIT_SRC_PERF_MAP = 1,	/* read from the perf map at attach */
	JIT_SRC_JITDUMP = 2,	/* read from a jitdump file */
	JIT_N_SOURCES
};

/*
 * JIT code registered in a process (the `jit` callback): a compiled unit
 * seen live through the registration uprobe, read from the process's
 * /tmp/perf-PID.map at attach (registered before: its ts is the attach
 * time), or a code load read from its jitdump (ts is the load's, the
 * attach time when written before). JIT_REC_BEFORE_ATTACH: registered
 * before the attach (every perf-map line, jitdump loads written before).
 */
#define JIT_REC_NAME_TRUNC 0x02	/* the name was cut (TR_JIT_NAME_MAX) */
#define JIT_REC_BEFORE_ATTACH 0x08

struct jit_rec {
	uint32_t pid;
	uint32_t tid;		/* the registering thread (PID for a perf-map line) */
	uint64_t ts;
	uint64_t addr;
	uint64_t size;
	const char *name;	/* UTF-8 as registered, NUL-terminated */
	enum jit_source source;
	uint32_t flags;		/* JIT_REC_* */
};

/* A code map, parsed (user/analysis/codemap.c): the files a process ran. */
enum cov_status {
	COV_MEASURED = 0,	/* measured */
	COV_STDLIB,		/* the interpreter's standard library */
	COV_SITE,		/* site-/dist-packages */
	COV_OMITTED,		/* matched --omit */
	COV_NOT_INCLUDED,	/* --include given, not matched */
	COV_NO_SOURCE,		/* not a file ("<string>", frozen, deleted) */
	COV_ERROR,		/* could not be read or compiled */
	COV__COUNT,
};

struct codemap_func {
	const char *qualname;
	uint32_t firstlineno;
	uint32_t n_lines;
	const uint32_t *lines;	/* ascending: where a line event can come */
};

struct codemap_file {
	const char *file;	/* co_filename, as the events carry it */
	const char *abs;	/* measured: the absolute path read */
	const char *error;	/* COV_ERROR: why */
	const char *source;	/* measured, when asked for: its text as Python
				 * decoded it, lines ended by \n (NULL: not read,
				 * or empty) */
	enum cov_status status;
	uint32_t n_funcs;
	const struct codemap_func *funcs;	/* every code object of the file */
};

struct codemap {
	uint32_t pid;
	uint32_t instance;	/* in_codemap.instance */
	bool lines;		/* in_codemap.lines */
	const char *note;
	const char *python;	/* the interpreter's version */
	uint32_t n_files;
	const struct codemap_file *files;
};

struct probe_share;

/* Counters of a whole session, handed to every sink at the end. */
struct session_stats {
	uint64_t first_ts, last_ts;	/* CLOCK_MONOTONIC ns */
	uint64_t events;		/* BPF events consumed */
	uint64_t calls;			/* completed call records */
	uint64_t drops[TR_DROP__COUNT];
	uint64_t lost_total;		/* sum of drops */
	uint64_t inferred_returns;	/* CALL_END_INFERRED records */
	uint64_t unmatched_returns;	/* returns no call could be paired with */
	uint64_t open_at_end;		/* CALL_END_AT_SESSION_END records */
	uint64_t calls_deeper;		/* calls deeper than STACK_DEPTH_MAX frames:
					 * stacks show them as one "[truncated]" */
	uint64_t open_at_exit;		/* CALL_END_AT_EXIT records */
	/* process instances: every one described is running at the end,
	 * ended by its TR_EV_EXIT, or ended unseen (processes = running +
	 * exits + exits_unseen) */
	uint64_t processes;
	uint64_t exits;			/* ended by a TR_EV_EXIT (exec'd or not) */
	uint64_t exits_unseen;		/* its EXIT lost: a later process with
					 * its pid was described */
	uint64_t exits_ignored;		/* TR_EV_EXIT of no live process (unknown
					 * pid, another instance): skipped */
	uint64_t events_stale;		/* events of a process instance that is
					 * not its pid's live one: skipped */
	uint64_t truncated_names;	/* identities whose strings were cut */
	uint64_t gc_collections, gc_ns;	/* runtime_rec of GC, their time */
	uint64_t imports, import_ns;	/* runtime_rec of imports, their time */
	uint64_t line_events;		/* lines reported (TR_EV_LINE, blob records) */
	uint64_t counted_calls;		/* calls counted by a bootstrap (blob records) */
	uint64_t samples;		/* CPU samples (--sample): 0 when tracing calls */
	uint64_t samples_truncated;	/* of them, stacks cut at the walk's limit */
	uint64_t samples_unsteady;	/* of them, --wall stacks that changed while
					 * read (SAMPLE_UNSTEADY) */
	uint64_t sample_period_ns;	/* CPU time one sample stands for; with
					 * --wall the wanted tick period */
	bool samples_wall;		/* the samples are wall-clock (--wall) */
	struct wall_ticks wall;		/* --wall: the ticks run (in_end.wall) */
	struct probe_cost probe_cost;	/* in_end.probe_cost */
	/* the probe events inside each function's calls, counted once by the
	 * analyzer (analysis/probe_share.h) when a sink wants_probe_share,
	 * else NULL */
	const struct probe_share *probe_share;
	uint64_t samples_jit;		/* of them, in a known JIT code range */
	uint64_t jit_live;		/* JIT registrations seen live */
	uint64_t jit_perf_map;		/* ... read from perf maps at attach */
	uint64_t jit_jitdump;		/* ... read from jitdump files */
	uint64_t jit_names_truncated;	/* ... whose name was cut */
	uint64_t sample_frames;		/* frames of the samples */
	uint64_t sample_frames_no_line;	/* of them, whose line is unknown */
	uint64_t linetables_unusable;	/* line tables too long, unreadable or
					 * malformed (their frames have no line) */
	bool sample_by_line;		/* --lines: frames split by line */
	uint32_t exit_code;
	struct launch_end launch;	/* in_end.launch */
	uint32_t end_flags;		/* in_end.flags */
	int64_t realtime_offset_ns;	/* in_end.realtime_offset_ns (0: unknown) */
	uint32_t n_warnings;		/* in_end.warnings */
	char warnings[IN_MAX_WARNINGS][256];
	/* --async-tasks (user/analysis/tasks.c): tasks seen, coroutine steps
	 * told a task, coroutine resumptions whose task could not be told
	 * (asyncio's table not found yet, or unreadable); all 0 without it */
	uint64_t async_tasks, async_steps, async_unknown;
};

/* ---- output sinks ---------------------------------------------------- */

struct sink;

/* One output format: chosen by the suffix of the -o file name. */
struct sink_ops {
	const char *name;	/* "chrome" */
	const char *suffix;	/* ".json" */
	const char *help;	/* one line for --help */
	bool coverage;		/* a coverage map: the session measures lines */
	bool coverage_source;	/* ... showing the files' text: the code maps
				 * carry it (read as the target's user) */
	bool wants_probe_share;	/* reads session_stats.probe_share at the end */
	/* a timeline: gets the measured times of calls, never those
	 * --subtract-probe-cost corrects (user/analysis/probe_subtract.h) */
	bool timeline;
	/* open the output; on error return NULL and set errno */
	struct sink *(*open)(const char *path);
	/* a process: a new one, or the pid's latest one described again when
	 * it has not ended (no process_end since). Records with a pid (calls,
	 * samples, ...) are of the pid's latest process. */
	int (*process)(struct sink *s, const struct in_process *p);
	int (*thread)(struct sink *s, const struct in_thread *t);
	int (*func)(struct sink *s, const struct func_info *f);
	/* optional: a new stack (call_rec.stack is only set when a sink
	 * of the session has this callback) */
	int (*stack)(struct sink *s, const struct stack_node *n);
	/*
	 * optional: a call starts. Per thread, begins and ends come properly
	 * nested, in time order, with one exception: a call running since
	 * before the attach whose frame the BPF side could not find at the
	 * thread's first event is only known at its return, and then comes
	 * as a begin (start_ns: the attach time) right before its end.
	 */
	int (*begin)(struct sink *s, const struct call_rec *c);
	int (*call)(struct sink *s, const struct call_rec *c);
	/* optional: a GC collection or an import has ended */
	int (*runtime)(struct sink *s, const struct runtime_rec *r);
	/* optional (--sample): a CPU sample; the functions of its stack were
	 * told before, and its stack (if the sink has `stack`) */
	int (*sample)(struct sink *s, const struct sample_rec *r);
	/* optional: JIT code was registered (an instant on timelines) */
	int (*jit)(struct sink *s, const struct jit_rec *r);
	/* optional (coverage): LINE of function FUNC ran in process PID (once
	 * or more); then, before finish, each process's code map */
	int (*line)(struct sink *s, uint32_t pid, uint32_t func, uint32_t line);
	/* optional (coverage): N more calls of FUNC, counted inside process
	 * PID by the 3.12+ bootstrap (no call records come for it then) */
	int (*calls)(struct sink *s, uint32_t pid, uint32_t func, uint64_t n);
	int (*codemap)(struct sink *s, const struct codemap *m);
	/* optional: process E->pid (instance E->instance) has ended; what
	 * comes later for its pid belongs to a later process */
	int (*process_end)(struct sink *s, const struct proc_end_rec *e);
	/* write everything still pending and close; 0 or -errno */
	int (*finish)(struct sink *s, const struct session_stats *st);
	void (*free)(struct sink *s);
};

/* every sink starts with this header */
struct sink {
	const struct sink_ops *ops;
	char *path;
};

#endif /* TRACER_MODEL_H */
