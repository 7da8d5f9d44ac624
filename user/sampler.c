// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "sampler.h"
#include "tracer.skel.h"

/*
 * Offset in _PyRuntime of autoTSSkey (Py_tss_t: {int _is_initialized;
 * pthread_key_t _key;}), per minor version, from the DWARF of the pyenv
 * builds; Debian's 3.11.2 has 3.11.7's (its PyGILState_GetThisThreadState
 * reads _PyRuntime+596, the _key). See docs/notes/sampling.md.
 */
static const struct { unsigned minor; unsigned offset; } tss_key_offsets[] = {
	{ 8, 1392 }, { 9, 584 }, { 10, 584 }, { 11, 592 }, { 12, 1544 }, { 13, 2160 },
};

struct sampler {
	struct tracer_bpf *skel;
	int pid;
	int n;
	struct bpf_link **links;	/* the code_dealloc uprobe, then one per CPU */
};

int sampler__configure(struct tracer_bpf *skel, unsigned hz)
{
	int ncpus;

	if (!hz)
		return bpf_program__set_autoload(skel->progs.sample_cpu, false);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0)
		return ncpus;
	skel->rodata->sample_period_ns = 1000000000u / hz;
	return bpf_map__set_max_entries(skel->maps.sample_slots, ncpus);
}

int sampler__locate_key(struct target *t, char *err, size_t errlen)
{
	unsigned minor = (t->version_hex >> 16) & 0xff;

	for (size_t i = 0; i < sizeof(tss_key_offsets) / sizeof(tss_key_offsets[0]); i++) {
		if (tss_key_offsets[i].minor == minor && t->runtime_addr) {
			t->cfg.tss_key_addr = t->runtime_addr + tss_key_offsets[i].offset;
			return 0;
		}
	}
	snprintf(err, errlen, "sampling: where CPython 3.%u keeps its thread states is unknown",
		 minor);
	return -ENOTSUP;
}

static int add_link(struct sampler *s, struct bpf_link *l, const char *what,
		    char *err, size_t errlen)
{
	long e = libbpf_get_error(l);

	if (!l || e) {
		int ret = e ? (int)e : -errno;
		snprintf(err, errlen, "cannot attach %s: %s", what, strerror(-ret));
		return ret ? ret : -EINVAL;
	}
	s->links[s->n++] = l;
	return 0;
}

/* a cpu-clock event on CPU, every PERIOD_NS of CPU time: an fd, or -errno */
static int open_cpu_clock(int cpu, unsigned long period_ns)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.sample_period = period_ns,
	};
	int fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sampler__attach(struct tracer_bpf *skel, const struct target *t, unsigned hz,
		    struct sampler **out, char *err, size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus(), ret = 0, opened = 0;
	struct sampler *s;
	__u32 pid = t->pid;
	char what[64];

	if (ncpus < 0)
		return ncpus;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->links = calloc(ncpus + 1, sizeof(*s->links)))) {
		free(s);
		return -ENOMEM;
	}
	s->skel = skel;
	s->pid = t->pid;
	ret = bpf_map__update_elem(skel->maps.procs, &pid, sizeof(pid), &t->cfg,
				   sizeof(t->cfg), BPF_ANY);
	if (ret) {
		snprintf(err, errlen, "cannot register PID %d: %s", t->pid, strerror(-ret));
		free(s->links);
		free(s);
		return ret;
	}
	/* freed code objects leave the identity cache (see bpf/tracer.bpf.c) */
	if (t->cfg.dealloc_probed)
		ret = add_link(s, bpf_program__attach_uprobe(skel->progs.code_freed, false, t->pid,
							     t->open_path, t->dealloc_offset),
			       "uprobe code_dealloc", err, errlen);
	for (int cpu = 0; cpu < ncpus && !ret; cpu++) {
		int fd = open_cpu_clock(cpu, 1000000000ul / hz);

		if (fd == -ENODEV)
			continue;	/* offline */
		if (fd < 0) {
			ret = fd;
			snprintf(err, errlen, "cannot open a cpu-clock perf event on CPU %d: %s%s",
				 cpu, strerror(-fd), fd == -EACCES || fd == -EPERM ?
				 " (needs CAP_PERFMON)" : "");
			break;
		}
		snprintf(what, sizeof(what), "the sampling program on CPU %d", cpu);
		ret = add_link(s, bpf_program__attach_perf_event(skel->progs.sample_cpu, fd),
			       what, err, errlen);
		if (ret)
			close(fd);
		else
			opened++;
	}
	if (!ret && !opened) {
		ret = -ENODEV;
		snprintf(err, errlen, "no CPU to sample on");
	}
	if (ret) {
		sampler__detach(s);
		return ret;
	}
	*out = s;
	return 0;
}

void sampler__detach(struct sampler *s)
{
	__u32 pid;

	if (!s)
		return;
	pid = s->pid;
	while (s->n > 0)
		bpf_link__destroy(s->links[--s->n]);	/* closes the perf event fd */
	bpf_map__delete_elem(s->skel->maps.procs, &pid, sizeof(pid), 0);
	free(s->links);
	free(s);
}
