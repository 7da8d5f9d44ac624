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
 * - The trap is not seen by the statistics: it is calibrated here, in the
 *   tracer's own process, in a thread of its own while the session's
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
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/probe_cost.h"
#include "tracer.skel.h"

#define CALIB_CALLS 100		/* calls timed per round */
#define CALIB_ROUNDS 5		/* the best round counts */

struct prog_run {
	uint64_t ns, cnt;
};

struct probe_cost_meter {
	int stats_fd;		/* -1: statistics not turned on by us */
	bool stats_on;		/* ours, or the sysctl's */
	bool uretprobe;		/* returns are uretprobes (eval) */
	int n_slow;		/* single-stepped sites (dispatch) */
	struct bpf_program *entry, *ret, *line;
	struct prog_run e, r, l;
	bool read;
	pthread_t thread;	/* calibrating */
	bool thread_started;
	struct probe_cost calib;	/* its result: the traps, or a note */
	int calib_ret;		/* 0: calibrated */
};

static int calibrate(const struct probe_cost_meter *m, struct probe_cost *pc);

static void *calibrate_thread(void *arg)
{
	struct probe_cost_meter *m = arg;

	m->calib_ret = calibrate(m, &m->calib);
	return NULL;
}

#if defined(__x86_64__)
/* the calibration's probe site: a nop (emulated, as USDT sites are) and a
 * ret, out of reach of the compiler's inlining */
__asm__(".pushsection .text\n"
	".globl tr_probe_cost_site\n"
	".type tr_probe_cost_site, @function\n"
	"tr_probe_cost_site:\n"
	"\tnop\n"
	"\tret\n"
	".size tr_probe_cost_site, .-tr_probe_cost_site\n"
	".popsection\n");
void tr_probe_cost_site(void);
#define HAVE_SITE 1
#endif

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

struct probe_cost_meter *probe_cost__start(struct tracer_bpf *skel, const struct target *t)
{
	struct probe_cost_meter *m;

	if (t->calls_inside)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
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
}

#ifdef HAVE_SITE
static double calls_ns(void)
{
	void (*volatile fn)(void) = tr_probe_cost_site;
	double best = 0;

	fn();	/* the page in, the breakpoint installed */
	for (int r = 0; r < CALIB_ROUNDS; r++) {
		struct timespec a, b;
		double ns;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < CALIB_CALLS; i++)
			fn();
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / CALIB_CALLS;
		if (!r || ns < best)
			best = ns;
	}
	return best;
}

static long read_long(const char *path, const char *fmt)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, fmt, &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* the file offset of the calibration site in our executable */
static long site_offset(void)
{
	uintptr_t want = (uintptr_t)tr_probe_cost_site;
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, off;
	char line[512];
	long ret = -1;

	if (!f)
		return -1;
	while (ret < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && want >= lo && want < hi)
			ret = (long)(want - lo + off);
	fclose(f);
	return ret;
}

/* a uprobe (RET: uretprobe) on the site for this thread, running PROG */
static int site_probe(int prog, long offset, bool ret)
{
	static const char path[] = "/proc/self/exe";
	long type = read_long("/sys/bus/event_source/devices/uprobe/type", "%ld");
	long bit = read_long("/sys/bus/event_source/devices/uprobe/format/retprobe", "config:%ld");
	struct perf_event_attr a = {
		.size = sizeof(a),
		.type = (__u32)type,
		.config = ret ? 1ull << bit : 0,
		.config1 = (__u64)(uintptr_t)path,
		.config2 = (__u64)offset,
	};
	int fd;

	if (type < 0 || (ret && (bit < 0 || bit > 63)))
		return -1;
	fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0 && (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) ||
			ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* the traps: 0, or -1 with PC->note saying why not */
static int calibrate(const struct probe_cost_meter *m, struct probe_cost *pc)
{
	/* r0 = 0; exit */
	const struct bpf_insn empty[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	long offset = site_offset();
	int prog = -1, up = -1, uret = -1, ret = -1;
	double none, with_up = 0, with_both = 0, run_ns = 0;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	none = calls_ns();
	if (offset >= 0)
		prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "tr_probe_cost", "GPL", empty, 2, NULL);
	if (prog >= 0 && (up = site_probe(prog, offset, false)) >= 0)
		with_up = calls_ns();
	if (up >= 0 && m->uretprobe && (uret = site_probe(prog, offset, true)) >= 0)
		with_both = calls_ns();
	if (up < 0 || (m->uretprobe && uret < 0)) {
		snprintf(pc->note, sizeof(pc->note), "the trap could not be calibrated "
			 "(a uprobe on the tracer itself: %s)", strerror(errno));
		goto out;
	}
	/* the empty program's own runs are not the trap's (their mean) */
	if (m->stats_on && !bpf_obj_get_info_by_fd(prog, &info, &len) && info.run_cnt)
		run_ns = (double)info.run_time_ns / info.run_cnt;
	pc->trap_entry_ns = with_up - none - run_ns;
	pc->trap_return_ns = m->uretprobe ? with_both - with_up - run_ns : pc->trap_entry_ns;
	if (pc->trap_entry_ns < 0)
		pc->trap_entry_ns = 0;
	if (pc->trap_return_ns < 0)
		pc->trap_return_ns = 0;
	ret = 0;
out:
	if (uret >= 0)
		close(uret);
	if (up >= 0)
		close(up);
	if (prog >= 0)
		close(prog);
	return ret;
}
#else
static int calibrate(const struct probe_cost_meter *m, struct probe_cost *pc)
{
	snprintf(pc->note, sizeof(pc->note), "the trap is calibrated on x86-64 only");
	return -1;
}
#endif

void probe_cost__finish(struct probe_cost_meter *m, struct probe_cost *pc)
{
	memset(pc, 0, sizeof(*pc));
	if (!m)
		return;
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	else
		m->calib_ret = calibrate(m, &m->calib);
	m->thread_started = false;
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
	pc->trap_entry_ns = m->calib.trap_entry_ns;
	pc->trap_return_ns = m->calib.trap_return_ns;
	pc->bpf_entry_runs = m->e.cnt;
	pc->bpf_return_runs = m->r.cnt;
	pc->bpf_entry_ns = m->e.cnt ? (double)m->e.ns / m->e.cnt : 0;
	pc->bpf_return_ns = m->r.cnt ? (double)m->r.ns / m->r.cnt : 0;
	snprintf(pc->return_kind, sizeof(pc->return_kind), "%s",
		 m->uretprobe ? "uretprobe" : "uprobe");
	if (m->line) {
		pc->line_runs = m->l.cnt;
		pc->line_ns = pc->trap_entry_ns + (m->l.cnt ? (double)m->l.ns / m->l.cnt : 0);
	}
	if (m->n_slow)
		snprintf(pc->note, sizeof(pc->note), "%d probe sites are single-stepped by the "
			 "kernel: their hits cost more than the emulated trap calibrated", m->n_slow);
	pc->measured = true;
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
