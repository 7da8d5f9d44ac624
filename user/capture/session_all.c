// SPDX-License-Identifier: MIT
/*
 * A system-wide session (-a): every Python process of the host, running at
 * the start or started during the session, in any mount or PID namespace.
 *
 * open outputs -> open, set rodata (system_wide, filters), load -> attach
 * the exec/exit tracepoints -> scan /proc: each Python process that passes
 * the filters is inspected, its interpreter file probed once for every
 * process that maps it (user/capture/sw_bins.c), and the process registered in
 * `procs` and described -> poll until -d, Ctrl-C or SIGTERM -> detach,
 * drain, finish.
 *
 * Where a process's description comes from:
 *  - found running: from here, at the scan, before its probes can hit;
 *  - started later, of a file already probed: the BPF side makes its entry
 *    at its first probe hit and sends TR_EV_PROC first (bpf/procs.bpf.h),
 *    described here when the record is read: traced from its first call;
 *  - started later, of a file not probed yet: TR_EV_EXEC tells of every
 *    exec; a few milliseconds later (the dynamic loader maps libpython) the
 *    process is inspected like a running one. Its calls before its file's
 *    probes are active are not seen: said in its description, with the
 *    time from its exec.
 * A process ends with TR_EV_EXIT (its last thread exits, or it execs), read
 * after all its events: the analyzer closes what it left open.
 *
 * --subprocesses (-f) with -p PID or -- CMD runs the same session for the
 * target's process tree only (user/capture/sw_tree.h): the target, launched
 * (stopped at its Python image's entry, as a launch session does) or
 * attached, is inspected, its file probed and the process registered
 * before it runs on; its descendants running at attach are found in /proc;
 * a process it or a descendant forks later joins the tree before it runs,
 * and so is traced from its first call after the fork (the probes of the
 * file are in its copy of the address space: its frames open at the fork
 * are walked at its first event, as frames running at attach); one that
 * execs an interpreter file already probed, from its first call too. The
 * session ends when the target and every traced process of its tree have
 * exited (or -d, Ctrl-C, SIGTERM).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cpython/binary_cache.h"
#include "capture/cover_session.h"
#include "capture/feed.h"
#include "capture/launch.h"
#include "util/hashmap.h"
#include "util/mono_clock.h"
#include "output/outputs.h"
#include "capture/probes.h"
#include "capture/sampler.h"
#include "capture/session.h"
#include "capture/sw_bins.h"
#include "capture/sw_filter.h"
#include "capture/sw_tree.h"
#include "capture/target.h"
#include "tracer.skel.h"
#include "capture/wall.h"

#include "capture/sw_internal.h"
#include "model/warnings.h"

/* a status line on a terminal, once a second */
static void status_line(struct sw *s, uint64_t *last_events)
{
	const volatile __u64 *d = s->skel->bss->drops;
	uint64_t lost = 0;

	for (int i = 0; i < TR_DROP__COUNT; i++)
		if (i != TR_DROP_NO_CONFIG)
			lost += d[i];
	fprintf(stderr, "\r\033[Ktracer: %zu processes traced now, %llu in all, %llu events/s, "
		"%llu lost", hashmap__size(s->live), (unsigned long long)s->traced,
		(unsigned long long)(s->feed.events - *last_events), (unsigned long long)lost);
	*last_events = s->feed.events;
}

/* poll until -d expires or a signal comes */
static const char *poll_loop(struct sw *s, struct ring_buffer *rb, int sfd)
{
	int tfd = s->o->duration > 0 ? feed__timer_fd(s->o->duration, false) : -1;
	int status = isatty(STDERR_FILENO) ? feed__timer_fd(1, true) : -1;
	int fds[] = { ring_buffer__epoll_fd(rb), sfd, tfd, status,
		      s->wall ? wall__fd(s->wall) : -1, s->root_pfd };
	int ep = feed__epoll(fds, 6);
	struct epoll_event ev[6];
	uint64_t last_events = 0, ticks;
	const char *why = NULL;

	while (!why) {
		int n = epoll_wait(ep, ev, 6, s->n_pending ? 5 : 20);

		if (n < 0 && errno != EINTR) {
			why = "epoll error";
			break;
		}
		ring_buffer__consume(rb);
		sw__check_pending(s);
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					why = strsignal(si.ssi_signo);
			} else if (fd == tfd) {
				why = "the duration (-d) expired";
			} else if (fd == status && read(status, &ticks, sizeof(ticks)) > 0) {
				status_line(s, &last_events);
			} else if (s->wall && fd == wall__fd(s->wall)) {
				/* a failed read is counted in its ticks */
				wall__tick(s->wall);
				ring_buffer__consume(rb);
			} else if (fd == s->root_pfd && !s->root_exited) {
				s->root_exited = true;
				/* (a level-triggered fd: not watched again) */
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				ring_buffer__consume(rb);
				if (hashmap__size(s->live) > 0)
					fprintf(stderr, "%stracer: PID %d exited; waiting for the %zu "
						"traced process%s of its tree (Ctrl-C to stop)\n",
						status >= 0 ? "\r\033[K" : "", s->root,
						hashmap__size(s->live),
						hashmap__size(s->live) == 1 ? "" : "es");
			}
		}
		if (s->root_exited && !hashmap__size(s->live) && !s->n_pending)
			why = "the target and its traced child processes exited";
	}
	if (status >= 0) {
		fprintf(stderr, "\r\033[K");	/* the status line goes */
		close(status);
	}
	if (tfd >= 0)
		close(tfd);
	close(ep);
	return why;
}

/*
 * --subprocesses: the target (launched: stopped at its Python image's
 * entry) and its descendants running now, in the tree; the target's file
 * probed and the target registered, else the session fails with why.
 */
static int tree_start(struct sw *s, char *err, size_t errlen)
{
	const struct session_opts *o = s->o;
	uint64_t refused = s->untraceable;
	int ret;

	if (o->argv) {
		if ((ret = sw_tree__launch(s->skel, o->argv, &s->launch, err, errlen)))
			return ret;
		s->root = launch__pid(s->launch);
	} else {
		s->root = o->pid;
		if ((ret = sw_tree__add_running(s->skel, o->pid, NULL, NULL)) < 0)
			return snprintf(err, errlen, "cannot follow the process tree of PID %d: %s",
					o->pid, strerror(-ret)), ret;
	}
	s->root_pfd = syscall(SYS_pidfd_open, s->root, 0);
	if (s->root_pfd < 0)
		return snprintf(err, errlen, "PID %d: %s", s->root, strerror(errno)), -errno;
	if (sw__consider(s, s->root, 0) == NOT_PYTHON)
		return snprintf(err, errlen, "PID %d runs no CPython interpreter", s->root),
		       -ENOEXEC;
	if (!hashmap__get(s->live, s->root) &&
	    bpf_map__lookup_elem(s->skel->maps.procs, &(__u32){ s->root }, sizeof(__u32),
				 &(struct tr_proc_cfg){}, sizeof(struct tr_proc_cfg), 0))
		return snprintf(err, errlen, "PID %d cannot be traced%s", s->root,
				s->untraceable > refused ? " (said above)" : ""), -ESRCH;
	return 0;
}

/* what -a does not do (yet), refused before any output is made */
static int unsupported(const struct session_opts *o, struct outputs *out, char *err,
		       size_t errlen)
{
	int ret;

	if (o->sample_hz && (ret = sampler__refuse(o, err, errlen)))
		return ret;
	if (o->wall && (ret = wall__check_kernel(err, errlen)))
		return ret;
	if (o->strategy)
		return snprintf(err, errlen, "%s picks the best exact strategy per interpreter "
				"file: --strategy is not supported with it",
				o->subprocesses ? "--subprocesses" : "-a"), -ENOTSUP;
	/* (each process under -a gets its sampling entry at the scan or its
	 * exec: a forked child, neither, would be left out) */
	if (o->subprocesses && o->sample_hz)
		return snprintf(err, errlen, "--subprocesses traces calls: sampling child "
				"processes is not supported yet"), -ENOTSUP;
	if (o->subprocesses && (o->coverage || outputs__want_coverage(out)))
		return snprintf(err, errlen, "--subprocesses: coverage of child processes is not "
				"supported yet"), -ENOTSUP;
	return 0;
}

int session_all__run(const struct session_opts *o)
{
	struct sw s = { .o = o, .root_pfd = -1 };
	struct outputs_cfg ocfg = session_opts__outputs_cfg(o);
	struct ring_buffer *rb = NULL;
	struct bpf_link *exec_link = NULL, *exit_link = NULL, *fork_link = NULL;
	char err[512] = "", filters[256];
	int sfd = -1, ret, exit_code = 1;
	size_t links, files;
	const char *why;

	if (feed__check_host(o->verbose))
		return 1;
	s.filter.cgroup_fd = -1;
	if (sw_filter__init(&s.filter, o, err, sizeof(err)))
		goto fail;
	if (outputs__open_cfg(o->outputs, o->n_outputs, &ocfg, &s.out, err, sizeof(err)))
		goto fail;
	outputs__set_lines(s.out, o->sample_lines);
	outputs__set_summary(s.out, o->summary_sort, o->summary_top);
	if (unsupported(o, s.out, err, sizeof(err)))
		goto fail;
	if (feed__init(&s.feed, s.out) || !(s.live = hashmap__new()) ||
	    !(s.cache = binary_cache__new()) ||
	    ((o->coverage || outputs__want_coverage(s.out)) &&
	     !(s.feed.cover = cover_session__new(&o->filter)))) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	s.skel = tracer_bpf__open();
	if (!s.skel) {
		snprintf(err, sizeof(err), "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(s.skel->maps.events, o->ringbuf_bytes);
	if (s.skel->rodata->wakeup_bytes > o->ringbuf_bytes / 16)
		s.skel->rodata->wakeup_bytes = o->ringbuf_bytes / 16;
	sw_filter__configure(&s.filter, s.skel);
	s.skel->rodata->usdt_lines = s.feed.cover != NULL;
	/* its 262144 LRU entries are preallocated: ~0.1 s of every load */
	if (!s.feed.cover)
		bpf_map__set_max_entries(s.skel->maps.lines_seen, 1);
	/* free-threaded processes are left out (sw_bins.c) */
	if (sampler__configure(s.skel, o->sample_hz, o->wall, o->sample_lines, false)) {
		snprintf(err, sizeof(err), "cannot configure sampling: %s", strerror(errno));
		goto fail;
	}
	/* the files to probe, and so their strategies, are found later: every
	 * call program is loaded when calls are traced */
	s.skel->rodata->tree_filter = o->subprocesses;
	/* (a sleepable task iterator: not loaded where the kernel has none,
	 * nor for a launched tree: its processes are found before they run,
	 * or after an exec, with the one thread that walks its own frames;
	 * its verification is a large part of a start, user/capture/bpf_load.c) */
	s.walk_loaded = !o->sample_hz && !(o->subprocesses && o->argv) &&
			!wall__check_kernel(err, sizeof(err));
	err[0] = 0;
	ret = probes__load_only(s.skel->obj, PROBES_USE_EXEC | PROBES_USE_EXIT |
					     (s.walk_loaded ? PROBES_USE_ATTACH_WALK : 0) |
					     (o->subprocesses ? PROBES_USE_FORK : 0) |
					     PROBES_USE_DEALLOC | PROBES_USE_JIT |
					     (o->sample_hz ? 0 : PROBES_USE_CALLS) |
					     sampler__uses(o->sample_hz, o->wall));
	if (!ret)
		ret = tracer_bpf__load(s.skel);
	if (ret) {
		snprintf(err, sizeof(err), "cannot load the BPF programs: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs CAP_BPF and CAP_PERFMON)"
				       : " (run with -v for details)");
		goto fail;
	}
	/* the switch (include/tracer.h) is on from the start: each file's
	 * probes take effect as they are attached, and each process's calls
	 * from its first event (its running frames walked then) */
	s.skel->bss->live = TR_LIVE_ON;
	if ((ret = sw_filter__fill_maps(&s.filter, s.skel))) {
		snprintf(err, sizeof(err), "cannot set the filters: %s", strerror(-ret));
		goto fail;
	}
	if (!(s.bins = sw_bins__new(s.skel, !o->sample_hz, o->verbose)) ||
	    !(rb = ring_buffer__new(bpf_map__fd(s.skel->maps.events), sw__on_event, &s, NULL))) {
		snprintf(err, sizeof(err), "cannot open the ring buffer: %s", strerror(errno));
		goto fail;
	}
	/* before the scan: a process that starts or ends meanwhile is seen */
	exec_link = bpf_program__attach(s.skel->progs.proc_exec);
	exit_link = bpf_program__attach(s.skel->progs.proc_exit);
	/* and before the tree is read: a fork meanwhile joins it */
	if (o->subprocesses && exec_link && exit_link &&
	    !(fork_link = bpf_program__attach(s.skel->progs.proc_fork)))
		exit_link = (bpf_link__destroy(exit_link), NULL);
	if (!exec_link || !exit_link) {
		snprintf(err, sizeof(err), "cannot attach the exec/exit tracepoints: %s",
			 strerror(errno));
		goto fail;
	}
	/* --subprocesses: the target first (a command launched before the
	 * signals are blocked for the signal fd: a mask is inherited across
	 * fork and exec, and a blocked SIGTERM would keep multiprocessing's
	 * Pool.terminate() from ending its workers) */
	if (o->subprocesses && tree_start(&s, err, sizeof(err)))
		goto fail;
	if ((sfd = feed__signal_fd()) < 0) {
		snprintf(err, sizeof(err), "cannot set up signals: %s", strerror(errno));
		goto fail;
	}
	/* sampling from now: each process once it has its entry */
	ret = 0;
	if (o->wall)
		ret = wall__start(s.skel, 0, o->sample_hz, &s.wall, err, sizeof(err));
	else if (o->sample_hz)
		ret = !(s.sampling = probes__new(s.skel)) ? -ENOMEM :
		      sampler__attach_cpus(s.skel, o->sample_hz, s.sampling, err, sizeof(err));
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	sw_filter__describe(&s.filter, filters, sizeof(filters));
	if (o->subprocesses) {
		/* its descendants running now (attached) */
		sw__scan(&s);
		fprintf(stderr, "tracer: tracing PID %d and its child processes (%llu traced now); "
			"Ctrl-C to stop\n", s.root, (unsigned long long)s.traced);
		if (s.launch && launch__release(s.launch) && !target__exited(s.root, TARGET_EXIT_GRACE_MS)) {
			snprintf(err, sizeof(err), "cannot release PID %d: %s", s.root,
				 strerror(errno));
			goto fail;
		}
	} else {
		fprintf(stderr, "tracer: looking for Python processes%s\n", filters);
		sw__scan(&s);
	}
	/* the processes whose first hit made their entry during the scan are
	 * described by their TR_EV_PROC: read them, so the count says them */
	ring_buffer__consume(rb);
	if (o->subprocesses)
		;	/* said above */
	else if (o->sample_hz)
		fprintf(stderr, "tracer: tracing %llu Python processes%s, and those started from "
			"now on: sampling %s at %u Hz; Ctrl-C to stop\n",
			(unsigned long long)s.traced, filters,
			o->wall ? "every thread (wall clock)" : "CPU time", o->sample_hz);
	else
		fprintf(stderr, "tracer: tracing %llu Python processes%s, and those started from "
			"now on; Ctrl-C to stop\n", (unsigned long long)s.traced, filters);

	why = poll_loop(&s, rb, sfd);
	/* the session ends now, for every probe at once */
	s.skel->bss->live = TR_LIVE_STOPPED;
	s.end.end_ts = mono_clock__ns();
	if (s.wall)
		s.end.wall = *wall__ticks(s.wall);
	wall__stop(s.wall);
	s.wall = NULL;
	probes__detach(s.sampling);
	s.sampling = NULL;
	files = sw_bins__probed(s.bins, &links);
	if (links)
		fprintf(stderr, "tracer: detaching %zu probes from %zu interpreter files\n", links,
			files);
	bpf_link__destroy(exec_link);
	exec_link = NULL;
	bpf_link__destroy(fork_link);
	fork_link = NULL;
	/* the table outlives the probes: events still in the ring buffer
	 * (a process's first hit, TR_EV_PROC) name their file by its id */
	sw_bins__detach(s.bins);
	bpf_link__destroy(exit_link);
	exit_link = NULL;
	while (ring_buffer__consume(rb) > 0)
		;
	sw_bins__free(s.bins);
	s.bins = NULL;
	if (s.feed.cover) {
		fprintf(stderr, "tracer: coverage: reading the code of the files that ran\n");
		cover_session__finish(s.feed.cover, s.out);
	}
	memcpy(s.end.drops, (const void *)s.skel->bss->drops, sizeof(s.end.drops));
	s.end.ringbuf_events = s.feed.events;
	fprintf(stderr, "tracer: stopped: %s\n", why);
	fprintf(stderr, "tracer: %llu processes traced (%llu exited during the session), %llu "
		"Python processes not traced, %llu %s\n",
		(unsigned long long)s.traced, (unsigned long long)s.exited,
		(unsigned long long)s.untraceable,
		(unsigned long long)s.skel->bss->procs_ignored,
		o->subprocesses ? "other processes of the probed interpreter files left out "
				  "(not of the tree)" : "left out by the filters");
	if (s.skel->bss->tree_full)
		warnings__add(s.end.warnings, &s.end.n_warnings,
			      "%llu child processes not followed: the table of the process tree was "
			      "full", (unsigned long long)s.skel->bss->tree_full);
	/* the command's failure first, then 1 (an output not written) */
	if (s.launch && s.root_exited) {
		launch__wait(s.launch, &exit_code);	/* gone: its status */
		s.launch = NULL;
	} else {
		exit_code = 0;
	}
	s.end.exit_code = exit_code;
	ret = outputs__status(outputs__end(s.out, &s.end));
	exit_code = exit_code ? exit_code : ret;
	outputs__free(s.out);
	s.out = NULL;
	if (s.launch) {
		fprintf(stderr, "tracer: waiting for PID %d to exit\n", s.root);
		launch__wait(s.launch, &exit_code);
		s.launch = NULL;
	}
	goto cleanup;
fail:
	fprintf(stderr, "tracer: %s\n", err);
	exit_code = 1;
cleanup:
	wall__stop(s.wall);
	probes__detach(s.sampling);
	bpf_link__destroy(exec_link);
	bpf_link__destroy(fork_link);
	sw_bins__free(s.bins);
	bpf_link__destroy(exit_link);
	launch__abort(s.launch);
	if (s.root_pfd >= 0)
		close(s.root_pfd);
	ring_buffer__free(rb);
	tracer_bpf__destroy(s.skel);
	outputs__free(s.out);
	feed__free(&s.feed);
	cover_session__free(s.feed.cover);
	hashmap__free(s.live, NULL);
	binary_cache__free(s.cache);
	sw_filter__free(&s.filter);
	free(s.pending);
	if (sfd >= 0)
		close(sfd);
	return exit_code;
}
