// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "output/outputs.h"
#include "capture/sampler.h"
#include "capture/session.h"
#include "output/sinks.h"
#include "cpython/pyversion.h"
#include "tracer.skel.h"

int sampler__configure(struct tracer_bpf *skel, unsigned hz, bool wall, bool lines,
			bool free_threaded)
{
	int ncpus;

	/* a free-threaded build's strings and thread-local bytecode (their
	 * layout: tracer.h); load-time constants, see bpf/pyobj.bpf.h */
	skel->rodata->unicode_kind_shift = free_threaded ? 8 : 2;
	skel->rodata->sample_tlbc = free_threaded;
	/* which sampling program loads: probes__load_only (sampler__uses) */
	if (!hz)
		return 0;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0)
		return ncpus;
	skel->rodata->sample_period_ns = 1000000000u / hz;
	skel->rodata->sample_linetables = lines;
	return bpf_map__set_max_entries(skel->maps.sample_slots, ncpus);
}

/* grow *SPAN to cover a field of SIZE bytes at OFF (< 0: not in this
 * layout); false when it would not fit the walk's one read of a frame */
static bool span_covers(uint32_t *span, int off, uint32_t size)
{
	if (off < 0)
		return true;
	if ((uint32_t)off + size > TR_SAMPLE_FRAME_SPAN)
		return false;
	if ((uint32_t)off + size > *span)
		*span = off + size;
	return true;
}

bool sampler__guess_free_threaded(int pid)
{
	char path[64], line[512];
	const char *p;
	unsigned minor;
	char t;
	bool ft = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!ft && fgets(line, sizeof(line), f))
		ft = (p = strstr(line, "/libpython3.")) &&
		     sscanf(p, "/libpython3.%u%c", &minor, &t) == 2 && t == 't';
	fclose(f);
	return ft;
}

unsigned sampler__uses(unsigned hz, bool wall)
{
	return !hz ? 0 : wall ? PROBES_USE_SAMPLE_WALL : PROBES_USE_SAMPLE_CPU;
}

int sampler__plan(struct target *t, char *err, size_t errlen)
{
	const struct tr_py_layout *L = &t->cfg.layout;
	uint32_t span = 0;
	char ver[32];

	/* the walk reads the bytes of a frame holding its code, caller,
	 * owner and instruction (and a free-threaded build's tlbc_index:
	 * which copy of the bytecode the instruction is in) at once */
	if (!span_covers(&span, L->frame_code, 8) || !span_covers(&span, L->frame_back, 8) ||
	    !span_covers(&span, L->frame_owner, 1) || !span_covers(&span, L->frame_lasti, 4) ||
	    !span_covers(&span, L->frame_instr, 8) ||
	    !span_covers(&span, L->frame_tlbc_index, 4)) {
		snprintf(err, errlen, "sampling: CPython %s's frame fields lie more than %d bytes "
			 "apart", pyversion__format(t->bin.version_hex, ver, sizeof(ver)),
			 TR_SAMPLE_FRAME_SPAN);
		return -ENOTSUP;
	}
	t->cfg.sample_span = span;
	if (t->bin.rt.runtime_tss_key > 0 && t->runtime_addr) {
		t->cfg.tss_key_addr = t->runtime_addr + t->bin.rt.runtime_tss_key;
		return 0;
	}
	snprintf(err, errlen, "sampling: where CPython %s keeps its thread states is unknown",
		 pyversion__format(t->bin.version_hex, ver, sizeof(ver)));
	return -ENOTSUP;
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

/* a cpu-clock event with the sampling program on every online CPU, its
 * links added to P */
int sampler__attach_cpus(struct tracer_bpf *skel, unsigned hz, struct probes *p, char *err,
			 size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus(), ret = 0, opened = 0;
	char what[64];

	if (ncpus < 0)
		return ncpus;
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
		/* the link owns the event's fd once made */
		ret = probes__add_link(p, bpf_program__attach_perf_event(skel->progs.sample_cpu,
									 fd), what, err, errlen);
		if (ret && ret != -ENOMEM)
			close(fd);
		else if (!ret)
			opened++;
	}
	if (!ret && !opened) {
		ret = -ENODEV;
		snprintf(err, errlen, "no CPU to sample on");
	}
	return ret;
}

int sampler__attach(struct tracer_bpf *skel, const struct target *t, unsigned hz, bool wall,
		    struct probes **out, char *err, size_t errlen)
{
	struct probes *p = NULL;
	int ret = probes__register(skel, t, &p, err, errlen);

	if (!ret && !wall)
		ret = sampler__attach_cpus(skel, hz, p, err, errlen);
	if (ret) {
		if (p)
			probes__detach(p);
		return ret;
	}
	*out = p;
	return 0;
}

int sampler__refuse(const struct session_opts *o, char *err, size_t errlen)
{
	if (o->coverage) {
		snprintf(err, errlen, "--sample measures no coverage: trace calls for that");
		return -EINVAL;
	}
	for (int i = 0; i < o->n_outputs; i++) {
		const struct sink_ops *ops = sinks__for_path(o->outputs[i]);

		if (outputs__is_recording(o->outputs[i]) || (ops && ops->coverage)) {
			snprintf(err, errlen, "%s: --sample cannot write this format (yet)",
				 o->outputs[i]);
			return -EINVAL;
		}
	}
	return 0;
}
