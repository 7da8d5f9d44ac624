/* SPDX-License-Identifier: MIT */
/*
 * A process to trace: which file holds its interpreter (analysed in
 * user/cpython/binary.c), where the process maps it, which probe strategy traces
 * it exactly, and what cannot be traced exactly (warnings said before
 * tracing starts).
 */
#ifndef TRACER_TARGET_H
#define TRACER_TARGET_H
#include <stdbool.h>
#include "cpython/binary_cache.h"
#include "model/model.h"

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
	struct binary bin;	/* FILE's analysis (vaddrs, file offsets) */
	bool bin_cached;	/* taken from root's cache (cpython/binary_store.h) */
	/* whose rights what runs on its behalf takes (user/os/run_as.h), read
	 * when it was found; creds_known false: nothing is run for it */
	bool creds_known;
	struct proc_creds creds;
	struct tr_proc_cfg cfg;	/* goes to the BPF `procs` map */
	uint64_t load_bias;	/* runtime address - ELF virtual address of FILE */
	uint64_t runtime_addr;	/* _PyRuntime in the process */
	/* set by the session: probe the bootstrap's hand-over; and only that
	 * (its calls are counted inside the process: no call probes) */
	bool cover_channel, calls_inside;
	/* --c-calls: its sites and configuration (user/capture/ccalls.h), NULL without */
	struct ccalls *ccalls;
	uint32_t n_warnings;
	char warnings[IN_MAX_WARNINGS][256];
};

/* what target__inspect plans */
#define TARGET_PROBE_CALLS 1	/* how calls (and collections, imports) are probed */
#define TARGET_PROBE_LINES 2	/* coverage wants line events: a strategy that has
				 * them (USDT's line probe) is taken first */

/* Inspect PID. PROBE (TARGET_PROBE_*): with TARGET_PROBE_CALLS, plan how its
 * calls are probed, with FORCE a strategy name the user asked for, or NULL;
 * without (--sample) the strategy stays none and no call probe caveat is said.
 * The interpreter's file is analysed through BINS when not NULL (shared
 * with other processes of the same file), else for PID alone. On error
 * returns -errno and writes a one-line reason to ERR. */
int target__inspect(struct binary_cache *bins, int pid, enum target_mode mode,
		    unsigned probe, const char *force, struct target *t, char *err, size_t errlen);
/* Does process PID map a CPython interpreter (as target__inspect finds
 * one, nothing analysed)? 1, 0, or -errno (gone) */
int target__is_python(int pid);
/* Does the ELF file at PATH hold a CPython interpreter, or need a
 * libpython3 (a program that exec'd it runs one)? */
bool target__file_is_python(const char *path);
/* the template of T's file for the BPF `bins` map (-a, and a process
 * followed through exec): its configuration with ELF addresses (the load
 * bias taken off), and where the probed code's segment lies; bin_id ID */
void target__template(const struct target *t, struct tr_bin_cfg *bc, uint32_t id);
/* Fill the in_process record that describes T. */
void target__describe(const struct target *t, uint64_t attach_ts, struct in_process *p);
/*
 * PID has exited (a zombie, or reaped): checked through a pidfd, so a
 * zombie, which kill(PID, 0) still finds, counts as gone. A process being
 * killed loses its files and root (/proc/PID/root fails) a moment before
 * it becomes a zombie: where something failed, waiting up to GRACE_MS
 * tells that from a real failure.
 */
#define TARGET_EXIT_GRACE_MS 250
bool target__exited(int pid, int grace_ms);
/*
 * After T's probes are attached: is the process still the image inspected?
 * 0; or -ESRCH when it exited, -ESTALE when it exec'd another image (or
 * the same file at another address) in between, with a one-line reason in
 * ERR. WHEN: "during attach", "before it could be inspected"...
 */
int target__recheck(const struct target *t, const char *when, char *err, size_t errlen);
/* remove /tmp/perf-PID.map (written by the perf trampoline of a process
 * we launched with PYTHONPERFSUPPORT=1), if it is a regular file */
void target__remove_perf_map(int pid);
/* read LEN bytes at ADDR of process PID (through /proc/PID/mem): 0 or -errno */
int target__read_mem(int pid, uint64_t addr, void *buf, size_t len);
#endif
