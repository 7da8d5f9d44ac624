// SPDX-License-Identifier: MIT
/* Which processes a system-wide session traces, and how each is
 * registered and described (user/capture/session_all.c says why). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "util/array.h"
#include "capture/attach_walk.h"
#include "cpython/binary_cache.h"
#include "capture/cover_session.h"
#include "capture/feed.h"
#include "util/hashmap.h"
#include "util/mono_clock.h"
#include "output/outputs.h"
#include "os/proc_status.h"
#include "capture/sampler.h"
#include "capture/session.h"
#include "model/strategy.h"
#include "capture/sw_bins.h"
#include "capture/sw_filter.h"
#include "capture/sw_tree.h"
#include "capture/target.h"
#include "util/text_escape.h"
#include "tracer.skel.h"

#include "capture/sw_internal.h"
#include "model/warnings.h"

#define MS 1000000ull

/* an exec not yet known to be of Python: looked at again after these
 * delays from the exec (ld.so maps libpython within a few ms) */
static const uint64_t pending_after[] = { 5 * MS, 25 * MS, 100 * MS, 500 * MS };
#define PENDING_TRIES (sizeof(pending_after) / sizeof(pending_after[0]))

static uint32_t draw_instance(struct sw *s)
{
	return __atomic_add_fetch(&s->skel->bss->last_instance, 1, __ATOMIC_SEQ_CST);
}

/* a Python process that cannot be traced: said now, and in the outputs'
 * end warnings (the first IN_MAX_WARNINGS) */
static void untraceable(struct sw *s, int pid, const char *why)
{
	fprintf(stderr, "tracer: PID %d not traced: ", pid);
	text_escape__term(stderr, why);	/* may name its files */
	fputc('\n', stderr);
	s->untraceable++;
	warnings__add(s->end.warnings, &s->end.n_warnings, "PID %d not traced: %.220s", pid, why);
}

static void add_warning(struct in_process *p, const char *fmt, double ms)
{
	warnings__add(p->warnings, &p->n_warnings, fmt, ms);
}

/* the identity of process P->pid beyond its target's (its exe): its pid
 * in its namespace and its cgroup as they are now (it may be gone: then
 * what is known stays) */
static void identify(struct in_process *p)
{
	if (!p->ns_pid)
		proc_status__ns_pid(p->pid, &p->ns_pid);
	proc_status__cgroup2(p->pid, p->cgroup, sizeof(p->cgroup));
}

/* coverage (-o .lcov/.xml, --coverage): lines from the USDT line probe,
 * set in the file's template and each process's entry before its probes
 * can hit */
static void cover_lines_knob(const struct sw *s, struct target *t)
{
	if (s->feed.cover && cover_session__usdt_lines(t))
		t->cfg.usdt_lines = 1;
}

static void describe(struct sw *s, struct in_process *p)
{
	identify(p);
	outputs__process(s->out, p);
	hashmap__set(s->live, p->pid, (void *)(uintptr_t)p->instance);
	s->traced++;
}

/*
 * Process PID, found running or exec'd at EXEC_TS (0: found by the scan):
 * probe its file if new, register and describe it unless the BPF side did.
 */
enum consider sw__consider(struct sw *s, int pid, uint64_t exec_ts)
{
	const struct sw_bin *bin;
	struct target t;
	struct in_process p;
	char err[512];
	int ret;

	/* (--subprocesses: the target, registered before the scan) */
	if (!sw_filter__wants(&s->filter, pid) ||
	    (s->o->subprocesses && (!sw_tree__has(s->skel, pid) || hashmap__get(s->live, pid))))
		return CONSIDERED;
	ret = target__inspect(s->cache, pid, TARGET_ATTACH,
			      (s->o->sample_hz ? 0 : TARGET_PROBE_CALLS) |
			      (s->feed.cover ? TARGET_PROBE_LINES : 0), NULL, &t, err, sizeof(err));
	if (ret == -ENOEXEC)
		return NOT_PYTHON;
	if (ret == -ESRCH || (ret && target__exited(pid, TARGET_EXIT_GRACE_MS)))
		return CONSIDERED;	/* gone */
	if (!ret && s->o->sample_hz)
		ret = sampler__plan(&t, err, sizeof(err));
	if (ret) {
		untraceable(s, pid, err);
		return CONSIDERED;
	}
	cover_lines_knob(s, &t);
	/* every thread's running frames once it is registered, as -p does:
	 * a thread blocked all along shows too (a warning says when not).
	 * Planned before the file's template is made from T: a process
	 * whose first hit comes before its registration has its entry made
	 * by the BPF side from the template, and the walk needs its
	 * thread-state key there (tss_key_addr) */
	bool walk = !s->o->sample_hz && s->walk_loaded && attach_walk__plan(&t);
	bin = sw_bins__of(s->bins, &t);
	if (!bin && errno == ENOMEM)
		return untraceable(s, pid, "out of memory"), CONSIDERED;
	if (!bin)
		return CONSIDERED;	/* gone */
	if (bin->refused[0]) {
		untraceable(s, pid, bin->refused);
		return CONSIDERED;
	}
	/* the file's strategy, with this process's own checks */
	if (t.cfg.strategy != bin->tmpl.cfg.strategy) {
		if (target__inspect(s->cache, pid, TARGET_ATTACH, TARGET_PROBE_CALLS,
				    strategy__name(bin->tmpl.cfg.strategy), &t, err, sizeof(err))) {
			untraceable(s, pid, err);
			return CONSIDERED;
		}
		cover_lines_knob(s, &t);
		walk = walk && attach_walk__plan(&t);
	}
	t.cfg.instance = draw_instance(s);
	t.cfg.bin_id = bin->id;
	t.cfg.walk_running = 1;
	/* its first probe hit may have made its entry already: then its
	 * TR_EV_PROC describes it. Traced from now: frames running now (its
	 * first events and the walk find them) began before this time */
	uint64_t reg_ts = mono_clock__ns();
	ret = bpf_map__update_elem(s->skel->maps.procs, &t.pid, sizeof(__u32), &t.cfg,
				   sizeof(t.cfg), BPF_NOEXIST);
	if (ret) {
		/* a busy process's first hit came first (its TR_EV_PROC
		 * describes it): its threads that make no call must still be
		 * walked, or a thread blocked all along would not show */
		uint32_t before = t.n_warnings;

		if (walk && ret == -EEXIST) {
			attach_walk__run(s->skel, &t, s->o->verbose);
			for (uint32_t i = before; i < t.n_warnings; i++)
				fprintf(stderr, "tracer: PID %d: warning: %s\n", pid, t.warnings[i]);
		}
		return CONSIDERED;
	}
	/* an exit before the entry was made sent no TR_EV_EXIT: said here */
	if (target__exited(pid, 0)) {
		bpf_map__delete_elem(s->skel->maps.procs, &t.pid, sizeof(__u32), 0);
		if (exec_ts)
			snprintf(err, sizeof(err), "exited %.1f ms after its exec, before it could be "
				 "traced (its interpreter file was being probed)",
				 (mono_clock__ns() - exec_ts) / 1e6);
		else
			snprintf(err, sizeof(err), "exited before it could be traced");
		untraceable(s, pid, err);
		return CONSIDERED;
	}
	if (s->feed.cover && cover_session__plan(s->feed.cover, &t, NULL, false))
		return untraceable(s, pid, "out of memory"), CONSIDERED;
	if (walk)
		attach_walk__run(s->skel, &t, s->o->verbose);
	uint64_t now = mono_clock__ns();
	target__describe(&t, reg_ts, &p);
	if (exec_ts && now > exec_ts && s->o->sample_hz)
		add_warning(&p, "found %.1f ms after its exec: not sampled before",
			    (now - exec_ts) / 1e6);
	else if (exec_ts && bin->attach_ts > exec_ts)
		/* only when the file's probes came after the exec: a file probed
		 * before sees the process's first call (the soak's 6704 processes
		 * were told otherwise) */
		add_warning(&p, "started %.1f ms before its interpreter file was probed (a file "
			    "this session had not seen): its calls before are not traced, frames "
			    "running then begin at that time", (bin->attach_ts - exec_ts) / 1e6);
	describe(s, &p);
	return CONSIDERED;
}

void sw__scan(struct sw *s)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		sw__consider(s, pid, 0);
	}
	closedir(d);
}

/* TR_EV_PROC: the BPF side made the entry of a process at its first hit */
static void on_proc(struct sw *s, const struct tr_ev_proc *e)
{
	const struct sw_bin *bin = sw_bins__by_id(s->bins, e->bin_id);
	struct in_process p;
	struct target t;
	char link[64];
	ssize_t n;

	if (!bin)
		return;		/* cannot be: the cookie came from here */
	/* the file's template, made this process's */
	t = bin->tmpl;
	t.pid = e->hdr.pid;
	t.cfg.instance = e->hdr.instance;
	snprintf(link, sizeof(link), "/proc/%u/exe", t.pid);
	if ((n = readlink(link, t.exe, sizeof(t.exe) - 1)) > 0)
		t.exe[n] = 0;
	if (s->feed.cover && cover_session__plan(s->feed.cover, &t, NULL, false))
		return untraceable(s, t.pid, "out of memory");
	target__describe(&t, e->hdr.ts, &p);
	p.ns_pid = e->ns_pid;
	/* sampled once its entry is made: at its first hit of the file's
	 * probes (code freed, JIT entries) or when found after its exec */
	if (s->o->sample_hz && e->hdr.ts > e->start_ns)
		add_warning(&p, "sampled from its first probe hit, %.1f ms after its start",
			    (e->hdr.ts - e->start_ns) / 1e6);
	else if (e->start_ns < bin->attach_ts)
		add_warning(&p, "started before its interpreter file was probed: traced from its "
			    "first call after (%.1f ms after its start); frames running then begin "
			    "at that time", (e->hdr.ts - e->start_ns) / 1e6);
	describe(s, &p);
}

static void on_exit_ev(struct sw *s, void *data, size_t len)
{
	const struct tr_ev_hdr *h = data;

	feed__event(&s->feed, data, len);
	feed__forget_pid(&s->feed, h->pid);
	if (hashmap__del(s->live, h->pid))
		s->exited++;
}

static void on_exec(struct sw *s, const struct tr_ev_exec *e)
{
	s->execs++;
	if (array__grow((void **)&s->pending, &s->cap_pending, s->n_pending, sizeof(*s->pending)))
		return;
	s->pending[s->n_pending++] = (struct pending_exec){
		.pid = e->hdr.pid, .exec_ts = e->hdr.ts,
	};
}

int sw__on_event(void *ctx, void *data, size_t len)
{
	struct sw *s = ctx;
	const struct tr_ev_hdr *h = data;

	if (len < sizeof(*h))
		return 0;
	switch (h->type) {
	case TR_EV_PROC:
		if (len >= sizeof(struct tr_ev_proc))
			on_proc(s, data);
		return 0;
	case TR_EV_EXEC:
		if (len >= sizeof(struct tr_ev_exec))
			on_exec(s, data);
		return 0;
	case TR_EV_EXIT:
		on_exit_ev(s, data, len);
		return 0;
	default:
		return feed__event(&s->feed, data, len);
	}
}

/* look at the execs whose time has come */
void sw__check_pending(struct sw *s)
{
	uint64_t now = mono_clock__ns();
	size_t kept = 0;

	for (size_t i = 0; i < s->n_pending; i++) {
		struct pending_exec *pe = &s->pending[i];
		__u32 pid = pe->pid;
		struct tr_proc_cfg cfg;
		bool done = true;

		if (now < pe->exec_ts + pending_after[pe->tries]) {
			s->pending[kept++] = *pe;
			continue;
		}
		/* an entry already: its file was probed, the BPF side has it */
		if (bpf_map__lookup_elem(s->skel->maps.procs, &pid, sizeof(pid), &cfg,
					 sizeof(cfg), 0) &&
		    sw__consider(s, pid, pe->exec_ts) == NOT_PYTHON)
			done = ++pe->tries == PENDING_TRIES;
		if (!done)
			s->pending[kept++] = *pe;
	}
	s->n_pending = kept;
}
