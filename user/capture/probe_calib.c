// SPDX-License-Identifier: MIT
/*
 * The traps' calibration (probe_calib.h), in the tracer's own process: a
 * function of two instructions of ours (a nop, which the kernel emulates
 * as it does the USDT sites' nops and function entries' pushes, and a
 * ret) is timed, best of five rounds of a hundred calls, with nothing
 * attached, with a uprobe running an empty BPF program, and with a
 * uretprobe added; the differences, less the empty program's own run time,
 * are the traps. With SPLIT (--subtract-probe-cost), also where the
 * timestamp falls inside the trap (a program that stores
 * bpf_ktime_get_ns() in a mapped array, read between two clock reads
 * around each call: the medians of the two sides), and what a
 * single-stepped site costs more (a uprobe on a mov, which the kernel does
 * not emulate, against the nop, in turns).
 */
#include <errno.h>
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
#include "cpython/x86_code.h"
#include "os/proc_maps.h"

#define CALIB_CALLS 100		/* calls timed per round */
#define CALIB_ROUNDS 5		/* the best round counts */
#define SPLIT_CALLS 201		/* calls timed one by one for the split */
#define SLOW_TURNS 3		/* turns of the emulated and single-stepped sites */

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
	uint64_t want = (uintptr_t)site;
	struct proc_maps maps;
	long ret = -1;

	if (proc_maps__read(getpid(), &maps))
		return -1;
	for (size_t i = 0; i < maps.n && ret < 0; i++)
		if (want >= maps.v[i].start && want < maps.v[i].end)
			ret = (long)(want - maps.v[i].start + maps.v[i].offset);
	proc_maps__free(&maps);
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
	if (slow_off >= 0 && !x86_code__kernel_emulates(slow_insn, sizeof(slow_insn))) {
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
int probe_calib__traps(bool uretprobe, bool split, bool stats_on, struct probe_cost *pc)
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
	if (up >= 0 && uretprobe && (uret = site_probe(prog, offset, true)) >= 0)
		with_both = calls_ns(tr_probe_cost_site);
	if (up < 0 || (uretprobe && uret < 0)) {
		snprintf(pc->note, sizeof(pc->note), "the trap could not be calibrated "
			 "(a uprobe on the tracer itself: %s)", strerror(errno));
		goto out;
	}
	/* the empty program's own runs are not the trap's (their mean) */
	if (stats_on && !bpf_obj_get_info_by_fd(prog, &info, &len) && info.run_cnt)
		run_ns = (double)info.run_time_ns / info.run_cnt;
	pc->trap_entry_ns = with_up - none - run_ns;
	pc->trap_return_ns = uretprobe ? with_both - with_up - run_ns : pc->trap_entry_ns;
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
	if (!ret && split)
		calibrate_split(prog, with_up - none, pc);
	if (prog >= 0)
		close(prog);
	return ret;
}
#else
int probe_calib__traps(bool uretprobe, bool split, bool stats_on, struct probe_cost *pc)
{
	snprintf(pc->note, sizeof(pc->note), "the trap is calibrated on x86-64 only");
	return -1;
}
#endif
