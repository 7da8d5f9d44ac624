// SPDX-License-Identifier: MIT
/*
 * A live session: open outputs -> find/launch the target (meanwhile a
 * thread opens, sets rodata for a guess and loads the BPF object:
 * user/capture/bpf_load.c) -> take it, or load for what the target needs -> attach -> poll the ring buffer until the
 * target exits, -d expires or a signal arrives -> detach, drain, finish.
 *
 * Everything read from the ring buffer goes through the feed (user/capture/feed.c):
 * to the recording (if any) and to the analyzer, preceded by the process
 * and thread descriptions the loader makes, so a recording replays exactly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "analysis/analyzer.h"
#include "capture/async_tasks.h"
#include "capture/attach_walk.h"
#include "capture/bpf_load.h"
#include "capture/children.h"
#include "capture/cover_boot.h"
#include "capture/cover_session.h"
#include "capture/dispatch_say.h"
#include "capture/exec_follow.h"
#include "capture/feed.h"
#include "capture/greenlet_watch.h"
#include "capture/jit_session.h"
#include "capture/launch.h"
#include "util/mono_clock.h"
#include "output/outputs.h"
#include "capture/probe_cost.h"
#include "capture/probes.h"
#include "capture/progress.h"
#include "cpython/pyversion.h"
#include "record/recording.h"
#include "capture/sampler.h"
#include "capture/session.h"
#include "capture/session_poll.h"
#include "capture/ccalls.h"
#include "capture/status_line.h"
#include "capture/sw_tree.h"
#include "model/strategy.h"
#include "capture/target.h"
#include "capture/thread_names.h"
#include "util/text_escape.h"
#include "tracer.skel.h"
#include "capture/wall.h"
#include "os/root_cache.h"

/* launch mode turns the perf trampoline on (PYTHONPERFSUPPORT=1) */
static bool perf_support_set(const struct session_opts *o)
{
	return o->argv && o->strategy && !strcmp(o->strategy, "eval");
}

/* Find the Python program: the command may exec through wrappers (env, sh). */
static int launch_target(const struct session_opts *o, const struct cover_boot *boot,
			 struct launch **l, struct target *t, char *err, size_t errlen)
{
	char *env[16] = {};
	int n = 0, ret;

	/* the eval strategy sees 3.12+ calls only through the perf trampoline */
	if (perf_support_set(o))
		env[n++] = "PYTHONPERFSUPPORT=1";
	for (char *const *e = boot ? cover_boot__env(boot) : NULL; e && *e && n < 15; e++)
		env[n++] = *e;
	ret = launch__start(o->argv, env, l, err, errlen);

	while (!ret) {
		ret = target__inspect(NULL, launch__pid(*l), TARGET_LAUNCH,
				      (o->sample_hz ? 0 : TARGET_PROBE_CALLS) |
				      (boot ? TARGET_PROBE_LINES : 0), o->strategy, t, err, errlen);
		if (ret != -ENOEXEC)
			break;
		ret = launch__next_exec(*l);
		if (ret == -ECHILD)
			snprintf(err, errlen, "%s exited without running a Python interpreter",
				 o->argv[0]);
	}
	return ret;
}

static void say_target(const struct target *t)
{
	char ver[16];

	/* the file and warnings name the target's files: escaped */
	fprintf(stderr, "tracer: PID %d: CPython %s (", t->pid,
		pyversion__format(t->bin.version_hex, ver, sizeof(ver)));
	text_escape__term(stderr, t->file);
	fprintf(stderr, "), strategy %s\n", t->calls_inside ?
		"none (calls counted by the coverage bootstrap)" : strategy__name(t->cfg.strategy));
	for (uint32_t i = 0; i < t->n_warnings; i++) {
		fputs("tracer: warning: ", stderr);
		text_escape__term(stderr, t->warnings[i]);
		fputc('\n', stderr);
	}
}

static int make_fds(int pid, double duration, int *sfd, int *pfd, int *tfd)
{
	*sfd = feed__signal_fd();
	*pfd = syscall(SYS_pidfd_open, pid, 0);
	/* a target gone (and reaped) since the attach: no pidfd (-1), the
	 * session ends at once */
	if (*pfd < 0 && errno != ESRCH)
		return -errno;
	*tfd = duration > 0 ? feed__timer_fd(duration, false) : -1;
	if (*sfd < 0 || (duration > 0 && *tfd < 0))
		return -errno;
	return 0;
}

/*
 * Whether the target is followed into a new image of its interpreter file
 * (user/capture/exec_follow.h): call tracing only (sampling and coverage end at an
 * exec), and not eval on 3.11+, which depends on the perf trampoline the
 * new image may not turn on (as under -a: user/capture/sw_bins.c).
 */
static bool follows_exec(const struct session_opts *o, const struct target *t, bool coverage)
{
	/* (--c-calls: followed, its addresses moved by the BPF side) */
	return !o->sample_hz && !coverage && !t->calls_inside &&
	       !(t->cfg.strategy == TR_STRATEGY_EVAL && !t->bin.eval_sees_every_call);
}

/* the ring buffer's records: the tree's forks and execs are counted
 * (user/capture/children.h), the rest goes on through the exec follower */
struct records {
	struct children *children;
	struct exec_follow *follow;
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct records *r = ctx;

	if (len >= sizeof(struct tr_ev_hdr) && r->children &&
	    children__event(r->children, data, len))
		return 0;
	return exec_follow__event(r->follow, data, len);
}

/*
 * Without --subprocesses (user/capture/children.h): the target's process
 * tree, its root the target and, attached, its descendants running now
 * (after the fork tracepoint: a fork meanwhile joins the tree), and the
 * tracepoints that keep it. 0 or -errno with ERR.
 */
static int watch_tree(struct tracer_bpf *skel, const struct target *t, bool attached,
		      struct children *ch, struct bpf_link **links, char *err, size_t errlen)
{
	int ret;

	links[0] = bpf_program__attach(skel->progs.proc_fork);
	links[1] = links[0] ? bpf_program__attach(skel->progs.proc_exit) : NULL;
	if (!links[1])
		return snprintf(err, errlen, "cannot attach the fork/exit tracepoints: %s",
				strerror(errno)), -errno;
	ret = attached ? sw_tree__add_running(skel, t->pid, children__running, ch)
		       : sw_tree__add(skel, t->pid);
	if (ret < 0)
		return snprintf(err, errlen, "cannot follow the process tree of PID %d: %s",
				t->pid, strerror(-ret)), ret;
	return 0;
}

/*
 * The traced process ended at about TS (its pidfd became readable then):
 * said to the outputs as its exit. In a -p or launch session no probe
 * reports a process's end (bpf/procs.bpf.h: sched_process_exit is the
 * system-wide session's), so without this a process that exited would be
 * "running" at the end, its open calls ended at the session's end rather
 * than at its exit. Every event of it was read before (the ring buffer is
 * drained first). Flagged TR_EXIT_SEEN: if it had exec'd into a program not
 * traced, that exec was its end and this is dropped.
 */
static void say_exit(struct outputs *out, int pid, uint64_t ts)
{
	struct tr_ev_exit ev = {
		.hdr = { .type = TR_EV_EXIT, .flags = TR_EXIT_SEEN, .size = sizeof(ev),
			 .pid = pid, .tid = pid, .instance = 0, .ts = ts },
	};

	outputs__event(out, &ev, sizeof(ev));
}

int session__run(const struct session_opts *o)
{
	struct tracer_bpf *skel = NULL;
	struct bpf_preload *preload = NULL;
	struct bpf_load_cfg need;
	struct ring_buffer *rb = NULL;
	struct launch *launch = NULL;
	struct probes *probes = NULL;
	struct probe_cost_meter *cost = NULL;
	struct session_subtract sub = {};
	struct wall *wall = NULL;
	struct outputs *out = NULL;
	struct outputs_cfg ocfg = session_opts__outputs_cfg(o);
	int end_status;
	struct cover_boot *boot = NULL;
	struct exec_follow *follow = NULL;
	struct bpf_link *exec_link = NULL, *tree_links[2] = {};
	struct children *children = NULL;
	struct records records = {};
	struct perf_map perf_map = {};
	struct progress *progress = NULL;
	struct jit_dump_follow jitdump = {};
	struct feed feed = {};
	struct target t = {};
	struct in_process proc;
	struct in_end end = {};
	struct async_tasks at = {};
	char err[512] = "";
	int sfd = -1, pfd = -1, tfd = -1, ret, exit_code = 1;
	const char *why;
	bool exited = false, coverage, follows, walk;
	uint64_t exit_ts = 0;

	if (feed__check_host(o->verbose))
		return 1;
	progress = progress__start(o->verbose);
	if (o->sample_hz && sampler__refuse(o, err, sizeof(err)))
		goto fail;
	if (o->wall && wall__check_kernel(err, sizeof(err)))
		goto fail;
	if (o->view ? outputs__open_view(o->view, &out, err, sizeof(err))
		    : outputs__open_cfg(o->outputs, o->n_outputs, &ocfg, &out, err, sizeof(err)))
		goto fail;
	outputs__set_lines(out, o->sample_lines);
	outputs__set_summary(out, o->summary_sort, o->summary_top);
	if (feed__init(&feed, out)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	coverage = o->coverage || outputs__want_coverage(out);
	if (o->c_calls && coverage) {
		snprintf(err, sizeof(err), "--c-calls: not with a coverage output (supported: %s): "
			 "nothing was traced", CCALLS_SUPPORTED);
		goto fail;
	}
	if (coverage && !(feed.cover = cover_session__new(&o->filter))) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (coverage && o->argv &&
	    cover_boot__open(&o->filter, outputs__only_coverage(out), &boot, err, sizeof(err)))
		goto fail;

	/* the programs load meanwhile, for a guess (user/capture/bpf_load.c) */
	if (!coverage)
		preload = bpf_preload__start(&(struct bpf_load_cfg){
			.ringbuf_bytes = o->ringbuf_bytes, .follows = !o->sample_hz,
			.watch_tree = !o->view,
			.sample_hz = o->sample_hz, .wall = o->wall, .sample_lines = o->sample_lines,
			.async_tasks = o->async_tasks,
			.free_threaded = o->sample_hz && !o->argv &&
					 sampler__guess_free_threaded(o->pid),
			.uses = PROBES_USE_EXEC | PROBES_USE_DEALLOC | PROBES_USE_JIT |
				(o->view ? 0 : PROBES_USE_FORK | PROBES_USE_EXIT) |
				(o->sample_hz ? sampler__uses(o->sample_hz, o->wall)
					      : PROBES_USE_CALLS & ~PROBES_USE_COVER) |
				/* attached, tracing calls: capture/attach_walk.c */
				(!o->argv && !o->sample_hz ? PROBES_USE_ATTACH_WALK : 0) });
	progress__phase(progress, "inspecting the target");
	if (o->argv)
		ret = launch_target(o, boot, &launch, &t, err, sizeof(err));
	else
		ret = target__inspect(NULL, o->pid, TARGET_ATTACH,
				      (o->sample_hz ? 0 : TARGET_PROBE_CALLS) |
				      (coverage ? TARGET_PROBE_LINES : 0), o->strategy, &t,
				      err, sizeof(err));
	if (ret)
		goto fail;
	/* --c-calls: refused here, before anything runs, where not supported */
	if (o->c_calls && (ret = ccalls__plan(&t, err, sizeof(err))))
		goto fail;
	if (o->sample_hz && sampler__plan(&t, err, sizeof(err)))
		goto fail;
	if (o->async_tasks && async_tasks__plan(&t, err, sizeof(err)))
		goto fail;
	if (o->async_tasks)
		async_tasks__say_recordings(o->outputs, o->n_outputs);
	/* attached with eval to a process that has greenlet: said now */
	greenlet_watch__check(&t);
	/* attached, tracing calls: every thread's running frames at once */
	walk = !o->argv && !o->sample_hz && attach_walk__plan(&t);
	if (coverage && cover_session__plan(feed.cover, &t, boot, true)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	jit_session__plan(&t, o->sample_hz != 0);
	progress__phase(progress, "loading the BPF programs");

	follows = follows_exec(o, &t, coverage);
	need = (struct bpf_load_cfg){
		.ringbuf_bytes = o->ringbuf_bytes, .cover_key = boot ? cover_boot__key(boot) : NULL,
		.usdt_lines = t.cfg.usdt_lines, .follows = follows, .sample_hz = o->sample_hz,
		.watch_tree = !o->view,
		.wall = o->wall, .sample_lines = o->sample_lines, .async_tasks = o->async_tasks,
		/* 3.14t (sampled only: build_kind.c refuses the rest) */
		.free_threaded = t.cfg.layout.free_threaded,
		.uses = probes__uses(&t, !o->sample_hz) | sampler__uses(o->sample_hz, o->wall) |
			(walk ? PROBES_USE_ATTACH_WALK : 0) |
			(o->view ? 0 : PROBES_USE_FORK | PROBES_USE_EXIT),
	};
	skel = bpf_preload__take(preload, &need);
	bpf_preload__free(preload);
	preload = NULL;
	if (!skel && bpf_load__now(&need, &skel, err, sizeof(err)))
		goto fail;
	/* what a probe hit costs: the programs' run time from now on (none
	 * has run: nothing is attached yet), the traps calibrated in a
	 * thread meanwhile */
	if (!o->sample_hz)
		cost = probe_cost__start(skel, &t, o->subtract_probe_cost);
	if (o->subtract_probe_cost && coverage) {
		snprintf(err, sizeof(err), "--subtract-probe-cost: not with a coverage output: "
			 "nothing was traced");
		goto fail;
	}
	if (follows && exec_follow__arm(skel, &t, err, sizeof(err)))
		goto fail;
	if (!(follow = exec_follow__new(&feed, &t, follows))) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (!o->view && (!(children = children__new(t.pid)) ||
			 watch_tree(skel, &t, !o->argv, children, tree_links, err, sizeof(err)))) {
		if (!children)
			snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	records = (struct records){ .children = children, .follow = follow };
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &records, NULL);
	if (!rb) {
		snprintf(err, sizeof(err), "cannot open the ring buffer: %s", strerror(errno));
		goto fail;
	}
	/* from now on an exec of the target ends its instance (bpf/procs.bpf.h) */
	if (!(exec_link = bpf_program__attach(skel->progs.proc_exec))) {
		snprintf(err, sizeof(err), "cannot attach the exec tracepoint: %s", strerror(errno));
		goto fail;
	}
	progress__phase(progress, "attaching probes");
	if (o->sample_hz)
		ret = sampler__attach(skel, &t, o->sample_hz, o->wall, &probes, err, sizeof(err));
	else
		ret = probes__attach(skel, &t, &probes, err, sizeof(err));
	if (!ret && o->wall)
		ret = wall__start(skel, t.pid, o->sample_hz, &wall, err, sizeof(err));
	/* the target may have exited or exec'd meanwhile: then that is what
	 * is said, not the errno of the attachment it made fail; an exec
	 * after its entry was registered is the exec tracepoint's (followed
	 * or said by user/capture/exec_follow.c) */
	if (ret || !skel->bss->solo_execd) {
		char why[sizeof(err)];

		if (target__recheck(&t, "during attach", why, sizeof(why))) {
			memcpy(err, why, sizeof(err));
			goto fail;
		}
		if (ret)
			goto fail;
	}
	/* Every probe is in place, doing nothing: the switch makes them all
	 * take effect now (include/tracer.h). Frames running before this
	 * moment "began at attach": each thread's first event walks them. */
	/* --subtract-probe-cost: the calibration done, before the first event */
	if (o->subtract_probe_cost) {
		if (probe_cost__calibrated(cost, &sub.cost, err, sizeof(err)))
			goto fail;
		sub.meter = cost;
		sub.out = out;
		session_subtract__refresh(&sub);
	}
	uint64_t attach_ts = mono_clock__ns();
	/* attached: asyncio's table is there already, if imported */
	if (o->async_tasks)
		async_tasks__init(&at, &t, skel, &feed);
	skel->bss->live = TR_LIVE_ON;
	/* and, at once, those of the threads that may make no call at all */
	if (walk)
		attach_walk__run(skel, &t, o->verbose);
	progress__end(progress);
	progress = NULL;
	say_target(&t);
	ccalls__say(&t);
	if (sub.cost.subtracted)
		probe_cost__say_subtract(&sub.cost);
	if (o->verbose && t.bin_cached)
		fprintf(stderr, "tracer: the analysis of the interpreter file came from root's "
			"cache (%s)\n", getenv("TRACER_CACHE_DIR") ? getenv("TRACER_CACHE_DIR")
								 : ROOT_CACHE_DIR);
	/* where the dispatch strategy's traps are (tools/bench.py reads it) */
	if (o->verbose)
		dispatch_say__sites(stderr, &t);
	/* after the registration uprobe: what registered before (a registration
	 * made in between is in both: the analyzer counts it once) */
	if (jit_session__read_perf_map(&t, &perf_map)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	target__describe(&t, attach_ts, &proc);
	outputs__process(out, &proc);
	perf_map__parse(perf_map.text, perf_map.len, t.pid, attach_ts, feed__event, &feed, NULL, NULL);
	perf_map__free(&perf_map);
	if (jit_session__follow_start(&jitdump, &t, attach_ts, feed__event, &feed)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (make_fds(t.pid, o->duration, &sfd, &pfd, &tfd)) {
		snprintf(err, sizeof(err), "cannot set up the event loop: %s", strerror(errno));
		goto fail;
	}
	if (o->sample_hz)
		fprintf(stderr, "tracer: tracing PID %d: sampling %s at %u Hz; Ctrl-C to stop\n",
			t.pid, o->wall ? "every thread (wall clock)" : "CPU time", o->sample_hz);
	else
		fprintf(stderr, "tracer: tracing PID %d; Ctrl-C to stop\n", t.pid);
	/* (a target killed meanwhile is not released: its end is seen next) */
	if (launch && launch__release(launch) && !target__exited(t.pid, TARGET_EXIT_GRACE_MS)) {
		snprintf(err, sizeof(err), "cannot release PID %d: %s", t.pid, strerror(errno));
		goto fail;
	}

	if (pfd >= 0) {
		/* (not over tracer top's view) */
		struct status_line *sl = o->view ? NULL :
			status_line__new(t.pid, &feed.events, skel->bss->drops);

		struct thread_names names;

		thread_names__init(&names, &t, &feed);
		why = session__poll(rb, sfd, pfd, tfd, wall, &jitdump, follow, sl, &names, &at,
				children, &sub, &exited);
		exit_ts = exited ? mono_clock__ns() : 0;
		if (o->verbose && o->async_tasks)
			fprintf(stderr, "tracer: asyncio's task table %s after %llu looks\n",
				at.found ? "found" : "not found",
				(unsigned long long)at.looks);
		status_line__end(sl);
		async_tasks__end(&at);
		/* the names as they are now, for the events still to come */
		if (!exited && thread_names__tick(&names, true)) {
			snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
	} else {
		why = "the target exited";
		exited = true;
		exit_ts = mono_clock__ns();
	}
	/* the session ends now, for every probe at once: what comes later is
	 * not recorded (and not lost); removing the probes takes a while */
	skel->bss->live = TR_LIVE_STOPPED;
	end.end_ts = mono_clock__ns();
	probe_cost__read(cost);
	if (wall)
		end.wall = *wall__ticks(wall);
	wall__stop(wall);
	wall = NULL;
	probes__detach(probes);
	probes = NULL;
	probe_cost__finish(cost, &end.probe_cost);
	/* the events still to read: the session's final means */
	if (sub.cost.subtracted)
		outputs__set_probe_cost(out, &end.probe_cost);
	/* the jitdump's last code loads before the last samples */
	if (jit_session__follow_end(&jitdump, exited, &end)) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	while (ring_buffer__consume(rb) > 0)
		;
	bpf_link__destroy(exec_link);
	exec_link = NULL;
	exec_follow__check(follow, true);
	exec_follow__end(follow, &end);
	ccalls__end(&t, skel, &end);
	bpf_link__destroy(tree_links[0]);
	bpf_link__destroy(tree_links[1]);
	tree_links[0] = tree_links[1] = NULL;
	children__end(children, &end);
	if (exited)
		say_exit(out, t.pid, exit_ts);
	if (feed.cover) {
		fprintf(stderr, "tracer: coverage: reading the code of the files that ran\n");
		cover_session__finish(feed.cover, out);
	}
	memcpy(end.drops, (const void *)skel->bss->drops, sizeof(end.drops));
	end.ringbuf_events = feed.events;
	fprintf(stderr, "tracer: stopped: %s\n", why);
	if (o->verbose)
		fprintf(stderr, "tracer: %llu probe hits after the stop (not recorded)\n",
			(unsigned long long)skel->bss->after_stop);

	exit_code = 0;
	if (launch && exited) {
		int st = 0;

		/* already gone: its status, and how it ended */
		if (!launch__wait_status(launch, &exit_code, &st))
			end.launch = (struct launch_end){
				.pid = t.pid,
				.how = WIFEXITED(st) ? LAUNCH_END_EXIT : LAUNCH_END_SIGNAL,
				.value = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
				.core = WIFSIGNALED(st) && WCOREDUMP(st),
			};
		launch = NULL;
	}
	end.exit_code = exit_code;
	/* the command's failure first, then 1, or 2 (--fail-under) */
	end_status = outputs__status(outputs__end(out, &end));
	if (end_status)
		exit_code = exit_code ? exit_code : end_status;
	outputs__free(out);
	out = NULL;
	if (launch) {
		fprintf(stderr, "tracer: waiting for PID %d to exit\n", t.pid);
		launch__wait(launch, &exit_code);
		launch = NULL;
	}
	goto cleanup;
fail:
	progress__end(progress);
	progress = NULL;
	fprintf(stderr, "tracer: %s\n", err);
	exit_code = 1;
cleanup:
	bpf_preload__free(preload);
	probe_cost__free(cost);
	wall__stop(wall);
	probes__detach(probes);
	bpf_link__destroy(exec_link);
	bpf_link__destroy(tree_links[0]);
	bpf_link__destroy(tree_links[1]);
	children__free(children);
	exec_follow__free(follow);
	ring_buffer__free(rb);
	tracer_bpf__destroy(skel);
	launch__abort(launch);
	outputs__free(out);
	feed__free(&feed);
	cover_session__free(feed.cover);
	cover_boot__close(boot);
	perf_map__free(&perf_map);
	jit_session__follow_free(&jitdump);
	ccalls__free(&t);
	/* the perf trampoline we turned on wrote /tmp/perf-PID.map (one the
	 * program turned on itself is its own) */
	if (o->argv && t.pid && t.bin.has_perf_trampoline && perf_support_set(o))
		target__remove_perf_map(t.pid);
	if (sfd >= 0)
		close(sfd);
	if (pfd >= 0)
		close(pfd);
	if (tfd >= 0)
		close(tfd);
	return exit_code;
}
