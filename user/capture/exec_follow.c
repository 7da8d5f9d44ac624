// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture/exec_follow.h"
#include "capture/feed.h"
#include "util/mono_clock.h"
#include "output/outputs.h"
#include "os/proc_maps.h"
#include "capture/target.h"
#include "tracer.skel.h"

/* how long a new image has to map the interpreter file (ld.so maps
 * libpython within milliseconds) before it is said not traced */
#define DECIDE_AFTER_NS 500000000ull

struct exec_follow {
	struct feed *feed;
	const struct target *t;
	bool follow;
	uint64_t start_ts;	/* the first event's: times count from it, as in
				 * the outputs (user/analysis/analyzer.c) */
	bool pending;		/* an exec not followed (yet) */
	uint64_t exec_ts;
	char exe[512];		/* its image, read when the exec was seen */
	uint32_t n_said;
	char said[4][256];	/* the first execs said not traced */
};

struct exec_follow *exec_follow__new(struct feed *feed, const struct target *t, bool follow)
{
	struct exec_follow *x = calloc(1, sizeof(*x));

	if (x) {
		x->feed = feed;
		x->t = t;
		x->follow = follow;
	}
	return x;
}


int exec_follow__arm(struct tracer_bpf *skel, const struct target *t, char *err,
		     size_t errlen)
{
	struct tr_bin_cfg bc;
	__u32 zero = 0;
	int ret;

	target__template(t, &bc, 0);
	skel->bss->last_instance = TR_SOLO_INSTANCE;
	ret = bpf_map__update_elem(skel->maps.bins, &zero, sizeof(zero), &bc, sizeof(bc), BPF_ANY);
	if (ret)
		snprintf(err, errlen, "cannot register the interpreter file: %s", strerror(-ret));
	return ret;
}

void exec_follow__free(struct exec_follow *x)
{
	free(x);
}

/* BUF: PID's executable now; left as it was when PID is gone */
static void read_exe(int pid, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, buf, len - 1);
	if (n > 0)
		buf[n] = 0;
}

static double secs(const struct exec_follow *x, uint64_t ts)
{
	return ts > x->start_ts ? (ts - x->start_ts) / 1e9 : 0;
}

/* does the process map the target's interpreter file (by inode) now? */
static bool maps_file(const struct exec_follow *x)
{
	struct proc_maps maps = {};
	struct stat st;
	bool yes = false;

	if (stat(x->t->open_path, &st) || proc_maps__read(x->t->pid, &maps))
		return false;
	for (size_t i = 0; i < maps.n && !yes; i++)
		yes = maps.v[i].inode == st.st_ino && !strcmp(maps.v[i].path, x->t->file);
	proc_maps__free(&maps);
	return yes;
}

static void say_untraced(struct exec_follow *x)
{
	char msg[256];

	read_exe(x->t->pid, x->exe, sizeof(x->exe));
	snprintf(msg, sizeof(msg), "PID %d exec'd %.180s at +%.3f s: calls after the exec are "
		 "not traced", x->t->pid, x->exe, secs(x, x->exec_ts));
	fprintf(stderr, "tracer: %s%s\n", msg,
		x->follow ? " (a new image is followed only when it runs the same interpreter "
			    "file)" : "");
	if (x->n_said < sizeof(x->said) / sizeof(x->said[0]))
		memcpy(x->said[x->n_said++], msg, sizeof(msg));
	x->pending = false;
}

void exec_follow__check(struct exec_follow *x, bool at_end)
{
	if (!x || !x->pending)
		return;
	if (at_end || (mono_clock__ns() > x->exec_ts + DECIDE_AFTER_NS && !maps_file(x)))
		say_untraced(x);
}

/* TR_EV_PROC: the first hit in a new image made the process's new instance */
static void on_proc(struct exec_follow *x, const struct tr_ev_proc *e)
{
	struct target t = *x->t;
	struct in_process p;

	t.cfg.instance = e->hdr.instance;
	read_exe(t.pid, t.exe, sizeof(t.exe));
	t.load_bias = e->bias;
	target__describe(&t, e->hdr.ts, &p);
	p.ns_pid = e->ns_pid;
	outputs__process(x->feed->out, &p);
	fprintf(stderr, "tracer: PID %d exec'd %s (the same interpreter file) at +%.3f s: "
		"traced on from its first call, %.1f ms after the exec\n", t.pid, t.exe, secs(x, x->exec_ts),
		e->hdr.ts > x->exec_ts ? (e->hdr.ts - x->exec_ts) / 1e6 : 0);
	x->pending = false;
}

int exec_follow__event(void *ctx, void *data, size_t len)
{
	struct exec_follow *x = ctx;
	const struct tr_ev_hdr *h = data;

	if (len < sizeof(*h))
		return 0;
	if (h->ts && (!x->start_ts || h->ts < x->start_ts))
		x->start_ts = h->ts;
	if (h->type == TR_EV_PROC) {
		if (len >= sizeof(struct tr_ev_proc) && h->pid == (uint32_t)x->t->pid)
			on_proc(x, data);
		return 0;
	}
	feed__event(x->feed, data, len);
	if (h->type == TR_EV_EXIT && (h->flags & TR_EXIT_EXEC)) {
		feed__forget_pid(x->feed, h->pid);
		/* an exec still pending (sh -c, then python) is the same one */
		if (!x->pending) {
			x->exec_ts = h->ts;
			snprintf(x->exe, sizeof(x->exe), "another program");
		}
		read_exe(h->pid, x->exe, sizeof(x->exe));
		x->pending = true;
		if (!x->follow)
			say_untraced(x);
	}
	return 0;
}

void exec_follow__end(const struct exec_follow *x, struct in_end *end)
{
	for (uint32_t i = 0; x && i < x->n_said && end->n_warnings < IN_MAX_WARNINGS; i++)
		snprintf(end->warnings[end->n_warnings++], sizeof(end->warnings[0]), "%s",
			 x->said[i]);
}
