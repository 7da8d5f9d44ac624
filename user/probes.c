// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "array.h"
#include "probes.h"
#include "tracer.skel.h"

struct probes {
	struct tracer_bpf *skel;
	int pid;
	size_t n, cap;
	struct bpf_link **links;	/* in attach order */
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
	return 0;
}

int probes__add_link(struct probes *p, struct bpf_link *l, const char *what,
		     char *err, size_t errlen)
{
	return add_link(p, l, what, err, errlen);
}

static int attach_usdt(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	unsigned minor = (t->bin.version_hex >> 16) & 0xff;
	int ret = 0;

	/* 3.11: the entry probe fires only once the line probe's semaphore is
	 * up, so raise it first (its program does nothing unless coverage asks
	 * for lines); then returns, then entries: a call seen entering is
	 * always seen returning */
	if (minor == 11 || t->cfg.usdt_lines)
		ret = add_link(p, bpf_program__attach_usdt(s->progs.usdt_line, t->pid, t->open_path,
							   "python", "line", NULL),
			       "USDT python:line", err, errlen);
	if (!ret)
		ret = add_link(p, bpf_program__attach_usdt(s->progs.usdt_return, t->pid, t->open_path,
							   "python", "function__return", NULL),
			       "USDT python:function__return", err, errlen);
	if (!ret)
		ret = add_link(p, bpf_program__attach_usdt(s->progs.usdt_entry, t->pid, t->open_path,
							   "python", "function__entry", NULL),
			       "USDT python:function__entry", err, errlen);
	return ret;
}

static int attach_eval(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	int ret;

	ret = add_link(p, bpf_program__attach_uprobe(s->progs.eval_return, true, t->pid,
						     t->open_path, t->bin.eval_offset),
		       "uretprobe _PyEval_EvalFrameDefault", err, errlen);
	if (!ret)
		ret = add_link(p, bpf_program__attach_uprobe(s->progs.eval_entry, false, t->pid,
							     t->open_path, t->bin.eval_offset),
			       "uprobe _PyEval_EvalFrameDefault", err, errlen);
	return ret;
}

/* returns (and unwinds) first, then calls: a call seen is seen returning */
static int attach_dispatch(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	char what[96];
	int ret = 0;

	for (int pass = 0; pass < 2 && !ret; pass++) {
		for (int i = 0; i < t->bin.plan.n && !ret; i++) {
			const struct ds_site *d = &t->bin.plan.sites[i];
			bool call = d->kind == DS_CALL;

			if (call != (pass == 1))
				continue;
			snprintf(what, sizeof(what), "uprobe at %s (0x%llx)", d->what,
				 (unsigned long long)d->vaddr);
			ret = add_link(p, bpf_program__attach_uprobe(call ? s->progs.dispatch_call
									  : s->progs.dispatch_return,
								     false, t->pid, t->open_path,
								     t->bin.site_offset[i]),
				       what, err, errlen);
		}
		if (pass == 0 && !ret)
			ret = add_link(p, bpf_program__attach_uprobe(s->progs.eval_throw, false, t->pid,
								     t->open_path, t->bin.eval_offset),
				       "uprobe _PyEval_EvalFrameDefault (generator throw)", err, errlen);
	}
	return ret;
}

/* GC collections and imports: ends first, then beginnings */
static int attach_runtime(struct probes *p, const struct target *t, char *err, size_t errlen)
{
	struct tracer_bpf *s = p->skel;
	const struct { const char *probe; struct bpf_program *prog; } usdt[] = {
		{ "gc__done", s->progs.usdt_gc_done },
		{ "import__find__load__done", s->progs.usdt_import_done },
		{ "gc__start", s->progs.usdt_gc_start },
		{ "import__find__load__start", s->progs.usdt_import_start },
	};
	char what[96];
	int ret = 0;

	for (int i = 0; i < 4 && t->bin.runtime_usdt && !ret; i++) {
		snprintf(what, sizeof(what), "USDT python:%s", usdt[i].probe);
		ret = add_link(p, bpf_program__attach_usdt(usdt[i].prog, t->pid, t->open_path,
							   "python", usdt[i].probe, NULL),
			       what, err, errlen);
	}
	for (int pass = 0; pass < 2 && !ret; pass++) {
		for (int i = 0; i < t->bin.runtime.n && !ret; i++) {
			const struct rt_site *site = &t->bin.runtime.sites[i];
			LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = pass == 0,
				    .bpf_cookie = runtime_sites__cookie(&t->bin.runtime, site));

			if (pass == 0 && site->kind == TR_RT_GC_GENERATION)
				continue;	/* its entry only */
			snprintf(what, sizeof(what), "%s %s", pass ? "uprobe" : "uretprobe", site->what);
			ret = add_link(p, bpf_program__attach_uprobe_opts(pass ? s->progs.runtime_entry
									       : s->progs.runtime_exit,
									  t->pid, t->open_path,
									  site->offset, &o),
				       what, err, errlen);
		}
	}
	return ret;
}

int probes__register(struct tracer_bpf *skel, const struct target *t, struct probes **out,
		     char *err, size_t errlen)
{
	struct probes *p = calloc(1, sizeof(*p));
	__u32 pid = t->pid;
	int ret;

	if (!p)
		return -ENOMEM;
	p->skel = skel;
	p->pid = t->pid;
	ret = bpf_map__update_elem(skel->maps.procs, &pid, sizeof(pid), &t->cfg,
				   sizeof(t->cfg), BPF_ANY);
	if (ret) {
		snprintf(err, errlen, "cannot register PID %d: %s", t->pid, strerror(-ret));
		free(p);
		return ret;
	}
	/* before anything can fill the identity cache */
	if (t->cfg.dealloc_probed && !t->calls_inside)
		ret = add_link(p, bpf_program__attach_uprobe(skel->progs.code_freed, false, t->pid,
							     t->open_path, t->bin.dealloc_offset),
			       "uprobe code_dealloc", err, errlen);
	/* JIT registrations, in every mode */
	if (!ret && t->bin.perfmap_offset)
		ret = add_link(p, bpf_program__attach_uprobe(skel->progs.jit_register, false, t->pid,
							     t->open_path, t->bin.perfmap_offset),
			       "uprobe PyUnstable_WritePerfMapEntry", err, errlen);
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
	if (t->cover_channel)
		ret = add_link(p, bpf_program__attach_uprobe(skel->progs.cover_channel, false, t->pid,
							     t->open_path, t->bin.getsizeof_offset),
			       "uprobe _PySys_GetSizeOf (the coverage bootstrap's hand-over)", err,
			       errlen);
	/* calls counted inside the process: nothing else to see */
	if (!ret && !t->calls_inside)
		ret = attach_runtime(p, t, err, errlen);
	if (!ret && !t->calls_inside)
		ret = t->cfg.strategy == TR_STRATEGY_USDT     ? attach_usdt(p, t, err, errlen)
		    : t->cfg.strategy == TR_STRATEGY_DISPATCH ? attach_dispatch(p, t, err, errlen)
							      : attach_eval(p, t, err, errlen);
	if (ret) {
		probes__detach(p);
		return ret;
	}
	*out = p;
	return 0;
}

void probes__detach(struct probes *p)
{
	__u32 pid;

	if (!p)
		return;
	pid = p->pid;
	/* entry probes were attached last: detach them first, so every call
	 * seen entering is seen returning until the very end */
	while (p->n > 0)
		bpf_link__destroy(p->links[--p->n]);
	bpf_map__delete_elem(p->skel->maps.procs, &pid, sizeof(pid), 0);
	free(p->links);
	free(p);
}
