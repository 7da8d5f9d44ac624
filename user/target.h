/* SPDX-License-Identifier: MIT */
/*
 * A process to trace: which file holds its interpreter, which CPython
 * version and layout it has, which probe strategy traces it exactly, and
 * what cannot be traced exactly (warnings said before tracing starts).
 */
#ifndef TRACER_TARGET_H
#define TRACER_TARGET_H
#include <stdbool.h>
#include "dispatch_sites.h"
#include "model.h"
#include "py_layout.h"
#include "runtime_sites.h"

enum target_mode {
	TARGET_ATTACH,		/* -p PID: running for a while */
	TARGET_LAUNCH,		/* launched by us, stopped before its first instruction */
};

struct target {
	int pid;
	enum target_mode mode;
	char exe[512];		/* /proc/PID/exe */
	char file[512];		/* the file with the interpreter, as mapped in the process */
	char open_path[600];	/* the same, reachable from here: /proc/PID/root/FILE */
	uint32_t version_hex;
	struct tr_proc_cfg cfg;	/* goes to the BPF `procs` map */
	struct py_runtime_layout rt;
	uint64_t load_bias;	/* runtime address - ELF virtual address of FILE */
	uint64_t runtime_addr;	/* _PyRuntime in the process */
	uint64_t eval_offset;	/* file offset of _PyEval_EvalFrameDefault */
	uint64_t dealloc_offset; /* file offset of code_dealloc, 0 if unknown */
	/* _PySys_GetSizeOf: where the coverage bootstrap hands its counts
	 * over (3.12+), 0 if unknown */
	uint64_t getsizeof_offset;
	/* PyUnstable_WritePerfMapEntry (3.12+), where JIT code is registered:
	 * probed in every mode; 0 if the build has none */
	uint64_t perfmap_offset;
	/* set by the session: probe the bootstrap's hand-over; and only that
	 * (its calls are counted inside the process: no call probes) */
	bool cover_channel, calls_inside;
	struct ds_plan plan;	/* dispatch strategy: the probe sites */
	uint64_t site_offset[DS_MAX_SITES]; /* their file offsets */
	/* GC collections and imports: USDT probes, or the uprobe sites */
	bool runtime_usdt;
	struct rt_plan runtime;
	uint32_t n_warnings;
	char warnings[IN_MAX_WARNINGS][256];
};

/* Inspect PID. PROBE_CALLS: plan how its calls (and collections, imports)
 * are probed, with FORCE a strategy name the user asked for, or NULL; else
 * (--sample) the strategy stays none and no call probe caveat is said. On
 * error returns -errno and writes a one-line reason to ERR. */
int target__inspect(int pid, enum target_mode mode, bool probe_calls, const char *force,
		    struct target *t, char *err, size_t errlen);
/* Fill the in_process record that describes T. */
void target__describe(const struct target *t, uint64_t attach_ts, struct in_process *p);
/* remove /tmp/perf-PID.map (written by the perf trampoline of a process
 * we launched with PYTHONPERFSUPPORT=1), if it is a regular file */
void target__remove_perf_map(int pid);
/* read LEN bytes at ADDR of process PID (through /proc/PID/mem): 0 or -errno */
int target__read_mem(int pid, uint64_t addr, void *buf, size_t len);
#endif
