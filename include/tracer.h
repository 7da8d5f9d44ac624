/* SPDX-License-Identifier: MIT */
/*
 * Plain structures shared by the BPF programs (bpf/tracer.bpf.c) and the
 * userspace loader. No libc or vmlinux types: only fixed-width integers
 * spelled as C base types, so both sides agree on the layout.
 */
#ifndef TRACER_H
#define TRACER_H

typedef unsigned char tr_u8;
typedef unsigned short tr_u16;
typedef unsigned int tr_u32;
typedef int tr_s32;
typedef unsigned long long tr_u64;
typedef long long tr_s64;
typedef short tr_s16;
typedef signed char tr_s8;

/* ---- probe strategies ------------------------------------------------ */
enum tr_strategy {
	TR_STRATEGY_NONE = 0,
	/* USDT python:function__entry / function__return (+ line, see bpf) */
	TR_STRATEGY_USDT = 1,
	/* uprobe + uretprobe on _PyEval_EvalFrameDefault */
	TR_STRATEGY_EVAL = 2,
	/* uprobes in the eval loop's opcode handlers (3.11+, user/cpython/dispatch_sites.c) */
	TR_STRATEGY_DISPATCH = 3,
};

/* ---- CPython structure layout, per process -------------------------- */
/*
 * Offsets (bytes) into CPython's private structures for one interpreter
 * build. -1 means "the field does not exist in this version". Filled by
 * user/cpython/py_layout.c from a table derived from DWARF (3.8-3.12) or from
 * _Py_DebugOffsets read out of the process (3.13+).
 */
struct tr_py_layout {
	tr_u32 version_hex;	/* PY_VERSION_HEX style: 0x030b0000 = 3.11 */
	/* thread state -> current frame */
	tr_s16 tstate_frame;	/* <=3.10 frame, 3.11/3.12 cframe, 3.13 current_frame */
	tr_s16 cframe_current_frame; /* 3.11/3.12: _PyCFrame.current_frame, else -1 */
	/* frame (PyFrameObject <=3.10, _PyInterpreterFrame 3.11+) */
	tr_s16 frame_code;	/* f_code, or f_executable (3.13) */
	tr_s16 frame_back;	/* f_back (<=3.10) or previous (3.11+) */
	tr_s16 frame_owner;	/* 3.12+: owner (char); -1 before */
	tr_s16 frame_is_entry;	/* 3.11: is_entry (bool); -1 elsewhere */
	tr_u8 owner_cstack;	/* the lowest owner value of a frame that is no Python
				 * call: the C stack's entry frame (3.12/3.13
				 * FRAME_OWNED_BY_CSTACK, 3.14 FRAME_OWNED_BY_INTERPRETER,
				 * both 3); compared with >= */
	tr_u8 eval_frame_arg;	/* arg index of the frame in _PyEval_EvalFrameDefault */
	/* code object */
	tr_s16 code_name;
	tr_s16 code_qualname;	/* -1 before 3.11 */
	tr_s16 code_filename;
	tr_s16 code_firstlineno;
	/* unicode objects (compact strings) */
	tr_s16 unicode_length;
	tr_s16 unicode_state;
	tr_s16 unicode_ascii_size;	/* sizeof(PyASCIIObject): data of ascii strings */
	tr_s16 unicode_compact_size;	/* sizeof(PyCompactUnicodeObject) */
	/* telling a generator's creation from its resumption (3.12+, where
	 * creating one runs its frame through _PyEval_EvalFrameDefault up to
	 * RETURN_GENERATOR): -1 where absent */
	tr_s16 code_flags;		/* co_flags (int) */
	tr_s16 code_code_adaptive;	/* co_code_adaptive: the first instruction (3.11+) */
	tr_s16 frame_instr;		/* 3.11/3.12 prev_instr, 3.13 instr_ptr */
	tr_s8 frame_instr_start;	/* frame_instr - &co_code_adaptive of a frame that
					 * has not run yet: -2 (prev_instr) or 0 (instr_ptr) */
	/* tag bits of the frame's code pointer: 3.14's f_executable is a
	 * _PyStackRef whose low bit (Py_TAG_BITS of a GIL build) marks a
	 * deferred reference; masked off before use. 0 before 3.14. */
	tr_u8 frame_code_tag;
	tr_s16 tstate_thread_id;	/* PyThreadState.thread_id: pthread_self() */
	/* a sampled frame's line (--sample): the instruction offset of a
	 * <=3.10 frame, f_lasti (an int: bytes on 3.8/3.9, code units on
	 * 3.10), -1 from 3.11 (frame_instr there); the code object's line
	 * table, a bytes object: co_lnotab (<=3.9) or co_linetable */
	tr_s16 frame_lasti;
	tr_s16 code_linetable;
	/* a bytes object's ob_size and ob_sval (the line table's length and
	 * bytes): 16 and 32 under a GIL build's 16-byte object header, 32 and
	 * 48 under a free-threaded build's 32-byte one */
	tr_s16 bytes_size;
	tr_s16 bytes_sval;
	/* free-threaded builds (Py_GIL_DISABLED, 3.14t): the frame's
	 * tlbc_index (int32) and the code object's co_tlbc (_PyCodeArray *:
	 * {Py_ssize_t size; char *entries[];}), the thread-local copy of the
	 * bytecode the frame's instr_ptr points into; -1 in a GIL build */
	tr_s16 frame_tlbc_index;
	tr_s16 code_tlbc;
	/* the bit of a str's `state` where its 3-bit kind starts; compact is
	 * 3 bits above, ascii 4: 2 in a GIL build (interned:2 first), 8 in a
	 * free-threaded one (interned is a whole byte there) */
	tr_u8 unicode_kind_shift;
	tr_u8 free_threaded;	/* Py_GIL_DISABLED (1) or not (0) */
};

/* Per traced process, stored in the BPF map `procs` keyed by host tgid. */
struct tr_proc_cfg {
	struct tr_py_layout layout;
	tr_u32 strategy;		/* enum tr_strategy */
	/* the process's instance: session-unique, never reused (a PID may
	 * be), carried in every event's hdr.instance; TR_SOLO_INSTANCE for
	 * the one process of -p and launch sessions */
	tr_u32 instance;
	/* absolute address, in the target, of the pointer to the current
	 * thread state (3.8-3.11: _PyRuntime.gilstate.tstate_current). 0 if
	 * the strategy receives the frame directly. */
	tr_u64 tstate_ptr_addr;
	/* the code object's identity fields lie in one span read at once:
	 * [fp_off, fp_off + fp_len) of the code object; the fields' offsets are
	 * relative to fp_off (computed by userspace from the layout) */
	tr_u16 fp_off;
	tr_u16 fp_len;		/* <= TR_FP_SPAN_MAX */
	tr_u16 fp_name;		/* co_qualname, or co_name before 3.11 */
	tr_u16 fp_file;		/* co_filename */
	tr_u16 fp_line;		/* co_firstlineno (int) */
	/* a frame's code and caller pointers, read at once: the words at
	 * [fr_off, fr_off + 8 * fr_words) of the frame; indexes of each */
	tr_u16 fr_off;
	tr_u8 fr_words;		/* <= TR_FR_WORDS_MAX */
	tr_u8 fr_code;
	tr_u8 fr_back;
	/* walk the frames already running at a thread's first event (attach
	 * mode: a launched process has none) */
	tr_u8 walk_running;
	/* a uprobe on code_dealloc forgets freed code objects: a cached
	 * identity is then valid as long as it is cached (no per-call check) */
	tr_u8 dealloc_probed;
	/* coverage: send a TR_EV_LINE for each line the USDT `line` probe
	 * reports the first time (per code object) */
	tr_u8 usdt_lines;
	/* USDT on 3.11: YIELD_VALUE's opcode, 0 elsewhere. A call whose caller
	 * rests at a yield (frame_instr) comes from gen.throw() through a
	 * generator CPython made current only to hand the throw on (`yield
	 * from`, await): flagged TR_CALL_THROW (bpf usdt_entry) */
	tr_u8 usdt_yield_op;
	/* a code object whose frames are not Python calls, 0 if none: 3.13's
	 * _Py_InitCleanup, the shim frame under an __init__ that a specialized
	 * CALL_ALLOC_AND_ENTER_INIT runs (it returns without ever resuming) */
	tr_u64 shim_code;
	/* written by the BPF side when it first meets a function of the
	 * coverage bootstrap (TR_HOOK_HIDE_FIRSTLINENO): check for hidden frames */
	tr_u32 hooks_seen;
	/* sampling: the bytes of a frame the walk reads at once, covering its
	 * code, caller, owner and instruction fields (<= TR_SAMPLE_FRAME_SPAN;
	 * computed by userspace from the layout, user/capture/sampler.c) */
	tr_u32 sample_span;
	/* sampling (bpf/sample.bpf.h): address of _PyRuntime.autoTSSkey's
	 * {_is_initialized, _key} pair, 0 when unknown */
	tr_u64 tss_key_addr;
	/* system-wide sessions (-a): the interpreter file whose probes
	 * instantiated this entry (their BPF cookie), and TR_PROC_* flags */
	tr_u32 bin_id;
	tr_u32 proc_flags;
	/* --async-tasks, 3.11-3.14 (bpf/asyncio.bpf.h, user/capture/async_tasks.c):
	 * _asyncio's current_tasks dict ({loop: the task it steps now}) and
	 * Task type, 0 until found in the target; a TaskObj's task_coro and
	 * task_name, and a coroutine frame's offset in its coroutine object
	 * (gi_iframe); async_task_coro 0: not wanted */
	tr_u64 async_current_tasks;
	tr_u64 async_task_type;
	tr_u16 async_task_coro;
	tr_u16 async_task_name;
	tr_u16 async_gen_frame;
	/* 3.14: the thread state's asyncio_running_task (found through
	 * tss_key_addr); 0: the dict of 3.11-3.13 */
	tr_u16 async_running_task;
};
#define TR_SOLO_INSTANCE 1
#define TR_FP_SPAN_MAX 128
/* proc_flags: a process a filter leaves out (--comm, --cgroup,
 * --exclude-pid): its probe hits return at once */
#define TR_PROC_IGNORED 0x1

/*
 * System-wide sessions (-a): probes are attached once per interpreter file
 * with pid -1 and a BPF cookie whose upper 32 bits are the file's bin_id.
 * The first hit in a process without a `procs` entry makes one from the
 * file's template in the `bins` map (bpf/procs.bpf.h): the template holds
 * ELF virtual addresses, the hit adds the process's load bias, found from
 * the probed instruction's mapping (bpf_find_vma): bias = vm_start -
 * vm_pgoff * 4096 - text_delta.
 */
struct tr_bin_cfg {
	struct tr_proc_cfg cfg;	/* addresses are ELF vaddrs; instance 0 */
	/* p_vaddr - p_offset of the PT_LOAD segment holding the probed code */
	tr_u64 text_delta;
};
#define TR_BIN_COOKIE(bin_id, low) ((tr_u64)(bin_id) << 32 | (tr_u32)(low))
/* the low half of a dispatch exit site's cookie: where the exiting frame is
 * (user/cpython/exit_reg.c). 0: the thread state's current frame; else
 * TR_DS_REG | the register's x86 number (rax 0 ... r15 15), and
 * TR_DS_LINK_CLEARED when the frame's `previous` is NULL there (a yield) */
#define TR_DS_REG 0x100
#define TR_DS_LINK_CLEARED 0x200
/* ... and TR_DS_SLOW when the kernel single-steps the site's instruction:
 * its return events carry TR_RET_SLOW_SITE (the hit costs more) */
#define TR_DS_SLOW 0x400
#define TR_BINS_MAX 64

#define TR_FR_WORDS_MAX 4
#define TR_SAMPLE_FRAME_SPAN 128	/* a power of two */

/* ---- events (BPF ring buffer -> userspace) --------------------------- */
enum tr_event_type {
	TR_EV_CALL = 1,		/* a Python frame starts or resumes */
	TR_EV_RETURN = 2,	/* a Python frame returns, yields or unwinds */
	TR_EV_CODE = 3,		/* identity of a code object (sent once per fingerprint) */
	TR_EV_RUNTIME = 4,	/* a GC collection or an import begins or ends */
	TR_EV_LINE = 5,		/* a line ran (coverage): once per code object and line */
	TR_EV_BLOB = 6,		/* what the coverage bootstrap handed over (3.12+) */
	TR_EV_SAMPLE = 7,	/* a CPU sample's Python stack (--sample) */
	TR_EV_LINETABLE = 8,	/* a chunk of a code object's line table (--sample) */
	TR_EV_JIT = 9,		/* JIT-compiled code registered (perf map) */
	TR_EV_PROC = 10,	/* -a: a process enters the session (its first probe hit) */
	TR_EV_EXIT = 11,	/* -a: a traced process exits, or execs another image */
	TR_EV_EXEC = 12,	/* -a: some process exec'd (is it Python? userspace looks) */
	TR_EV_FORK = 13,	/* -p, launch: the session's tree forked a process (capture only) */
	TR_EV_TASK = 20,	/* --async-tasks: the asyncio Task a coroutine resumes for */
	/* (numbers from 24 on: other kinds may be added below meanwhile) */
	TR_EV_ATTACH_WALK = 24,	/* the attach walk's verdict on a thread (capture only) */
};

/* flags of TR_EV_CALL */
#define TR_CALL_RET_UNPROBED 0x01 /* the kernel will not run the uretprobe for
				   * this call (64 pending uretprobes per task):
				   * its return must be inferred */
#define TR_CALL_PREATTACH    0x02 /* not a call: a frame that was already running
				   * when the thread was first seen (sent innermost
				   * first, before that first event) */
#define TR_PREATTACH_MAX     1024 /* frames walked at most */
#define TR_CALL_GEN_CREATE   0x04 /* not a call: the frame runs only to create a
				   * generator/coroutine (3.12+, RETURN_GENERATOR);
				   * its return still comes, sys.setprofile reports
				   * neither */
#define TR_CALL_C            0x08 /* --c-calls: a call of a C function made by the
				   * Python frame PARENT (sys.setprofile's c_call):
				   * FRAME is PARENT | 1, CODE the PyMethodDef | 1
				   * (bpf/ccalls.bpf.h); its return carries the same */
#define TR_CALL_THROW        0x10 /* the frame resumes by gen.throw()/close(),
				   * not its RESUME: PARENT may be a generator
				   * that CPython made current only to hand the
				   * throw on to the one it delegates to
				   * (`yield from`, await), without running it and
				   * without an event (user/analysis/pystacks.c) */
#define TR_CALL_ATTACH_WALK  0x40 /* with PREATTACH: sent by the attach walk
				   * (bpf/attach_walk.bpf.h), valid only if its
				   * TR_EV_ATTACH_WALK says so */

struct tr_ev_hdr {
	tr_u8 type;		/* enum tr_event_type */
	tr_u8 flags;
	tr_u16 size;		/* size of the whole record in bytes */
	tr_u32 pid;		/* host tgid */
	tr_u32 tid;		/* host thread id */
	tr_u32 instance;	/* the process instance (tr_proc_cfg.instance),
				 * 0 when not known (TR_EV_EXEC) */
	tr_u64 ts;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC, ns */
};

/*
 * TR_EV_PROC: a process instance begins (hdr.instance), made by the BPF side
 * when a probe of file BIN_ID first hits in it (system-wide sessions). It
 * precedes every event of the instance in the stream.
 */
struct tr_ev_proc {
	struct tr_ev_hdr hdr;
	tr_u32 bin_id;
	tr_u32 ns_pid;		/* its PID in its own (innermost) PID namespace */
	tr_u64 cgroup_id;	/* its cgroup v2 id (the cgroup directory's inode) */
	tr_u64 start_ns;	/* the process's start (CLOCK_MONOTONIC ns) */
	tr_u64 bias;		/* its load bias for the file */
};

/* TR_EV_EXIT: instance hdr.instance of process hdr.pid has ended; it comes
 * after every event of that instance. */
#define TR_EXIT_EXEC 0x01	/* flag: it exec'd another image (pid lives on) */
#define TR_EXIT_SEEN 0x02	/* flag, userspace's own (never the BPF side's): the
				 * session saw the traced process end (-p, launch:
				 * its pidfd; no probe tells) */
struct tr_ev_exit {
	struct tr_ev_hdr hdr;
};

/* TR_EV_EXEC: process hdr.pid exec'd (instance 0): userspace checks whether
 * the new image is a Python interpreter it has not probed yet */
#define TR_EXEC_FILE_MAX 160
struct tr_ev_exec {
	struct tr_ev_hdr hdr;
	tr_u64 start_ns;	/* the process's start (CLOCK_MONOTONIC ns) */
	/* the file exec'd, as execve was given it (in the process's mount
	 * namespace, maybe relative; cut to fit, NUL-terminated): what is
	 * known of a process that exits before userspace looks at it */
	char file[TR_EXEC_FILE_MAX];
};

/* TR_EV_FORK: process hdr.pid was forked by process PPID of the session's
 * tree (instance 0; bpf/procs.bpf.h, tree_watch). Read by
 * user/capture/children.c, not passed on. */
#define TR_FORK_SHARED_VM 0x01	/* flag: it shares its parent's memory (vfork,
				 * posix_spawn): it runs no code of its own
				 * until it execs */
struct tr_ev_fork {
	struct tr_ev_hdr hdr;
	tr_u32 ppid;
	tr_u32 pad;
};

/*
 * TR_EV_ATTACH_WALK: the attach walk (bpf/attach_walk.bpf.h) is about to
 * send the running frames of thread hdr.tid, or has found the thread ran
 * first. It comes before those frames in the stream (reserved before the
 * walk, submitted after it). With TR_WALK_REJECTED, the thread's own first
 * event walked its frames: every TR_CALL_ATTACH_WALK call of the thread is
 * to be ignored. Read by user/capture/attach_walk.c, not passed on.
 */
#define TR_WALK_REJECTED 0x01
struct tr_ev_attach_walk {
	struct tr_ev_hdr hdr;
	tr_u32 frames;		/* TR_CALL_ATTACH_WALK calls sent for the thread */
	tr_u32 pad;
};

struct tr_ev_call {
	struct tr_ev_hdr hdr;
	tr_u64 frame;		/* address of the frame being executed */
	tr_u64 parent;		/* address of its calling Python frame, 0 if none */
	tr_u64 code;		/* address of its code object */
};

/* flags of TR_EV_RETURN */
#define TR_RET_END_INFERRED 0x01 /* --c-calls: the C call's end was not seen; it
				  * ended before this time (the next call
				  * instruction of its frame, bpf/ccalls.bpf.h) */
#define TR_RET_C_EXCEPTION  0x02 /* --c-calls: the C call raised (its result was
				  * NULL, or < 0 for len's PyObject_Size and
				  * isinstance's PyObject_IsInstance):
				  * sys.setprofile's c_exception */
#define TR_RET_SLOW_SITE    0x04 /* from a probe site the kernel single-steps
				  * (TR_DS_SLOW): the hit cost more, after the
				  * timestamp (user/analysis/probe_subtract.c) */

struct tr_ev_return {
	struct tr_ev_hdr hdr;
	tr_u64 frame;		/* returning frame, 0 when unknown (uretprobe) */
	tr_u64 code;		/* its code object, 0 when unknown */
};

/*
 * TR_EV_TASK (--async-tasks, bpf/asyncio.bpf.h): sent just before the call
 * event of coroutine frame FRAME (same thread) when FRAME is the coroutine of
 * the asyncio Task that steps now (TR_TASK_FOUND), or when that could not be
 * told (TR_TASK_NO_TABLE, TR_TASK_UNREADABLE: counted, said). Not sent for a
 * coroutine no Task steps (one awaited by another: it runs for its caller's).
 */
#define TR_TASK_FOUND      0x01
#define TR_TASK_NO_TABLE   0x02	/* _asyncio's table was not found yet */
#define TR_TASK_UNREADABLE 0x04	/* the table could not be read (or too many loops) */
#define TR_TASK_NAME_NUM   0x08	/* the name is "Task-<name_num>" (3.12+: formatted lazily) */
#define TR_TASK_NAME_TRUNC 0x10
#define TR_TASK_ABSENT     0x20	/* made by userspace (user/capture/async_tasks.c):
				 * _asyncio was not imported at hdr.ts, so a
				 * resumption before had no task (frame 0) */
#define TR_TASKNAME_MAX 96
struct tr_ev_task {
	struct tr_ev_hdr hdr;	/* flags: TR_TASK_* */
	tr_u64 frame;
	tr_u64 task;		/* the Task object */
	tr_u64 name_num;
	tr_u32 name_len;	/* characters in the str object */
	tr_u8 name_enc;		/* kind | TR_STR_ASCII, 0 unreadable */
	tr_u8 pad[3];
	char name[TR_TASKNAME_MAX];
};

#define TR_NAME_MAX 256		/* bytes of a qualified name carried in TR_EV_CODE */
#define TR_FILE_MAX 1024	/* bytes of a file name carried in TR_EV_CODE */

/* string encodings in TR_EV_CODE: CPython's PyUnicode kinds */
#define TR_STR_ASCII 0x80	/* OR'ed with the kind: pure ASCII */
#define TR_STR_KIND_MASK 0x07	/* 1, 2 or 4 bytes per character, 0 = unreadable */

/* flags of TR_EV_CODE */
#define TR_CODE_NAME_TRUNC 0x01
#define TR_CODE_FILE_TRUNC 0x02
/* --c-calls: the identity of a C function (CODE: its PyMethodDef | 1).
 * NAME is its ml_name, FILE its owner: a module's name (a str), or with
 * TR_CODE_C_TYPE a type's tp_name (UTF-8); both may be empty */
#define TR_CODE_C_FUNC 0x04
#define TR_CODE_C_TYPE 0x08

struct tr_ev_code {
	struct tr_ev_hdr hdr;
	tr_u64 code;
	tr_u32 firstlineno;
	tr_u32 name_len;	/* characters in the string object */
	tr_u32 file_len;
	tr_u8 name_enc;		/* kind | TR_STR_ASCII */
	tr_u8 file_enc;
	tr_u16 pad;
	char name[TR_NAME_MAX];	/* raw bytes: min(len*kind, TR_NAME_MAX) */
	char file[TR_FILE_MAX];
};

/*
 * GC collections and imports (TR_EV_RUNTIME), slices on the thread that
 * runs them. From USDT gc__start/gc__done and import__find__load__start/
 * done where the build has them, else from a uprobe + uretprobe on the
 * collector and on PyImport_ImportModuleLevelObject (see bpf/runtime.bpf.h).
 */
enum tr_runtime_kind {
	TR_RT_GC = 1,
	TR_RT_IMPORT = 2,
	/* a uprobe site only: a function the collector calls with the
	 * generation it collects (3.13's invoke_gc_callback, inside
	 * gc_collect_main, which an automatic collection enters with -1) */
	TR_RT_GC_GENERATION = 3,
};

/* flags of TR_EV_RUNTIME */
#define TR_RT_END          0x01	/* the end of the innermost open slice of its kind */
#define TR_RT_END_UNPROBED 0x02	/* (a begin) the kernel will not run the uretprobe
				 * that ends it (64 pending per task) */
#define TR_RT_STATEMENT    0x04	/* (an import begin) an import statement: it
				 * loads a module only if importlib's
				 * _find_and_load runs inside it */
#define TR_RT_NAME_TRUNC   0x08	/* the name was cut to TR_MODNAME_MAX bytes */
#define TR_RT_GENERATION   0x10	/* (GC) not a begin or an end: VALUE is the
				 * generation the open collection collects */
#define TR_RT_GEN_LATER    0x20	/* (a GC begin) automatic: the collector picks
				 * the generation inside and tells it with a
				 * TR_RT_GENERATION event, if it collects at all */

#define TR_MODNAME_MAX 128	/* bytes of a module name carried */
#define TR_STR_UTF8 0x40	/* name_enc: UTF-8 bytes (a C string of a USDT probe) */

/* where a uprobe on the collector finds the generation (the BPF cookie's
 * bits 8-15; bits 0-7 are the kind; bit 16: a TR_RT_GC_GENERATION site is
 * probed too): an argument register, a constant of the function (a GCC
 * clone), or unknown */
#define TR_RT_COOKIE_GEN_SITE (1 << 16)
#define TR_RT_GEN_ARG(n)   (n)		/* n = 0..4: the n-th integer argument */
#define TR_RT_GEN_CONST(v) (0x10 + (v))	/* v = 0..2 */
#define TR_RT_GEN_UNKNOWN  0xff

struct tr_ev_runtime {
	struct tr_ev_hdr hdr;	/* flags: TR_RT_* */
	tr_u8 kind;		/* enum tr_runtime_kind */
	tr_u8 name_enc;		/* import begin: kind | TR_STR_ASCII, or TR_STR_UTF8; 0 none */
	tr_u16 pad;
	tr_u32 name_len;	/* characters (bytes for TR_STR_UTF8) */
	/* GC begin: the generation collected (-1 unknown); GC end: the
	 * unreachable objects it found (collected + uncollectable, -1
	 * unknown); import begin: the statement's level (relative dots, -1
	 * unknown); import end: 1 found, 0 failed (an exception), -1 unknown */
	tr_s64 value;
	char name[TR_MODNAME_MAX];	/* import begin: the module name */
};

/*
 * Line coverage (TR_EV_LINE), from the USDT `line` probe (builds with USDT):
 * every line that runs; the BPF side sends each (code object, line) once
 * (LRU map `lines_seen`).
 */
struct tr_ev_line {
	struct tr_ev_hdr hdr;
	tr_u64 code;		/* the code object whose line ran */
	tr_u32 line;
	tr_u32 pad;
};

/*
 * The coverage bootstrap of 3.12+ (user/capture/py/cover_boot.py) counts calls and
 * lines in the process with sys.monitoring and hands them over by calling
 * sys.getsizeof(BLOB): BLOB is a bytes object that starts with TR_BLOB_MAGIC
 * and the session's 8-byte key (rodata `cover_key`). A uprobe on
 * _PySys_GetSizeOf copies such a blob into a TR_EV_BLOB; any other object
 * passes untouched. The records inside are parsed by user/analysis/cover_blob.c
 * (format there). Its functions are hidden from the trace: their code
 * objects have this co_firstlineno (no source file has), and from a call of
 * one to its return every event of the thread is dropped.
 */
#define TR_HOOK_HIDE_FIRSTLINENO 2100000001
#define TR_BLOB_MAGIC "TRCOVv1"	/* 8 bytes with its NUL */
#define TR_BLOB_KEY_LEN 16	/* magic + key */
#define TR_BLOB_MAX 4096	/* bytes of a blob, at most */
/* the offsets in a PyBytesObject of a GIL build (3.8-3.14) of ob_size and
 * ob_sval (the layout's bytes_size/bytes_sval say them per build) */
#define TR_BYTES_SIZE 16
#define TR_BYTES_SVAL 32

struct tr_ev_blob {
	struct tr_ev_hdr hdr;	/* size: offsetof(data) + len */
	tr_u32 len;
	tr_u32 pad;
	tr_u8 data[TR_BLOB_MAX];	/* the blob, magic and key included */
};

/*
 * A CPU sample (TR_EV_SAMPLE, bpf/sample.bpf.h): the Python stack of the
 * sampled thread, innermost frame first, as {code object address,
 * instruction offset} pairs (each code object described by a TR_EV_CODE
 * before, as for calls, and by TR_EV_LINETABLE chunks when sampling).
 * Variable size: hdr.size = offsetof(frames) + 16 * n_frames.
 */
#define TR_SAMPLE_FRAMES_MAX 2048	/* frames carried at most */
#define TR_SAMPLE_TRUNCATED 0x01	/* flag: the stack goes on past the last frame */
#define TR_SAMPLE_WALL      0x02	/* flag: a wall-clock sample (--wall): the
					 * thread was sampled running or not, and
					 * period_ns is the real time since the
					 * previous tick */
#define TR_SAMPLE_UNSTEADY  0x04	/* flag (--wall): the thread ran while
					 * its frames were read and a second walk
					 * met other frames: the stack may mix two
					 * instants (bpf/sample.bpf.h, wall_walk) */

#define TR_SAMPLE_NO_OFFSET 0xffffffffu	/* a frame's offset is not known */
#define TR_SAMPLE_NOT_STARTED 0xfffffffeu /* offset: the frame has not run its
					 * first instruction yet (its line is then
					 * co_firstlineno, as for CPython's f_lineno) */

struct tr_sample_frame {
	tr_u64 code;		/* code object address */
	/* bytes from the code's first instruction to the one the frame
	 * executes: f_lasti (3.8/3.9), f_lasti * 2 (3.10), the instruction
	 * pointer - co_code_adaptive (3.11+); or TR_SAMPLE_NOT_STARTED,
	 * TR_SAMPLE_NO_OFFSET */
	tr_u32 offset;
	tr_u32 pad;
};

struct tr_ev_sample {
	struct tr_ev_hdr hdr;	/* flags: TR_SAMPLE_* */
	tr_u32 n_frames;
	tr_u32 period_ns;	/* the time it stands for: the sampling period
				 * (1e9 / frequency) of CPU time, or with
				 * TR_SAMPLE_WALL the wall time since the last tick */
	tr_u64 user_ip;		/* the thread's user-mode instruction pointer
				 * (where it runs, or returns to from the kernel) */
	struct tr_sample_frame frames[TR_SAMPLE_FRAMES_MAX];
};
#define TR_SAMPLE_HDR_SIZE (sizeof(struct tr_ev_hdr) + 16)

/*
 * JIT-compiled code (TR_EV_JIT, bpf/jit.bpf.h): a uprobe on CPython's
 * PyUnstable_WritePerfMapEntry(code_addr, code_size, entry_name) (3.12+),
 * through which the perf trampoline and any JIT using the perf-map API
 * register code. The same record, flagged TR_JIT_PERF_MAP, is made by the
 * loader for each line of /tmp/perf-PID.map already written at attach
 * (user/os/perf_map.c), and, flagged TR_JIT_JITDUMP, for each code load of a
 * jitdump file the process maps (perf's jit-PID.dump, user/os/jitdump.c),
 * read at attach and followed as it grows. Variable size: hdr.size =
 * offsetof(name) + name_len.
 */
#define TR_JIT_NAME_MAX 512	/* bytes of a name carried (no NUL) */
#define TR_JIT_NAME_TRUNC 0x01	/* flag: the name was longer */
#define TR_JIT_PERF_MAP 0x02	/* flag: read from /tmp/perf-PID.map at attach,
				 * not seen live (ts: the attach time) */
#define TR_JIT_JITDUMP 0x04	/* flag: a code load read from the process's
				 * jitdump (ts: the record's CLOCK_MONOTONIC
				 * time, or when it was read if the file has
				 * no such time; tid: the writer's thread) */
#define TR_JIT_BEFORE_ATTACH 0x08 /* with TR_JIT_JITDUMP: written before the
				 * attach (ts: the attach time) */

struct tr_ev_jit {
	struct tr_ev_hdr hdr;	/* flags: TR_JIT_* */
	tr_u64 addr;		/* start of the code */
	tr_u32 size;		/* bytes of code */
	tr_u32 name_len;	/* bytes of NAME used */
	char name[TR_JIT_NAME_MAX];
};
#define TR_JIT_FIXED (sizeof(struct tr_ev_hdr) + 16)

/*
 * A code object's line table (TR_EV_LINETABLE, --sample): the bytes of its
 * co_lnotab (3.8/3.9) or co_linetable (3.10+), sent by the sampler right
 * after the TR_EV_CODE of a new identity, in chunks of at most
 * TR_LINETABLE_CHUNK bytes (hdr.size = offsetof(data) + len). A table
 * longer than TR_LINETABLE_MAX, or one that could not be read, is sent as
 * a single chunk without data and with a TR_LINETABLE_* flag: the lines of
 * that code are then unknown (said in the outputs), never guessed.
 */
#define TR_LINETABLE_CHUNK 4096
#define TR_LINETABLE_CHUNKS 16
#define TR_LINETABLE_MAX (TR_LINETABLE_CHUNK * TR_LINETABLE_CHUNKS)
#define TR_LINETABLE_TOO_LONG 0x01	/* flag: longer than TR_LINETABLE_MAX */
#define TR_LINETABLE_UNREADABLE 0x02	/* flag: the table could not be read */

struct tr_ev_linetable {
	struct tr_ev_hdr hdr;	/* flags: TR_LINETABLE_* */
	tr_u64 code;		/* the code object */
	tr_u32 total;		/* bytes of the whole table */
	tr_u32 offset;		/* of this chunk's bytes in the table */
	tr_u32 len;		/* bytes in data */
	tr_u32 pad;
	tr_u8 data[TR_LINETABLE_CHUNK];
};
#define TR_LINETABLE_HDR_SIZE (sizeof(struct tr_ev_hdr) + 24)

/* ---- --c-calls: include/tracer_ccalls.h ------------------------------ */
#include "tracer_ccalls.h"

/* ---- the session's switch (global `live`, .bss) ----------------------- */
/*
 * A session's probes are attached with the switch off: they do nothing.
 * Userspace turns it on once all are attached, so they take effect at one
 * instant (the first event of each thread walks its running frames), and
 * sets it to stopped before it removes them, so they stop at one instant
 * too: the session ends there, with no blind tail. Hits while off or
 * stopped are not events, hence not drops (the stopped ones are counted
 * in `after_stop`). The exec and exit tracepoints and the coverage
 * bootstrap's hand-over ignore the switch; the code identity cache is only
 * filled while it is on. Return probes armed while it was off: see
 * off_window_return in bpf/tracer.bpf.c.
 */
enum tr_live {
	TR_LIVE_OFF = 0,
	TR_LIVE_ON = 1,
	TR_LIVE_STOPPED = 2,
};

/* ---- BPF-side drop counters (global array `drops`) ------------------- */
enum tr_drop_reason {
	TR_DROP_RINGBUF_FULL = 0,	/* bpf_ringbuf_reserve failed */
	TR_DROP_MAP_FULL = 1,		/* a map update failed */
	TR_DROP_READ_FAIL = 2,		/* bpf_probe_read_user failed: event lost */
	TR_DROP_NO_CONFIG = 3,		/* probe hit in a process not in `procs` */
	TR_DROP_FOREIGN_TSTATE = 4,	/* the thread state found is not the running
					 * thread's (e.g. a subinterpreter's GIL) */
	TR_DROP_NO_PYTHON = 5,		/* a CPU sample of a thread running no Python
					 * code (no thread state or no frame found) */
	TR_DROP__COUNT = 6,
};

#endif /* TRACER_H */
