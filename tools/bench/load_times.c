// SPDX-License-Identifier: MIT
/*
 * The load (and verification) time of each program of bpf/tracer.bpf.c,
 * for `make bench`'s load table (tools/bench/loadbench.py).
 *
 * Each round opens the object and loads it with one program only (the
 * others' autoload off), so a row is that program's load + verification
 * time plus what any load costs (BTF, maps: the "(maps only)" row, a load
 * with no program, sized as a session without line coverage). Best of ROUNDS per program: the machine may be busy.
 * Output: one line per program, tab-separated: name, instructions, the
 * instructions the verifier processed, best milliseconds.
 *
 * Usage: bench-load-times [ROUNDS]   (root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tracer.skel.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* load the object with program ONLY (NULL: none): ms, or < 0 */
static double load_one(const char *only, unsigned long *insns, unsigned long *verified)
{
	struct tracer_bpf *skel = tracer_bpf__open();
	struct bpf_program *prog;
	double t0, t;
	int ncpus = libbpf_num_possible_cpus();

	if (!skel)
		return -1;
	bpf_map__set_max_entries(skel->maps.sample_slots, ncpus > 0 ? ncpus : 1);
	/* as a session without line coverage (user/capture/session.c) */
	bpf_map__set_max_entries(skel->maps.lines_seen, 1);
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, only && !strcmp(bpf_program__name(prog), only));
	t0 = now_ms();
	if (tracer_bpf__load(skel)) {
		tracer_bpf__destroy(skel);
		return -1;
	}
	t = now_ms() - t0;
	if (only) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		prog = bpf_object__find_program_by_name(skel->obj, only);
		*insns = bpf_program__insn_cnt(prog);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			*verified = info.verified_insns;
	}
	tracer_bpf__destroy(skel);
	return t;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	struct tracer_bpf *skel;
	struct bpf_program *prog;
	const char *names[64];
	int n = 0;

	libbpf_set_print(silent);
	skel = tracer_bpf__open();
	if (!skel) {
		fprintf(stderr, "cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
		if (n < 64)
			names[n++] = strdup(bpf_program__name(prog));
	tracer_bpf__destroy(skel);
	if (rounds < 1)
		rounds = 1;
	for (int i = -1; i < n; i++) {
		unsigned long insns = 0, verified = 0;
		double best = -1;

		for (int r = 0; r < rounds; r++) {
			double t = load_one(i < 0 ? NULL : names[i], &insns, &verified);

			if (t >= 0 && (best < 0 || t < best))
				best = t;
		}
		printf("%s\t%lu\t%lu\t%.1f\n", i < 0 ? "(maps only)" : names[i], insns, verified,
		       best);
		fflush(stdout);
	}
	return 0;
}
