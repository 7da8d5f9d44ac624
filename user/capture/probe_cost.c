// SPDX-License-Identifier: MIT
/*
 * The observer effect, measured in the session (docs/observer-effect.md).
 *
 * A probe hit costs the traced thread two things: the trap into the kernel
 * and back (the breakpoint, the uprobe's dispatch to its BPF program; for a
 * uretprobe, the return address hijacked at the entry and the trap at the
 * return trampoline), and the BPF program's own run.
 *
 * - The programs' run time is measured: the kernel's BPF statistics
 *   (BPF_ENABLE_STATS, on while the file descriptor it returns is open)
 *   count each program's runs and the time spent in them; the session's
 *   call programs are read at the stop switch. Statistics are global: for
 *   the session's time every BPF program of the machine pays the two clock
 *   reads they take (tens of ns a run), the session's own included - which
 *   is in what they report.
 * - The trap is not seen by the statistics: it is calibrated
 *   (user/capture/probe_calib.c) in the tracer's own process, in a thread of its own while the session's
 *   programs load (off the start's critical path; removing a uprobe waits
 *   for an RCU grace period, tens of ms, which that thread waits). A function
 *   of two instructions (a nop, which the kernel emulates as it does the
 *   USDT sites' nops and function entries' pushes, and a ret) is timed,
 *   best of five rounds of a hundred calls, with nothing attached,
 *   with a uprobe running an empty BPF program, and with a uretprobe
 *   added; the differences, less the empty program's own run time, are
 *   the traps. That is an estimate for the target's sites: the same
 *   kernel and machine, another process and instruction. A site the kernel
 *   single-steps (some of the dispatch strategy's) costs more and is said.
 * - For --subtract-probe-cost (user/analysis/probe_subtract.c) the same
 *   thread also calibrates where the event's timestamp falls inside the
 *   trap (a uprobe whose program stores bpf_ktime_get_ns() in a mapped
 *   array, read between two clock reads around each call: the medians of
 *   the two sides), and what a single-stepped site costs more (a uprobe on
 *   a `mov`, an instruction the kernel does not emulate, against the nop).
 *   The session waits for the calibration before its probes go live: the
 *   analysis subtracts as the events come.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/probe_calib.h"
#include "capture/probe_cost.h"
#include "output/outputs.h"
#include "tracer.skel.h"


struct prog_run {
	uint64_t ns, cnt;
};

struct probe_cost_meter {
	int stats_fd;		/* -1: statistics not turned on by us */
	bool stats_on;		/* ours, or the sysctl's */
	bool uretprobe;		/* returns are uretprobes (eval) */
	int n_slow;		/* single-stepped sites (dispatch) */
	bool split;		/* --subtract-probe-cost: calibrate the split */
	bool calibrated;	/* calib and calib_ret are done */
	struct bpf_program *entry, *ret, *line, *silent;
	struct prog_run e, r, l, s;
	bool read;
	pthread_t thread;	/* calibrating */
	bool thread_started;
	struct probe_cost calib;	/* its result: the traps, or a note */
	int calib_ret;		/* 0: calibrated */
};

static void fill_traps(const struct probe_cost_meter *m, struct probe_cost *pc);

static int calibrate(const struct probe_cost_meter *m, struct probe_cost *pc)
{
	return probe_calib__traps(m->uretprobe, m->split, m->stats_on, pc);
}

static void *calibrate_thread(void *arg)
{
	struct probe_cost_meter *m = arg;

	m->calib_ret = calibrate(m, &m->calib);
	return NULL;
}


static bool sysctl_stats_on(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

struct probe_cost_meter *probe_cost__start(struct tracer_bpf *skel, const struct target *t,
					   bool subtract)
{
	struct probe_cost_meter *m;

	if (t->calls_inside)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->split = subtract;
	switch (t->cfg.strategy) {
	case TR_STRATEGY_USDT:
		m->entry = skel->progs.usdt_entry;
		m->ret = skel->progs.usdt_return;
		if (t->bin.usdt_entry_needs_line || t->cfg.usdt_lines)
			m->line = skel->progs.usdt_line;
		break;
	case TR_STRATEGY_DISPATCH:
		m->entry = skel->progs.dispatch_call;
		m->ret = skel->progs.dispatch_return;
		m->silent = skel->progs.eval_throw;
		m->n_slow = t->bin.plan.n_slow;
		break;
	default:
		m->entry = skel->progs.eval_entry;
		m->ret = skel->progs.eval_return;
		m->uretprobe = true;
		break;
	}
	m->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	m->stats_on = m->stats_fd >= 0 || sysctl_stats_on();
	/* (without a thread, calibrated at the end) */
	m->thread_started = !pthread_create(&m->thread, NULL, calibrate_thread, m);
	return m;
}

static int prog_run(struct bpf_program *p, struct prog_run *r)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = p ? bpf_program__fd(p) : -1;

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	r->ns = info.run_time_ns;
	r->cnt = info.run_cnt;
	return 0;
}

void probe_cost__read(struct probe_cost_meter *m)
{
	if (!m || !m->stats_on)
		return;
	m->read = !prog_run(m->entry, &m->e) && !prog_run(m->ret, &m->r) &&
		  (!m->line || !prog_run(m->line, &m->l));
	if (m->read && m->silent && prog_run(m->silent, &m->s))
		m->s = (struct prog_run){};
}


/* the calibration thread's result, or the calibration run here when no
 * thread ran it */
static void calibration_done(struct probe_cost_meter *m)
{
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	else if (!m->calibrated)
		m->calib_ret = calibrate(m, &m->calib);
	m->thread_started = false;
	m->calibrated = true;
}

void probe_cost__finish(struct probe_cost_meter *m, struct probe_cost *pc)
{
	memset(pc, 0, sizeof(*pc));
	if (!m)
		return;
	calibration_done(m);
	if (!m->read) {
		snprintf(pc->note, sizeof(pc->note), "the BPF programs' run time could not be "
			 "measured (BPF statistics: %s)", m->stats_on ? "unreadable" :
			 "BPF_ENABLE_STATS refused (Linux 5.8+)");
		return;
	}
	if (m->calib_ret) {
		memcpy(pc->note, m->calib.note, sizeof(pc->note));
		return;
	}
	fill_traps(m, pc);
	pc->subtracted = m->split;
	pc->bpf_entry_runs = m->e.cnt;
	pc->bpf_return_runs = m->r.cnt;
	pc->bpf_entry_ns = m->e.cnt ? (double)m->e.ns / m->e.cnt : 0;
	pc->bpf_return_ns = m->r.cnt ? (double)m->r.ns / m->r.cnt : 0;
	snprintf(pc->return_kind, sizeof(pc->return_kind), "%s",
		 m->uretprobe ? "uretprobe" : "uprobe");
	if (m->s.cnt) {
		pc->silent_hits = m->s.cnt;
		pc->silent_ns = pc->trap_entry_ns + (double)m->s.ns / m->s.cnt;
	}
	if (m->line) {
		pc->line_runs = m->l.cnt;
		pc->line_ns = pc->trap_entry_ns + (m->l.cnt ? (double)m->l.ns / m->l.cnt : 0);
	}
	if (m->n_slow && !m->split)
		snprintf(pc->note, sizeof(pc->note), "%d probe sites are single-stepped by the "
			 "kernel: their hits cost more than the emulated trap calibrated", m->n_slow);
	else if (m->n_slow && pc->slow_extra_ns < 0)
		snprintf(pc->note, sizeof(pc->note), "%d probe sites are single-stepped by the "
			 "kernel: their extra cost could not be calibrated, not subtracted",
			 m->n_slow);
	pc->measured = true;
}

/* the calibrated parts of M into PC */
static void fill_traps(const struct probe_cost_meter *m, struct probe_cost *pc)
{
	pc->trap_entry_ns = m->calib.trap_entry_ns;
	pc->trap_return_ns = m->calib.trap_return_ns;
	pc->trap_entry_before_ns = m->calib.trap_entry_before_ns;
	pc->trap_return_before_ns = m->calib.trap_return_before_ns;
	pc->slow_extra_ns = m->split ? m->calib.slow_extra_ns : -1;
	pc->slow_sites = m->n_slow;
	if (m->calib.note[0] && !pc->note[0])
		memcpy(pc->note, m->calib.note, sizeof(pc->note));
}

int probe_cost__calibrated(struct probe_cost_meter *m, struct probe_cost *pc, char *err,
			   size_t errlen)
{
	memset(pc, 0, sizeof(*pc));
	if (!m) {
		snprintf(err, errlen, "--subtract-probe-cost: the probe cost is not measured in "
			 "this session");
		return -1;
	}
	calibration_done(m);
	if (m->calib_ret || !m->stats_on) {
		snprintf(err, errlen, "--subtract-probe-cost: %s", m->calib_ret ? m->calib.note :
			 "the BPF programs' run time cannot be measured (BPF_ENABLE_STATS "
			 "refused: Linux 5.8+)");
		return -1;
	}
	fill_traps(m, pc);
	snprintf(pc->return_kind, sizeof(pc->return_kind), "%s",
		 m->uretprobe ? "uretprobe" : "uprobe");
	pc->subtracted = true;
	pc->measured = true;
	return 0;
}

void probe_cost__refresh(struct probe_cost_meter *m, struct probe_cost *pc, struct outputs *out)
{
	struct prog_run e, r;

	if (!m || !pc->subtracted || prog_run(m->entry, &e) || prog_run(m->ret, &r))
		return;
	pc->bpf_entry_runs = e.cnt;
	pc->bpf_return_runs = r.cnt;
	pc->bpf_entry_ns = e.cnt ? (double)e.ns / e.cnt : 0;
	pc->bpf_return_ns = r.cnt ? (double)r.ns / r.cnt : 0;
	outputs__set_probe_cost(out, pc);
}

/* said before tracing: the calibrated parts (the BPF part comes as measured) */
void probe_cost__say_subtract(const struct probe_cost *c)
{

	fprintf(stderr, "tracer: --subtract-probe-cost: calibrated traps: entry %.2f us (%.2f "
		"before the timestamp), return (%s) %.2f us (%.2f before)", c->trap_entry_ns / 1e3,
		c->trap_entry_before_ns / 1e3, c->return_kind, c->trap_return_ns / 1e3,
		c->trap_return_before_ns / 1e3);
	if (c->slow_sites && c->slow_extra_ns >= 0)
		fprintf(stderr, "; %d single-stepped site(s): %.2f us more per hit, after it",
			c->slow_sites, c->slow_extra_ns / 1e3);
	else if (c->slow_sites)
		fprintf(stderr, "; %d single-stepped site(s): their extra cost could not be "
			"calibrated and is NOT subtracted", c->slow_sites);
	fprintf(stderr, "; plus the BPF programs' measured run time: subtracted from self and "
		"total times of the summary, .folded, .svg, .pprof and .speedscope.json, not the "
		".json/.pftrace timelines (docs/observer-effect.md)\n");
}


void probe_cost__free(struct probe_cost_meter *m)
{
	if (!m)
		return;
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	/* turning the statistics off patches the kernel's code: not on the
	 * way to the outputs */
	if (m->stats_fd >= 0)
		close(m->stats_fd);
	free(m);
}
