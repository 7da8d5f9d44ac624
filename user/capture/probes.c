// SPDX-License-Identifier: MIT
/*
 * Attaching a target's programs. For one process (-p, launch) every probe
 * carries its PID as a filter, and the process's configuration goes into
 * `procs`. For a file under -a (probes__attach_file) every probe is
 * attached with pid -1, for every process that maps the file now or later,
 * and carries the file's bin_id in the upper half of its BPF cookie: the
 * BPF side makes each process's entry at its first hit (bpf/procs.bpf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "util/array.h"
#include "capture/attach_walk.h"
#include "capture/ccalls.h"
#include "capture/link_batch.h"
#include "capture/probes.h"
#include "capture/uprobe_multi.h"
#include "capture/usdt_multi.h"
#include "tracer.skel.h"

struct probes {
	struct tracer_bpf *skel;
	int pid;		/* -1: a file's probes (-a) */
	uint32_t bin_id;	/* -a: the cookies' upper half */
	size_t n, cap;
	struct bpf_link **links;	/* in attach order */
	size_t nfd, capfd;
	int *fds;		/* uprobe_multi links (user/capture/uprobe_multi.c) */
	size_t sites;		/* probe sites attached */
	size_t n_ids, cap_ids;
	int *spec_ids;		/* USDT spec ids of those links (capture/usdt_multi.h) */
};

static int add_link(struct probes *p, struct bpf_link *l, const char *what,
		    char *err, size_t errlen)
{
	long e = libbpf_get_error(l);

	if (!l || e || array__grow((void **)&p->links, &p->cap, p->n, sizeof(*p->links))) {
		int ret = !l || e ? (e ? (int)e : -errno) : -ENOMEM;
		snprintf(err, errlen, "cannot attach %s: %s", what, strerror(-ret));
		if (l && !e)
			bpf_link__destroy(l);
		return ret ? ret : -EINVAL;
	}
	p->links[p->n++] = l;
	p->sites++;
	return 0;
}

int probes__add_link(struct probes *p, struct bpf_link *l, const char *what,
		     char *err, size_t errlen)
{
	return add_link(p, l, what, err, errlen);
}

/* keep FD, a uprobe_multi link of SITES sites (room made in P->fds), or
 * say why it failed (-errno; WHAT says which) */
static int add_fd(struct probes *p, int fd, size_t sites, const char *what, char *err,
		  size_t errlen)
{
	if (fd < 0) {
		snprintf(err, errlen, "cannot attach %s: %s", what, strerror(-fd));
		return fd;
	}
	p->fds[p->nfd++] = fd;
	p->sites += sites;
	return 0;
}

/* is PROG loaded to attach through uprobe_multi links? (probes__load_only) */
static bool multi(const struct bpf_program *prog)
{
	return bpf_program__expected_attach_type(prog) == UPROBE_MULTI_ATTACH_TYPE;
}

/* USDT probe python:NAME of T's file, to PROG (WHAT says which in an
 * error): one uprobe_multi link when PROG was loaded for it (probes__load_only),
 * else libbpf's perf link per site */
static int usdt(struct probes *p, const struct target *t, struct bpf_program *prog,
		const char *name, const char *what, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_usdt_opts, o, .usdt_cookie = TR_BIN_COOKIE(p->bin_id, 0));
	size_t sites = 0;
	int fd;

	if (!multi(prog))
		return add_link(p, bpf_program__attach_usdt(prog, p->pid, t->open_path, "python",
							    name, &o),
				what, err, errlen);
	if (array__grow((void **)&p->fds, &p->capfd, p->nfd, sizeof(*p->fds))) {
		snprintf(err, errlen, "cannot attach %s: %s", what, strerror(ENOMEM));
		return -ENOMEM;
	}
	fd = usdt_multi__attach(prog, p->skel->maps.__bpf_usdt_specs, t->open_path, "python", name,
				o.usdt_cookie, p->pid, &sites, &p->spec_ids, &p->n_ids,
				&p->cap_ids);
	return add_fd(p, fd, sites, what, err, errlen);
}

/* a uprobe (RET: uretprobe) at OFFSET of T's file, to PROG, cookie LOW */
static struct bpf_link *uprobe(struct probes *p, const struct target *t,
			       struct bpf_program *prog, bool ret, uint64_t offset, uint32_t low)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret,
		    .bpf_cookie = TR_BIN_COOKIE(p->bin_id, low));

	return bpf_program__attach_uprobe_opts(prog, p->pid, t->open_path, offset, &o);
}

/*
 * Uprobes (RET: uretprobes) of PROG at the N file offsets OFF of T's file,
 * with cookies LOW (NULL: 0): one uprobe_multi link when PROG was loaded
 * for it (GROUP says what in an error), else one perf link per site
 * (WHAT[i] says which).
 */
static int uprobes(struct probes *p, const struct target *t, struct bpf_program *prog,
		   bool ret, const uint64_t *off, const uint32_t *low, size_t n,
		   const char *group, const char *const *what, char *err, size_t errlen)
{
	uint64_t *cookies;
	int fd;

	if (!multi(prog)) {
		for (size_t i = 0; i < n; i++) {
			int e = add_link(p, uprobe(p, t, prog, ret, off[i], low ? low[i] : 0),
					 what[i], err, errlen);
			if (e)
				return e;
		}
		return 0;
	}
	if (!n)
		return 0;
	if (!(cookies = calloc(n, sizeof(*cookies))) ||
	    array__grow((void **)&p->fds, &p->capfd, p->nfd, sizeof(*p->fds))) {
		free(cookies);
		snprintf(err, errlen, "cannot attach %s: %s", group, strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		cookies[i] = TR_BIN_COOKIE(p->bin_id, low ? low[i] : 0);
	fd = uprobe_multi__attach(bpf_program__fd(prog), t->open_path, off, NULL, cookies, n, ret,
				  p->pid);
	free(cookies);
	return add_fd(p, fd, n, group, err, errlen);
}

/* one uprobe (RET: uretprobe) of PROG at OFFSET of T's file, cookie LOW */
static int uprobe1(struct probes *p, const struct target *t, struct bpf_program *prog,
		   bool ret, uint64_t offset, uint32_t low, const char *what, char *err,
		   size_t errlen)
{
	return uprobes(p, t, prog, ret, &offset, &low, 1, what, &what, err, errlen);
}

static int attach_usdt(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	int ret = 0;

	/* 3.11: the entry probe fires only once the line probe's semaphore is
	 * up, so raise it first (its program does nothing unless coverage asks
	 * for lines); then returns, then entries: a call seen entering is
	 * always seen returning */
	if (t->bin.usdt_entry_needs_line || t->cfg.usdt_lines)
		ret = usdt(p, t, s->progs.usdt_line, "line", "USDT python:line", err, errlen);
	if (!ret)
		ret = usdt(p, t, s->progs.usdt_return, "function__return",
			   "USDT python:function__return", err, errlen);
	if (!ret)
		ret = usdt(p, t, s->progs.usdt_entry, "function__entry",
			   "USDT python:function__entry", err, errlen);
	return ret;
}

static int attach_eval(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	int ret;

	ret = uprobe1(p, t, s->progs.eval_return, true, t->bin.eval_offset, 0,
		      "uretprobe _PyEval_EvalFrameDefault", err, errlen);
	if (!ret)
		ret = uprobe1(p, t, s->progs.eval_entry, false, t->bin.eval_offset, 0,
			      "uprobe _PyEval_EvalFrameDefault", err, errlen);
	return ret;
}

/* the dispatch sites of pass PASS of attach_dispatch: exits, throws, calls */
static bool in_pass(const struct ds_site *d, int pass)
{
	return pass == 0 ? !ds_kind_starts(d->kind) : pass == 1 ? d->kind == DS_THROW
							       : d->kind == DS_CALL;
}

/* returns (and unwinds) first, then the throw site, then calls: a call
 * seen is seen returning */
static int attach_dispatch(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	static const char *const pass_what[3] = { "the dispatch exit sites",
						  "the gen.throw() site", "the dispatch call sites" };
	struct tracer_bpf *s = p->skel;
	struct bpf_program *prog[3] = { s->progs.dispatch_return, s->progs.dispatch_throw,
					s->progs.dispatch_call };
	int n_sites = t->bin.plan.n > 0 ? t->bin.plan.n : 0, ret = 0;
	uint64_t *off = calloc(n_sites + 1, sizeof(*off));
	char (*names)[96] = calloc(n_sites + 1, sizeof(*names));
	const char **what = calloc(n_sites + 1, sizeof(*what));
	uint32_t *low = calloc(n_sites + 1, sizeof(*low));

	if (!off || !names || !what || !low) {
		snprintf(err, errlen, "cannot attach the dispatch sites: %s", strerror(ENOMEM));
		ret = -ENOMEM;
		goto out;
	}
	for (int pass = 0; pass < 3 && !ret; pass++) {
		size_t n = 0;

		for (int i = 0; i < n_sites; i++) {
			const struct ds_site *d = &t->bin.plan.sites[i];

			if (!in_pass(d, pass))
				continue;
			snprintf(names[n], sizeof(names[n]), "uprobe at %s (0x%llx)", d->what,
				 (unsigned long long)d->vaddr);
			what[n] = names[n];
			/* where the exiting frame is (include/tracer.h) */
			low[n] = d->frame_reg < 0 ? 0 : TR_DS_REG | (uint32_t)d->frame_reg |
							  (d->link_cleared ? TR_DS_LINK_CLEARED : 0);
			/* a single-stepped exit: its events say so (the cost) */
			if (!ds_kind_starts(d->kind) && !d->emulated)
				low[n] |= TR_DS_SLOW;
			off[n++] = t->bin.site_offset[i];
		}
		if (n)
			ret = uprobes(p, t, prog[pass], false, off, low, n, pass_what[pass], what, err,
				      errlen);
		/* gen.throw() without a site of its own: the entry (exact, a
		 * trap on every entry of the evaluator) */
		else if (pass == 1)
			ret = uprobe1(p, t, s->progs.eval_throw, false, t->bin.eval_offset, 0,
				      "uprobe _PyEval_EvalFrameDefault (generator throw)", err, errlen);
	}
out:
	free(off);
	free(names);
	free(what);
	free(low);
	return ret;
}

/* --c-calls (user/capture/ccalls.c): its configuration, then the end
 * sites, then the starts: a C call seen starting is seen ending */
static int attach_ccalls(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	const struct ccalls *cc = t->ccalls;
	const char *what[CC_MAX_STARTS > CC_MAX_ENDS ? CC_MAX_STARTS : CC_MAX_ENDS];
	uint32_t low[CC_MAX_STARTS > CC_MAX_ENDS ? CC_MAX_STARTS : CC_MAX_ENDS];
	__u32 pid = t->pid;
	int ret;

	ret = bpf_map__update_elem(p->skel->maps.ccall_cfgs, &pid, sizeof(pid), &cc->cfg,
				   sizeof(cc->cfg), BPF_ANY);
	if (ret) {
		snprintf(err, errlen, "--c-calls: cannot register PID %d: %s", t->pid,
			 strerror(-ret));
		return ret;
	}
	for (int i = 0; i < cc->plan.n_ends; i++) {
		what[i] = cc->plan.ends[i].what;
		low[i] = cc->plan.ends[i].result;	/* c_exception: where the result is */
	}
	ret = uprobes(p, t, p->skel->progs.ccall_end, false, cc->end_off, low, cc->plan.n_ends,
		      "the C-call end sites", what, err, errlen);
	for (int i = 0; i < cc->n_rets; i++)	/* 3.8-3.10 */
		what[i] = "a C-call end uretprobe";
	if (!ret && cc->eval)
		ret = uprobes(p, t, p->skel->progs.ccall_eval_ret, true, cc->ret_off, NULL, cc->n_rets,
			      "the C-call end uretprobes", what, err, errlen);
	for (int i = 0; i < cc->plan.n_starts; i++) {
		what[i] = cc->plan.starts[i].what;
		low[i] = (cc->plan.starts[i].list_append ? TR_CCALL_SITE_LIST_APPEND : 0) |
			 (cc->plan.starts[i].precall ? TR_CCALL_SITE_PRECALL : 0) |
			 (cc->plan.starts[i].kw ? TR_CCALL_SITE_KW : 0);
		if (cc->eval)
			low[i] = (uint32_t)cc->start_cookie[i];	/* 3.8-3.10 */
	}
	if (!ret)
		ret = uprobes(p, t, cc->eval ? p->skel->progs.ccall_eval_start
					     : p->skel->progs.ccall_start, false, cc->start_off, low,
			      cc->plan.n_starts, "the C-call start sites", what, err, errlen);
	return ret;
}

/* GC collections and imports: ends first, then beginnings */
static int attach_runtime(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	const struct { const char *probe; struct bpf_program *prog; } probes[] = {
		{ "gc__done", s->progs.usdt_gc_done },
		{ "import__find__load__done", s->progs.usdt_import_done },
		{ "gc__start", s->progs.usdt_gc_start },
		{ "import__find__load__start", s->progs.usdt_import_start },
	};
	char what[96];
	int ret = 0;

	for (int i = 0; i < 4 && t->bin.runtime_usdt && !ret; i++) {
		snprintf(what, sizeof(what), "USDT python:%s", probes[i].probe);
		ret = usdt(p, t, probes[i].prog, probes[i].probe, what, err, errlen);
	}
	int n_sites = t->bin.runtime.n > 0 && t->bin.runtime.n <= RT_MAX_SITES ? t->bin.runtime.n : 0;
	uint64_t off[RT_MAX_SITES];
	uint32_t low[RT_MAX_SITES] = { 0 };
	char names[RT_MAX_SITES][96];
	const char *whats[RT_MAX_SITES] = { 0 };

	for (int pass = 0; pass < 2 && !ret; pass++) {
		size_t n = 0;

		for (int i = 0; i < n_sites; i++) {
			const struct rt_site *site = &t->bin.runtime.sites[i];

			if (pass == 0 && site->kind == TR_RT_GC_GENERATION)
				continue;	/* its entry only */
			snprintf(names[n], sizeof(names[n]), "%s %s", pass ? "uprobe" : "uretprobe",
				 site->what);
			whats[n] = names[n];
			low[n] = runtime_sites__cookie(&t->bin.runtime, site);
			off[n++] = site->offset;
		}
		ret = uprobes(p, t, pass ? s->progs.runtime_entry : s->progs.runtime_exit, pass == 0,
			      off, low, n, pass ? "the GC/import entry uprobes"
					       : "the GC/import uretprobes", whats, err, errlen);
	}
	return ret;
}

/* what any session attaches first: the code_dealloc uprobe (before
 * anything can fill the identity cache), JIT registrations */
static int attach_common(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	int ret = 0;

	if (t->cfg.dealloc_probed && !t->calls_inside)
		ret = uprobe1(p, t, s->progs.code_freed, false, t->bin.dealloc_offset, 0,
			      "uprobe code_dealloc", err, errlen);
	if (!ret && t->bin.perfmap_offset)
		ret = uprobe1(p, t, s->progs.jit_register, false, t->bin.perfmap_offset, 0,
			      "uprobe PyUnstable_WritePerfMapEntry", err, errlen);
	return ret;
}

/* the call strategy's programs, and those of GC collections and imports */
static int attach_calls(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	int ret = 0;

	if (t->cover_channel)
		ret = uprobe1(p, t, p->skel->progs.cover_channel, false, t->bin.getsizeof_offset, 0,
			      "uprobe _PySys_GetSizeOf (the coverage bootstrap's hand-over)", err,
			      errlen);
	/* calls counted inside the process: nothing else to see */
	if (!ret && !t->calls_inside)
		ret = attach_runtime(p, t, err, errlen);
	if (!ret && !t->calls_inside)
		ret = t->cfg.strategy == TR_STRATEGY_USDT     ? attach_usdt(p, t, err, errlen)
		    : t->cfg.strategy == TR_STRATEGY_DISPATCH ? attach_dispatch(p, t, err, errlen)
							      : attach_eval(p, t, err, errlen);
	if (!ret && !t->calls_inside && t->ccalls && p->pid > 0)
		ret = attach_ccalls(p, t, err, errlen);
	return ret;
}

/*
 * Which programs a session loads. Loading verifies a program, and the
 * verifier's time (tens to hundreds of milliseconds each, `make bench`'s
 * load table) is most of a session's start: a session loads only what it
 * attaches. Each program is listed once with the one use it serves; a
 * session's uses (probes__uses) come from the same conditions as the
 * attach functions above. A program of the object missing from this table
 * is loaded whatever the uses (so a new program works before it is listed).
 */
static const struct { const char *prog; unsigned use; } prog_uses[] = {
	{ "proc_exec", PROBES_USE_EXEC },
	{ "proc_exit", PROBES_USE_EXIT },
	{ "proc_fork", PROBES_USE_FORK },
	{ "code_freed", PROBES_USE_DEALLOC },
	{ "jit_register", PROBES_USE_JIT },
	{ "cover_channel", PROBES_USE_COVER },
	{ "usdt_entry", PROBES_USE_USDT },
	{ "usdt_return", PROBES_USE_USDT },
	{ "usdt_line", PROBES_USE_USDT_LINE },
	{ "eval_entry", PROBES_USE_EVAL },
	{ "eval_return", PROBES_USE_EVAL },
	{ "dispatch_call", PROBES_USE_DISPATCH },
	{ "dispatch_return", PROBES_USE_DISPATCH },
	{ "dispatch_throw", PROBES_USE_DISPATCH },
	{ "eval_throw", PROBES_USE_DISPATCH },
	{ "usdt_gc_start", PROBES_USE_RT_USDT },
	{ "usdt_gc_done", PROBES_USE_RT_USDT },
	{ "usdt_import_start", PROBES_USE_RT_USDT },
	{ "usdt_import_done", PROBES_USE_RT_USDT },
	{ "runtime_entry", PROBES_USE_RT_UPROBE },
	{ "runtime_exit", PROBES_USE_RT_UPROBE },
	{ "sample_cpu", PROBES_USE_SAMPLE_CPU },
	{ "sample_wall", PROBES_USE_SAMPLE_WALL },
	{ "attach_walk", PROBES_USE_ATTACH_WALK },	/* (one of the two: */
	{ "attach_walk_61", PROBES_USE_ATTACH_WALK },	/* attach_walk__loads) */
	{ "ccall_start", PROBES_USE_CCALLS },
	{ "ccall_end", PROBES_USE_CCALLS | PROBES_USE_CCALLS_EVAL },
	{ "ccall_eval_start", PROBES_USE_CCALLS_EVAL },
	{ "ccall_eval_ret", PROBES_USE_CCALLS_EVAL },
};

unsigned probes__uses(const struct target *t, bool calls)
{
	unsigned u = PROBES_USE_EXEC;

	/* attach_common */
	if (t->cfg.dealloc_probed && !t->calls_inside)
		u |= PROBES_USE_DEALLOC;
	if (t->bin.perfmap_offset)
		u |= PROBES_USE_JIT;
	if (!calls)
		return u;
	/* attach_calls */
	if (t->cover_channel)
		u |= PROBES_USE_COVER;
	if (t->calls_inside)
		return u;
	if (t->bin.runtime_usdt)
		u |= PROBES_USE_RT_USDT;
	if (t->bin.runtime.n)
		u |= PROBES_USE_RT_UPROBE;
	if (t->cfg.strategy == TR_STRATEGY_USDT)
		u |= PROBES_USE_USDT |
		     (t->bin.usdt_entry_needs_line || t->cfg.usdt_lines ? PROBES_USE_USDT_LINE : 0);
	else if (t->cfg.strategy == TR_STRATEGY_DISPATCH)
		u |= PROBES_USE_DISPATCH | (t->ccalls ? PROBES_USE_CCALLS : 0);
	else
		u |= PROBES_USE_EVAL | (t->ccalls ? PROBES_USE_CCALLS_EVAL : 0);
	return u;
}

int probes__load_only(struct bpf_object *obj, unsigned uses)
{
	bool multi_ok = uprobe_multi__supported();
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		const char *sec = bpf_program__section_name(prog);
		bool load = true;
		int ret;

		for (size_t i = 0; i < sizeof(prog_uses) / sizeof(prog_uses[0]); i++)
			if (!strcmp(prog_uses[i].prog, name))
				load = (prog_uses[i].use & uses) != 0;
		load = load && attach_walk__loads(name);
		ret = bpf_program__set_autoload(prog, load);
		/* uprobes, uretprobes and USDT probes go through uprobe_multi
		 * links where the kernel has them (user/capture/uprobe_multi.c,
		 * usdt_multi.c: their removal is much faster) */
		if (!ret && multi_ok && (!strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe") ||
					 !strcmp(sec, "usdt")))
			ret = bpf_program__set_expected_attach_type(prog, UPROBE_MULTI_ATTACH_TYPE);
		if (ret)
			return ret;
	}
	return 0;
}

static struct probes *probes_new(struct tracer_bpf *skel, int pid, uint32_t bin_id)
{
	struct probes *p = calloc(1, sizeof(*p));

	if (p) {
		p->skel = skel;
		p->pid = pid;
		p->bin_id = bin_id;
	}
	return p;
}

int probes__register(struct tracer_bpf *skel, const struct target *t, struct probes **out,
		     char *err, size_t errlen)
{
	struct probes *p = probes_new(skel, t->pid, 0);
	__u32 pid = t->pid;
	int ret;

	if (!p)
		return -ENOMEM;
	ret = bpf_map__update_elem(skel->maps.procs, &pid, sizeof(pid), &t->cfg,
				   sizeof(t->cfg), BPF_ANY);
	if (ret) {
		snprintf(err, errlen, "cannot register PID %d: %s", t->pid, strerror(-ret));
		free(p);
		return ret;
	}
	ret = attach_common(p, t, err, errlen);
	if (ret) {
		probes__detach(p);
		return ret;
	}
	*out = p;
	return 0;
}

int probes__attach(struct tracer_bpf *skel, const struct target *t, struct probes **out,
		   char *err, size_t errlen)
{
	struct probes *p;
	int ret = probes__register(skel, t, &p, err, errlen);

	if (ret)
		return ret;
	ret = attach_calls(p, t, err, errlen);
	if (ret) {
		probes__detach(p);
		return ret;
	}
	*out = p;
	return 0;
}

int probes__attach_file(struct tracer_bpf *skel, const struct target *t, uint32_t bin_id,
			bool calls, struct probes **out, char *err, size_t errlen)
{
	struct probes *p = probes_new(skel, -1, bin_id);
	int ret;

	if (!p)
		return -ENOMEM;
	ret = attach_common(p, t, err, errlen);
	if (!ret && calls)
		ret = attach_calls(p, t, err, errlen);
	if (ret) {
		probes__detach(p);
		return ret;
	}
	*out = p;
	return 0;
}

struct probes *probes__new(struct tracer_bpf *skel)
{
	return probes_new(skel, -1, 0);
}

size_t probes__count(const struct probes *p)
{
	return p ? p->sites : 0;
}

/* forget P's process, free P (its links destroyed) */
static void probes_free(struct probes *p)
{
	__u32 pid = p->pid;

	if (p->pid > 0) {
		bpf_map__delete_elem(p->skel->maps.procs, &pid, sizeof(pid), 0);
		bpf_map__delete_elem(p->skel->maps.ccall_cfgs, &pid, sizeof(pid), 0);
	}
	free(p->links);
	free(p->fds);
	free(p->spec_ids);
	free(p);
}

void probes__detach(struct probes *p)
{
	if (!p)
		return;
	link_batch__destroy(p->links, p->n, p->fds, p->nfd);
	usdt_multi__release(p->spec_ids, p->n_ids);
	probes_free(p);
}

void probes__detach_many(struct probes **ps, size_t n)
{
	struct bpf_link **all = NULL;
	int *fds = NULL;
	size_t total = 0, totalfd = 0, k = 0, kfd = 0;

	for (size_t i = 0; i < n; i++) {
		total += ps[i] ? ps[i]->n : 0;
		totalfd += ps[i] ? ps[i]->nfd : 0;
	}
	all = malloc((total + 1) * sizeof(*all));
	fds = malloc((totalfd + 1) * sizeof(*fds));
	if (!all || !fds) {
		free(all);
		free(fds);
		/* (out of memory: one set after the other, still each at once) */
		for (size_t i = 0; i < n; i++) {
			probes__detach(ps[i]);
			ps[i] = NULL;
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; ps[i] && j < ps[i]->n; j++)
			all[k++] = ps[i]->links[j];
		for (size_t j = 0; ps[i] && j < ps[i]->nfd; j++)
			fds[kfd++] = ps[i]->fds[j];
	}
	link_batch__destroy(all, k, fds, kfd);
	free(all);
	free(fds);
	for (size_t i = 0; i < n; i++) {
		if (ps[i]) {
			usdt_multi__release(ps[i]->spec_ids, ps[i]->n_ids);
			probes_free(ps[i]);
		}
		ps[i] = NULL;
	}
}
