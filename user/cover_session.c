// SPDX-License-Identifier: MIT
/*
 * Coverage in a live session: which files each traced process ran (from
 * the identities in the event stream), whether its line events were on,
 * and, at the end, its code map (user/cover_map.c) as an in_codemap record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "array.h"
#include "cover_map.h"
#include "cover_session.h"
#include "pystr.h"
#include "str_index.h"

struct cover_proc {
	int pid;
	enum cover_lines lines;
	bool boot_active;	/* the bootstrap said it turned line events on */
	int optimize;
	char interp[600];
	char cwd[4096];
	char note[256];
	struct str_index files;	/* the co_filename values its code objects had */
};

struct cover_session {
	const struct cover_filter *filter;
	struct cover_proc *procs;
	size_t n_procs, cap_procs;
};

struct cover_session *cover_session__new(const struct cover_filter *f)
{
	struct cover_session *c = calloc(1, sizeof(*c));

	if (c)
		c->filter = f;
	return c;
}

void cover_session__free(struct cover_session *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_procs; i++)
		str_index__free(&c->procs[i].files);
	free(c->procs);
	free(c);
}

int cover_session__add_process(struct cover_session *c, int pid, const char *interp,
			       enum cover_lines lines, const char *note)
{
	struct cover_proc *p;
	char path[64];
	ssize_t n;

	if (array__grow((void **)&c->procs, &c->cap_procs, c->n_procs, sizeof(*c->procs)))
		return -ENOMEM;
	p = &c->procs[c->n_procs];
	if (str_index__init(&p->files))
		return -ENOMEM;
	c->n_procs++;
	p->pid = pid;
	p->lines = lines;
	p->optimize = cover_map__optimize_level(pid);
	snprintf(p->interp, sizeof(p->interp), "%s", interp);
	snprintf(p->note, sizeof(p->note), "%s", note);
	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	n = readlink(path, p->cwd, sizeof(p->cwd) - 1);
	p->cwd[n > 0 ? n : 0] = 0;
	return 0;
}

static struct cover_proc *proc_of(struct cover_session *c, uint32_t pid)
{
	for (size_t i = 0; i < c->n_procs; i++)
		if ((uint32_t)c->procs[i].pid == pid)
			return &c->procs[i];
	return NULL;
}

int cover_session__event(struct cover_session *c, const void *ev, size_t len)
{
	const struct tr_ev_hdr *h = ev;
	struct cover_proc *p = proc_of(c, h->pid);
	bool trunc = false;
	char *file;

	if (!p)
		return 0;
	if (h->type == TR_EV_LINE && len >= sizeof(struct tr_ev_line) &&
	    (h->flags & TR_LINE_BOOT_ACTIVE)) {
		p->boot_active = true;
		return 0;
	}
	if (h->type != TR_EV_CODE || len < sizeof(struct tr_ev_code))
		return 0;
	const struct tr_ev_code *e = ev;
	if (e->firstlineno == TR_HOOK_LINE_FIRSTLINENO || e->firstlineno == TR_HOOK_HIDE_FIRSTLINENO)
		return 0;
	file = pystr__to_utf8(e->file, TR_FILE_MAX, e->file_len, e->file_enc, &trunc);
	if (!file)
		return -ENOMEM;
	/* a cut name is no file: its calls stay unmeasured */
	long i = trunc || !e->file_enc ? 0 : str_index__add(&p->files, file, NULL);

	free(file);
	return i < 0 ? (int)i : 0;
}

int cover_session__finish(struct cover_session *c, cover_session_emit_fn emit, void *ctx)
{
	int ret = 0;

	for (size_t i = 0; i < c->n_procs; i++) {
		struct cover_proc *p = &c->procs[i];
		struct in_codemap m = { .pid = p->pid };
		struct cover_map_req req = {
			.interp = p->interp,
			.cwd = p->cwd[0] ? p->cwd : NULL,
			.optimize = p->optimize,
			.filter = c->filter,
			.files = (const char *const *)p->files.strs,
			.n_files = p->files.n,
		};
		char err[512];
		int r;

		m.lines = p->lines == COVER_LINES_USDT ||
			  (p->lines == COVER_LINES_BOOT && p->boot_active);
		if (p->lines == COVER_LINES_BOOT && !p->boot_active)
			snprintf(m.note, sizeof(m.note), "functions only: the line bootstrap did not "
				 "start (python -I, -E or -S ignore it; or no sys.monitoring tool "
				 "id was free)");
		else
			snprintf(m.note, sizeof(m.note), "%s", p->note);
		r = cover_map__run(&req, &m.text, &m.len, err, sizeof(err));
		if (r) {
			fprintf(stderr, "tracer: coverage of PID %d: %s\n", p->pid, err);
			if (!ret)
				ret = r;
			continue;
		}
		r = emit(ctx, &m);
		free(m.text);
		if (r && !ret)
			ret = r;
	}
	return ret;
}
