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
#include "capture/probe_cost.h"
#include "cpython/dispatch_sites.h"
#include "tracer.skel.h"

#define CALIB_CALLS 100		/* calls timed per round */
#define CALIB_ROUNDS 5		/* the best round counts */
#define SPLIT_CALLS 201		/* calls timed one by one for the split */
#define SLOW_TURNS 3		/* turns of the emulated and single-stepped sites */

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

static int calibrate(const struct probe_cost_meter *m, struct probe_cost *pc);
static void fill_traps(const struct probe_cost_meter *m, struct probe_cost *pc);

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
	".globl tr_probe_cost_slow_site\n"
	".type tr_probe_cost_slow_site, @function\n"
	"tr_probe_cost_slow_site:\n"
	"\tmov %rdi, %rax\n"
	"\tret\n"
	".size tr_probe_cost_slow_site, .-tr_probe_cost_slow_site\n"
	".popsection\n");
void tr_probe_cost_site(void);
/* the same with a mov, which the kernel single-steps */
void tr_probe_cost_slow_site(void);
static const unsigned char slow_insn[] = { 0x48, 0x89, 0xf8 };
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

#ifdef HAVE_SITE
static double calls_ns(void (*site)(void))
{
	void (*volatile fn)(void) = site;
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

/* the file offset of calibration site SITE in our executable */
static long site_offset(void (*site)(void))
{
	uintptr_t want = (uintptr_t)site;
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

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

/*
 * Where the timestamp falls in a hit of the uprobe on the emulated site:
 * its program stores bpf_ktime_get_ns() (CLOCK_MONOTONIC, as ours) in the
 * array whose value is mapped at TS. Each call is timed alone; the medians
 * of (program's clock - before) and (after - program's clock). 0, or -1.
 */
static int split_ns(volatile uint64_t *ts, double *before, double *after)
{
	void (*volatile fn)(void) = tr_probe_cost_site;
	static double b[SPLIT_CALLS], a[SPLIT_CALLS];
	int n = 0;

	fn();
	for (int i = 0; i < SPLIT_CALLS; i++) {
		uint64_t t0, t1, p;

		*ts = 0;
		t0 = now_ns();
		fn();
		t1 = now_ns();
		p = *ts;
		if (p < t0 || p > t1)
			continue;	/* (not ours: never expected) */
		b[n] = (double)(p - t0);
		a[n++] = (double)(t1 - p);
	}
	if (n < SPLIT_CALLS / 2)
		return -1;
	qsort(b, n, sizeof(*b), cmp_double);
	qsort(a, n, sizeof(*a), cmp_double);
	*before = b[n / 2];
	*after = a[n / 2];
	return 0;
}

/* a program storing bpf_ktime_get_ns() in the array MAP's value */
static int clock_prog(int map)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ktime_get_ns },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_VALUE, .imm = map },
		{ .imm = 0 },	/* (the value's offset) */
		{ .code = BPF_STX | BPF_DW | BPF_MEM, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_KPROBE, "tr_probe_split", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

/*
 * For --subtract-probe-cost: the fraction of the emulated trap before the
 * timestamp (PC->trap_*_before_ns), and the single-step's extra cost
 * (PC->slow_extra_ns, -1 if not calibrated). The empty program PROG's hits
 * cost EMULATED_NS on the emulated site.
 */
static void calibrate_split(int prog, double emulated_ns, struct probe_cost *pc)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	long slow_off = site_offset(tr_probe_cost_slow_site);
	long offset = site_offset(tr_probe_cost_site);
	double before = 0, after = 0, frac = 0.5;
	int map = -1, cprog = -1, up = -1;
	void *mem = MAP_FAILED;

	pc->slow_extra_ns = -1;
	/* the split: on failure, half and half (said by the note) */
	map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tr_probe_split", 4, 8, 1, &mo);
	if (map >= 0)
		mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, map, 0);
	if (mem != MAP_FAILED && (cprog = clock_prog(map)) >= 0 &&
	    (up = site_probe(cprog, offset, false)) >= 0 &&
	    !split_ns(mem, &before, &after) && before + after > 0)
		frac = before / (before + after);
	else
		snprintf(pc->note, sizeof(pc->note), "where the timestamp falls in a trap was "
			 "not calibrated: half of it is taken as before (%s)", strerror(errno));
	pc->trap_entry_before_ns = frac * pc->trap_entry_ns;
	pc->trap_return_before_ns = frac * pc->trap_return_ns;
	if (up >= 0)
		close(up);
	up = -1;
	/* the single-step: the empty program on the mov against the same on
	 * the nop, timed in turns (a busy machine moves both alike), the best
	 * of SLOW_TURNS x CALIB_ROUNDS rounds each */
	if (slow_off >= 0 && !dispatch_sites__kernel_emulates(slow_insn, sizeof(slow_insn))) {
		double none_e = 1e18, none_s = 1e18, with_e = 1e18, with_s = 1e18;
		int up_s = -1;

		for (int i = 0; i < SLOW_TURNS; i++) {
			none_e = min_d(none_e, calls_ns(tr_probe_cost_site));
			none_s = min_d(none_s, calls_ns(tr_probe_cost_slow_site));
		}
		if ((up = site_probe(prog, offset, false)) >= 0 &&
		    (up_s = site_probe(prog, slow_off, false)) >= 0) {
			for (int i = 0; i < SLOW_TURNS; i++) {
				with_e = min_d(with_e, calls_ns(tr_probe_cost_site));
				with_s = min_d(with_s, calls_ns(tr_probe_cost_slow_site));
			}
			pc->slow_extra_ns = (with_s - none_s) - (with_e - none_e);
			if (pc->slow_extra_ns < 0)
				pc->slow_extra_ns = 0;
		}
		if (up_s >= 0)
			close(up_s);
	}
	(void)emulated_ns;
	if (up >= 0)
		close(up);
	if (cprog >= 0)
		close(cprog);
	if (mem != MAP_FAILED)
		munmap(mem, 4096);
	if (map >= 0)
		close(map);
}

/* the traps: 0, or -1 with PC->note saying why not */
static int calibrate(const struct probe_cost_meter *m, struct probe_cost *pc)
{
	/* r0 = 0; exit */
	const struct bpf_insn empty[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	long offset = site_offset(tr_probe_cost_site);
	int prog = -1, up = -1, uret = -1, ret = -1;
	double none, with_up = 0, with_both = 0, run_ns = 0;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	none = calls_ns(tr_probe_cost_site);
	if (offset >= 0)
		prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "tr_probe_cost", "GPL", empty, 2, NULL);
	if (prog >= 0 && (up = site_probe(prog, offset, false)) >= 0)
		with_up = calls_ns(tr_probe_cost_site);
	if (up >= 0 && m->uretprobe && (uret = site_probe(prog, offset, true)) >= 0)
		with_both = calls_ns(tr_probe_cost_site);
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
	/* (alone on the site: each hit runs every program attached there) */
	if (!ret && m->split)
		calibrate_split(prog, with_up - none, pc);
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
	else if (!m->calibrated)
		m->calib_ret = calibrate(m, &m->calib);
	m->thread_started = false;
	m->calibrated = true;
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
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	else if (!m->calibrated)
		m->calib_ret = calibrate(m, &m->calib);
	m->thread_started = false;
	m->calibrated = true;
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

void probe_cost__refresh(struct probe_cost_meter *m, struct probe_cost *pc)
{
	struct prog_run e, r;

	if (!m || !pc->subtracted || prog_run(m->entry, &e) || prog_run(m->ret, &r))
		return;
	pc->bpf_entry_runs = e.cnt;
	pc->bpf_return_runs = r.cnt;
	pc->bpf_entry_ns = e.cnt ? (double)e.ns / e.cnt : 0;
	pc->bpf_return_ns = r.cnt ? (double)r.ns / r.cnt : 0;
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
