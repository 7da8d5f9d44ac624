// SPDX-License-Identifier: MIT
/*
 * Merging coverage (see coverage.h).
 *
 * Calls and lines come during the session keyed by (process, function
 * identity); what a function's file is, whether it is measured and which
 * functions and lines it has comes with its process's code map, at the
 * end. So calls and lines wait per (process, function) until then, and are
 * then added to the measured file their identity names. A process is a
 * slot: a pid's records go to its latest process's, a process record for
 * a pid whose process has ended (process_end: a reused pid) opens a new
 * slot, and a code map goes to the slot of its pid and instance (the
 * pid's latest with instance 0). Functions are
 * matched by first line and qualified name; 3.8-3.10 identities carry the
 * plain co_name, matched against the last part of the code map's rebuilt
 * qualified name. A called function the code map does not have (code
 * compiled at run time with the file's name) is added as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "output/coverage.h"
#include "util/hashmap.h"
#include "model/path_norm.h"
#include "output/sinks.h"
#include "util/str_index.h"

enum { LINE_NONE = 0, LINE_EXEC = 1, LINE_HIT = 2 };

struct fn_ent {
	char *qualname;
	uint32_t line;
	uint64_t calls;
};

struct file_ent {
	const char *path;	/* the cov_sink's paths.strs[index] */
	struct fn_ent *fns;
	size_t n_fns, cap_fns;
	uint8_t *state;		/* by line number: LINE_* */
	size_t n_state;
	uint32_t procs, line_procs;	/* processes that ran it, with lines */
	char *source;		/* its text, from the first code map that had it */
};

/* a process (in_process, or a pid seen without one) */
struct cov_proc {
	uint32_t pid, instance;
	bool ended;
};

/* what a (process, function) did before its code map came */
struct pending {
	uint64_t calls;
	uint32_t *lines;
	size_t n_lines, cap_lines;
};

struct cov_sink {
	struct sink base;
	cov_write_fn write;
	/* created at the start (a path that cannot be written fails before
	 * anything is traced), written at the end */
	FILE *f;
	struct out_file *file;
	struct func_info *funcs;	/* by id (copies) */
	size_t cap_funcs;
	struct hashmap *pending;	/* slot << 32 | func -> struct pending */
	struct cov_proc *procs;		/* by slot */
	size_t n_procs, cap_procs;
	struct hashmap *latest;		/* pid -> slot + 1 of its latest process */
	struct str_index paths;		/* files[i] is of paths.strs[i] */
	struct file_ent *files;
	size_t n_files, cap_files;
	uint32_t codemaps;		/* code maps received */
	bool written;			/* finished: the totals below are known */
	double pct;
	uint64_t total_hit, total_all;
};

struct sink *coverage__open(const struct sink_ops *ops, const char *path, cov_write_fn write)
{
	struct cov_sink *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base.ops = ops;
	c->base.path = strdup(path);
	c->write = write;
	c->pending = hashmap__new();
	c->latest = hashmap__new();
	if (!c->base.path || !c->pending || !c->latest || str_index__init(&c->paths)) {
		coverage__free(&c->base);
		errno = ENOMEM;
		return NULL;
	}
	c->f = strcmp(path, "-") ? sink__open_file(path, &c->file) : stdout;
	if (!c->f) {
		int e = errno;

		coverage__free(&c->base);
		errno = e;
		return NULL;
	}
	return &c->base;
}

int coverage__func(struct sink *s, const struct func_info *f)
{
	struct cov_sink *c = (struct cov_sink *)s;

	if (array__grow((void **)&c->funcs, &c->cap_funcs, f->id, sizeof(*c->funcs)))
		return -ENOMEM;
	c->funcs[f->id] = (struct func_info){ .id = f->id, .qualname = strdup(f->qualname),
					      .file = strdup(f->file), .line = f->line };
	return c->funcs[f->id].qualname && c->funcs[f->id].file ? 0 : -ENOMEM;
}

/* a new slot for process PID, INSTANCE: its number, -1 when out of memory */
static long new_slot(struct cov_sink *c, uint32_t pid, uint32_t instance)
{
	if (array__grow((void **)&c->procs, &c->cap_procs, c->n_procs, sizeof(*c->procs)) ||
	    hashmap__set(c->latest, pid, (void *)(uintptr_t)(c->n_procs + 1)))
		return -1;
	c->procs[c->n_procs] = (struct cov_proc){ .pid = pid, .instance = instance };
	return c->n_procs++;
}

int coverage__process(struct sink *s, const struct in_process *p)
{
	struct cov_sink *c = (struct cov_sink *)s;
	uintptr_t i = (uintptr_t)hashmap__get(c->latest, p->pid);

	if (i && !c->procs[i - 1].ended) {	/* the same process, again */
		if (p->instance)
			c->procs[i - 1].instance = p->instance;
		return 0;
	}
	return new_slot(c, p->pid, p->instance) < 0 ? -ENOMEM : 0;
}

int coverage__process_end(struct sink *s, const struct proc_end_rec *e)
{
	struct cov_sink *c = (struct cov_sink *)s;
	uintptr_t i = (uintptr_t)hashmap__get(c->latest, e->pid);

	if (i)
		c->procs[i - 1].ended = true;
	return 0;
}

static struct pending *pending_of(struct cov_sink *c, uint32_t pid, uint32_t func)
{
	uintptr_t i = (uintptr_t)hashmap__get(c->latest, pid);
	long slot = i ? (long)i - 1 : new_slot(c, pid, 0);
	uint64_t key = (uint64_t)slot << 32 | func;
	struct pending *p;

	if (slot < 0)
		return NULL;
	p = hashmap__get(c->pending, key);

	if (!p && (p = calloc(1, sizeof(*p))) && hashmap__set(c->pending, key, p)) {
		free(p);
		p = NULL;
	}
	return p;
}

int coverage__call(struct sink *s, const struct call_rec *r)
{
	struct cov_sink *c = (struct cov_sink *)s;
	struct pending *p;

	/* a frame already running at attach was not called in the session */
	if (r->flags & CALL_BEGAN_BEFORE_ATTACH)
		return 0;
	p = pending_of(c, r->pid, r->func);
	if (!p)
		return -ENOMEM;
	p->calls++;
	return 0;
}

int coverage__calls(struct sink *s, uint32_t pid, uint32_t func, uint64_t n)
{
	struct pending *p = pending_of((struct cov_sink *)s, pid, func);

	if (!p)
		return -ENOMEM;
	p->calls += n;
	return 0;
}

int coverage__line(struct sink *s, uint32_t pid, uint32_t func, uint32_t line)
{
	struct cov_sink *c = (struct cov_sink *)s;
	struct pending *p = pending_of(c, pid, func);

	if (!p || array__grow((void **)&p->lines, &p->cap_lines, p->n_lines, sizeof(*p->lines)))
		return -ENOMEM;
	p->lines[p->n_lines++] = line;
	return 0;
}

static struct file_ent *file_of(struct cov_sink *c, const char *path)
{
	long i = str_index__add(&c->paths, path, NULL);

	if (i < 0 || array__grow((void **)&c->files, &c->cap_files, i, sizeof(*c->files)))
		return NULL;
	if ((size_t)i == c->n_files)
		c->files[c->n_files++].path = c->paths.strs[i];
	return &c->files[i];
}

static int mark_line(struct file_ent *f, uint32_t line, uint8_t state)
{
	if (line >= f->n_state) {
		size_t n = line + 64;
		uint8_t *p = realloc(f->state, n);

		if (!p)
			return -ENOMEM;
		memset(p + f->n_state, 0, n - f->n_state);
		f->state = p;
		f->n_state = n;
	}
	if (f->state[line] < state)
		f->state[line] = state;
	return 0;
}

/* is NAME, an identity's name, QUALNAME? (NAME_ONLY: or the last part of
 * it: 3.8-3.10 identities carry co_name) */
static bool names_match(const char *qualname, const char *name, bool name_only)
{
	const char *dot = strrchr(qualname, '.');

	return !strcmp(qualname, name) || (name_only && dot && !strcmp(dot + 1, name));
}

/* the function of F with this first line and name */
static struct fn_ent *fn_find(struct file_ent *f, uint32_t line, const char *name, bool name_only)
{
	for (size_t i = 0; i < f->n_fns; i++)
		if (f->fns[i].line == line && names_match(f->fns[i].qualname, name, name_only))
			return &f->fns[i];
	return NULL;
}

static struct fn_ent *fn_add(struct file_ent *f, uint32_t line, const char *qualname)
{
	struct fn_ent *e;

	if (array__grow((void **)&f->fns, &f->cap_fns, f->n_fns, sizeof(*f->fns)))
		return NULL;
	e = &f->fns[f->n_fns];
	e->qualname = strdup(qualname);
	e->line = line;
	if (!e->qualname)
		return NULL;
	f->n_fns++;
	return e;
}

/* the file entries of M's measured files, by index (NULL: not measured) */
static int add_files(struct cov_sink *c, const struct codemap *m, size_t *idx)
{
	for (uint32_t i = 0; i < m->n_files; i++) {
		const struct codemap_file *cf = &m->files[i];
		struct file_ent *f;

		idx[i] = 0;
		if (cf->status != COV_MEASURED)
			continue;
		f = file_of(c, cf->abs);
		if (!f)
			return -ENOMEM;
		idx[i] = f - c->files + 1;
		if (cf->source && !f->source && !(f->source = strdup(cf->source)))
			return -ENOMEM;
		f->procs++;
		f->line_procs += m->lines;
		for (uint32_t j = 0; j < cf->n_funcs; j++) {
			const struct codemap_func *fn = &cf->funcs[j];

			if (!fn_find(f, fn->firstlineno, fn->qualname, false) &&
			    !fn_add(f, fn->firstlineno, fn->qualname))
				return -ENOMEM;
			for (uint32_t k = 0; k < fn->n_lines; k++)
				if (mark_line(f, fn->lines[k], LINE_EXEC))
					return -ENOMEM;
		}
	}
	return 0;
}

/*
 * A function that was called ran its first instruction. When that is on its
 * first line (a one-line def, a lambda, a comprehension, a class body), the
 * line ran, but the USDT `line` probe does not report it (it fires only when
 * the line differs from the frame's last one, which starts as the first
 * line). The parent reports it when it runs the def, so this matters for
 * functions defined before an attach. Only lines a line event can come from
 * (the code map's) are marked.
 */
static int first_line_ran(struct file_ent *f, const struct codemap_file *cf,
			  const struct func_info *fi)
{
	for (uint32_t i = 0; i < cf->n_funcs; i++) {
		const struct codemap_func *fn = &cf->funcs[i];

		if (fn->firstlineno != fi->line || !names_match(fn->qualname, fi->qualname, true))
			continue;
		for (uint32_t k = 0; k < fn->n_lines && fn->lines[k] <= fi->line; k++)
			if (fn->lines[k] == fi->line)
				return mark_line(f, fi->line, LINE_HIT);
	}
	return 0;
}

/* the slot of M's process: of its pid and instance (the pid's latest when
 * its instance is not known), -1 when none has one */
static long slot_of(struct cov_sink *c, const struct codemap *m)
{
	uintptr_t i = (uintptr_t)hashmap__get(c->latest, m->pid);

	if (!m->instance || !i || c->procs[i - 1].instance == m->instance)
		return (long)i - 1;
	for (size_t k = i - 1; k-- > 0;)
		if (c->procs[k].pid == m->pid && c->procs[k].instance == m->instance)
			return k;
	return -1;
}

/* move what M's process's functions did into their files */
static int settle(struct cov_sink *c, const struct codemap *m, const size_t *idx)
{
	long slot = slot_of(c, m);
	struct str_index names;		/* m's file names: names.strs[k] is m->files[at[k]] */
	uint32_t *at = calloc(m->n_files + 1, sizeof(*at));
	uint64_t *keys = calloc(hashmap__size(c->pending) + 1, sizeof(*keys)), key;
	size_t n_keys = 0, pos = 0;
	int ret = at && keys ? str_index__init(&names) : -ENOMEM;
	void *v;

	for (uint32_t i = 0; !ret && i < m->n_files; i++) {
		bool is_new;
		/* named as the identities are (func_table: normalized), so
		 * "/x/../w.py" finds the identities of "/w.py" */
		char *name = strdup(m->files[i].file);
		long k = name ? (path_norm__apply(name), str_index__add(&names, name, &is_new))
			      : -ENOMEM;

		free(name);
		if (k < 0)
			ret = -ENOMEM;
		else if (is_new)
			at[k] = i;
	}
	/* this process's entries: settled, then gone (a later process with
	 * this pid has its own slot) */
	while (!ret && slot >= 0 && hashmap__next(c->pending, &pos, &key, &v))
		if (key >> 32 == (uint64_t)slot)
			keys[n_keys++] = key;
	for (size_t n = 0; !ret && n < n_keys; n++) {
		struct pending *p = hashmap__del(c->pending, keys[n]);
		uint32_t id = keys[n] & 0xffffffff;
		const struct func_info *fi = id < c->cap_funcs ? &c->funcs[id] : NULL;
		long k = fi && fi->qualname ? str_index__find(&names, fi->file) : -1;
		struct file_ent *f = k >= 0 && idx[at[k]] ? &c->files[idx[at[k]] - 1] : NULL;
		struct fn_ent *fn;

		if (f) {
			if (p->calls && m->lines)
				ret = first_line_ran(f, &m->files[at[k]], fi);
			fn = fn_find(f, fi->line, fi->qualname, true);
			if (!fn && p->calls)
				fn = fn_add(f, fi->line, fi->qualname);
			if (fn)
				fn->calls += p->calls;
			else if (p->calls)
				ret = -ENOMEM;
			for (size_t l = 0; !ret && l < p->n_lines; l++)
				ret = mark_line(f, p->lines[l], LINE_HIT);
		}
		free(p->lines);
		free(p);
	}
	if (at && keys)
		str_index__free(&names);
	free(at);
	free(keys);
	return ret;
}

int coverage__codemap(struct sink *s, const struct codemap *m)
{
	struct cov_sink *c = (struct cov_sink *)s;
	size_t *idx = calloc(m->n_files + 1, sizeof(*idx));
	int ret;

	if (!idx)
		return -ENOMEM;
	c->codemaps++;
	ret = add_files(c, m, idx);
	if (!ret)
		ret = settle(c, m, idx);
	free(idx);
	return ret;
}

static int cmp_fn(const void *a, const void *b)
{
	const struct cov_func *x = a, *y = b;

	return x->line != y->line ? (x->line < y->line ? -1 : 1) : strcmp(x->qualname, y->qualname);
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct cov_file *)a)->path, ((const struct cov_file *)b)->path);
}

/* unique names in a file: qualname; qualname@line when the qualname
 * repeats; #2, #3... when that repeats too (sorted by line first) */
static int name_funcs(struct cov_file *cf)
{
	for (uint32_t i = 0; i < cf->n_funcs; i++) {
		struct cov_func *fn = &cf->funcs[i];
		uint32_t same = 0, same_line = 0;
		char *name;

		for (uint32_t j = 0; j < cf->n_funcs; j++) {
			if (strcmp(cf->funcs[j].qualname, fn->qualname))
				continue;
			same++;
			if (j < i && cf->funcs[j].line == fn->line)
				same_line++;
		}
		if (same == 1)
			name = strdup(fn->qualname);
		else if (!same_line)
			name = asprintf(&name, "%s@%u", fn->qualname, fn->line) < 0 ? NULL : name;
		else
			name = asprintf(&name, "%s@%u#%u", fn->qualname, fn->line, same_line + 1) < 0
			       ? NULL : name;
		if (!name)
			return -ENOMEM;
		fn->name = name;
	}
	return 0;
}

/* functions only: the functions' first lines (sorted by line), hit when
 * one of the functions starting there was called (see coverage.h) */
static int func_lines(struct cov_file *cf)
{
	free(cf->lines);
	free(cf->hit);
	cf->lines = calloc(cf->n_funcs + 1, sizeof(*cf->lines));
	cf->hit = calloc(cf->n_funcs + 1, 1);
	if (!cf->lines || !cf->hit)
		return -ENOMEM;
	for (uint32_t j = 0; j < cf->n_funcs; j++) {
		const struct cov_func *fn = &cf->funcs[j];

		if (!cf->n_lines || cf->lines[cf->n_lines - 1] != fn->line)
			cf->lines[cf->n_lines++] = fn->line;
		cf->hit[cf->n_lines - 1] |= fn->calls > 0;
	}
	for (uint32_t j = 0; j < cf->n_lines; j++)
		cf->lines_hit += cf->hit[j];
	return 0;
}

double cov_report__percent(const struct cov_report *r)
{
	return r->lines ? 100.0 * r->lines_hit / r->lines : 100.0;
}

static int build(struct cov_sink *c, struct cov_report *r)
{
	r->files = calloc(c->n_files + 1, sizeof(*r->files));
	if (!r->files)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_files; i++) {
		struct file_ent *f = &c->files[i];
		struct cov_file *cf = &r->files[r->n_files++];

		cf->path = f->path;
		cf->source = f->source;
		cf->lines_measured = f->line_procs > 0;
		cf->lines_partial = f->line_procs && f->line_procs < f->procs;
		cf->funcs = calloc(f->n_fns + 1, sizeof(*cf->funcs));
		cf->lines = calloc(f->n_state + 1, sizeof(*cf->lines));
		cf->hit = calloc(f->n_state + 1, 1);
		if (!cf->funcs || !cf->lines || !cf->hit)
			return -ENOMEM;
		for (size_t j = 0; j < f->n_fns; j++) {
			cf->funcs[cf->n_funcs++] = (struct cov_func){
				.qualname = f->fns[j].qualname, .line = f->fns[j].line,
				.calls = f->fns[j].calls };
			cf->funcs_hit += f->fns[j].calls > 0;
		}
		qsort(cf->funcs, cf->n_funcs, sizeof(*cf->funcs), cmp_fn);
		if (name_funcs(cf))
			return -ENOMEM;
		for (size_t l = 0; cf->lines_measured && l < f->n_state; l++) {
			if (f->state[l] == LINE_NONE)
				continue;
			cf->lines[cf->n_lines] = l;
			cf->hit[cf->n_lines++] = f->state[l] == LINE_HIT;
			cf->lines_hit += f->state[l] == LINE_HIT;
		}
		if (!cf->lines_measured && func_lines(cf))
			return -ENOMEM;
		r->files_func_lines += !cf->lines_measured;
		r->funcs += cf->n_funcs;
		r->funcs_hit += cf->funcs_hit;
		r->lines += cf->n_lines;
		r->lines_hit += cf->lines_hit;
	}
	qsort(r->files, r->n_files, sizeof(*r->files), cmp_file);
	return 0;
}

static void report_free(struct cov_report *r)
{
	for (uint32_t i = 0; r->files && i < r->n_files; i++) {
		for (uint32_t j = 0; j < r->files[i].n_funcs; j++)
			free((char *)r->files[i].funcs[j].name);
		free(r->files[i].funcs);
		free(r->files[i].lines);
		free(r->files[i].hit);
	}
	free(r->files);
}

int coverage__finish(struct sink *s, const struct session_stats *st)
{
	struct cov_sink *c = (struct cov_sink *)s;
	struct cov_report r = {};
	int ret;

	/* calls alone do not say which functions exist, or where files are */
	if (!c->codemaps) {
		fprintf(stderr, "tracer: %s: no coverage data: the session traced no process, or "
			"the recording was made without --coverage\n",
			strcmp(s->path, "-") ? s->path : "coverage report");
		if (c->f == stdout) {
			c->f = NULL;
			return -ENODATA;
		}
		return sink__close_file(&c->file, &c->f, -ENODATA);
	}
	ret = build(c, &r);

	if (!ret)
		ret = c->write(c->f, &r, st);
	if (!ret) {
		c->written = true;
		c->pct = cov_report__percent(&r);
		c->total_hit = r.lines_hit;
		c->total_all = r.lines;
	}
	if (c->f == stdout) {	/* stays open */
		errno = 0;
		if (!ret && (fflush(stdout) || ferror(stdout)))
			ret = errno ? -errno : -EIO;
		c->f = NULL;
	} else {
		ret = sink__close_file(&c->file, &c->f, ret);
	}
	report_free(&r);
	return ret;
}

bool coverage__total(const struct sink *s, double *pct, uint64_t *hit, uint64_t *all)
{
	const struct cov_sink *c = (const struct cov_sink *)s;

	if (!s->ops->coverage || !c->written)
		return false;
	*pct = c->pct;
	*hit = c->total_hit;
	*all = c->total_all;
	return true;
}

void coverage__free(struct sink *s)
{
	struct cov_sink *c = (struct cov_sink *)s;
	size_t pos = 0;
	uint64_t key;
	void *v;

	if (!c)
		return;
	out_file__discard(&c->file);
	while (c->pending && hashmap__next(c->pending, &pos, &key, &v)) {
		free(((struct pending *)v)->lines);
		free(v);
	}
	hashmap__free(c->pending, NULL);
	hashmap__free(c->latest, NULL);
	free(c->procs);
	str_index__free(&c->paths);
	for (size_t i = 0; i < c->cap_funcs; i++) {
		free((char *)c->funcs[i].qualname);
		free((char *)c->funcs[i].file);
	}
	free(c->funcs);
	for (size_t i = 0; i < c->n_files; i++) {
		for (size_t j = 0; j < c->files[i].n_fns; j++)
			free(c->files[i].fns[j].qualname);
		free(c->files[i].fns);
		free(c->files[i].state);
		free(c->files[i].source);
	}
	free(c->files);
	free(s->path);
	free(c);
}
