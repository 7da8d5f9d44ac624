/* SPDX-License-Identifier: MIT */
/*
 * The file that holds a CPython interpreter (an executable or a
 * libpython3.X), analysed once: its version, structure layout, the
 * functions the probes go on, and what each call strategy needs. Nothing
 * here depends on a process: addresses are ELF virtual addresses (vaddr)
 * or file offsets, never runtime addresses. A process adds its load bias
 * (user/capture/target.c).
 */
#ifndef TRACER_BINARY_H
#define TRACER_BINARY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "cpython/dispatch_sites.h"
#include "os/proc_status.h"
#include "cpython/py_layout.h"
#include "cpython/runtime_sites.h"

/* What to analyse, and for what. */
struct binary_req {
	const char *path;	/* where the file opens from here: /proc/PID/root/FILE */
	const char *name;	/* the file as a process maps it (in messages) */
	/* a process running this interpreter: the dispatch strategy has its
	 * executable print the build's opcode numbers (user/cpython/py_opcodes.c) */
	int runner_pid;
	const struct proc_creds *runner_creds;	/* its credentials, NULL: unknown */
	/* plan the call strategies (else --sample: none), with FORCE the
	 * strategy the user asked for, or NULL */
	bool probe_calls;
	const char *force;
};

struct binary {
	uint32_t version_hex;
	/* what the version can do: the other layers ask these, they do not
	 * compare versions */
	bool eval_sees_every_call; /* every Python call enters the evaluator
				    * (<= 3.10; 3.11+ runs Python-to-Python
				    * calls inside it, unless a PEP 523 hook such
				    * as the perf trampoline is installed) */
	bool usdt_entry_needs_line; /* function__entry fires only while the
				     * line probe is on (3.11, CPython issue 98894) */
	bool has_perf_trampoline; /* -X perf / PYTHONPERFSUPPORT (3.12+) */
	bool has_monitoring;	/* sys.monitoring, the coverage bootstrap's way (3.12+) */
	bool has_own_gil;	/* the main interpreter keeps its GIL in _PyRuntime (3.12+) */
	bool eval_misses_init; /* with the perf trampoline, __init__ calls of a
				* specialized CALL_ALLOC_AND_ENTER_INIT run inside the
				* caller's evaluator (3.13) */
	/* the BPF configuration without what belongs to a process: layout,
	 * identity spans, dealloc_probed; strategy, addresses 0 */
	struct tr_proc_cfg cfg;
	struct py_runtime_layout rt;
	uint64_t runtime_vaddr;	/* _PyRuntime */
	uint64_t eval_vaddr;	/* _PyEval_EvalFrameDefault */
	uint64_t eval_offset;	/* its file offset */
	uint64_t dealloc_offset; /* file offset of code_dealloc, 0 if unknown */
	/* _PySys_GetSizeOf: where the coverage bootstrap hands its counts
	 * over (3.12+), 0 if unknown */
	uint64_t getsizeof_offset;
	/* PyUnstable_WritePerfMapEntry (3.12+), where JIT code is registered:
	 * probed in every mode; 0 if the build has none */
	uint64_t perfmap_offset;
	uint64_t trampoline_vaddr; /* py_trampoline_evaluator (the perf trampoline), 0: none */

	/* call strategies, when probe_calls: */
	bool usdt;		/* usable python:function__entry/__return USDT probes */
	/* dispatch, when it was tried (usdt not chosen, 3.11+): ds_ret is 0
	 * when planned, else -errno with the reason in ds_why */
	bool ds_tried;
	int ds_ret;
	char ds_why[384];
	/* the pointer to the running thread state (0: no way to it, ds_why
	 * says so; nothing else of dispatch was tried then) */
	uint64_t ds_tstate_vaddr;
	uint64_t ds_shim_vaddr;	/* _Py_InitCleanup (3.13), 0 if none */
	struct ds_plan plan;	/* the probe sites */
	/* the opcode numbers the sites were planned for (ops_asked: the
	 * interpreter was asked, and the plan succeeded) */
	bool ops_asked;
	struct py_opcodes ops;
	uint64_t site_offset[DS_MAX_SITES]; /* their file offsets */
	char ds_slow[256];	/* the warning about single-stepped sites, "" if none */
	/* GC collections and imports: USDT probes, or the uprobe sites */
	bool runtime_usdt;
	struct rt_plan runtime;
	char runtime_missing[256]; /* the warning about kinds not found, "" if none */
};

/* Analyse the file REQ->path into B. On error returns -errno and writes a
 * one-line reason to ERR. */
int binary__analyse(const struct binary_req *req, struct binary *b, char *err, size_t errlen);
#endif
