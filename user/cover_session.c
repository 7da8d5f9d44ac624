// SPDX-License-Identifier: MIT
/*
 * Coverage in a live session: which files each traced process ran (from
 * the identities in the event stream), whether its line events were on,
 * and, at the end, its code map (user/cover_map.c) as an in_codemap record.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "array.h"
#include "cover_blob.h"
#include "cover_map.h"
#include "cover_session.h"
#include "pystr.h"
#include "str_index.h"

struct cover_proc {
	int pid;
	enum cover_lines lines;
	bool boot_active;	/* the bootstrap said it turned its events on */
	bool calls_inside;	/* its calls are counted by the bootstrap */
	bool boot_final;	/* the bootstrap handed over its last counts */
	uint32_t blobs, max_seq;	/* hand-overs received, the last one's number */
	uint64_t unsent;	/* records the bootstrap could not send */
	bool bad_blob;		/* one did not parse */
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
			       enum cover_lines lines, bool calls_inside, const char *note)
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
	p->calls_inside = calls_inside;
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

static int add_file(struct cover_proc *p, const char *file, size_t len)
{
	char *copy = strndup(file, len);
	long i = copy ? str_index__add(&p->files, copy, NULL) : -ENOMEM;

	free(copy);
	return i < 0 ? (int)i : 0;
}

static int on_blob_rec(void *ctx, const struct cover_rec *r)
{
	struct cover_proc *p = ctx;

	switch (r->kind) {
	case 'A':
		p->boot_active = true;
		return 0;
	case 'E':
		p->boot_final = true;
		return 0;
	case 'S':
		p->unsent += r->count;
		return 0;
	default:
		return add_file(p, r->file, r->file_len);
	}
}

static int on_blob(struct cover_proc *p, const struct tr_ev_blob *e, size_t len)
{
	uint32_t seq = 0;
	int ret;

	if (len < offsetof(struct tr_ev_blob, data) ||
	    e->len > len - offsetof(struct tr_ev_blob, data))
		return 0;
	ret = cover_blob__parse(e->data, e->len, &seq, on_blob_rec, p);
	if (ret == -EINVAL)
		p->bad_blob = true;
	p->blobs++;
	if (seq > p->max_seq)
		p->max_seq = seq;
	return ret == -EINVAL ? 0 : ret;
}

int cover_session__event(struct cover_session *c, const void *ev, size_t len)
{
	const struct tr_ev_hdr *h = ev;
	struct cover_proc *p = proc_of(c, h->pid);
	bool trunc = false;
	char *file;
	int ret;

	if (!p)
		return 0;
	if (h->type == TR_EV_BLOB)
		return on_blob(p, ev, len);
	if (h->type != TR_EV_CODE || len < sizeof(struct tr_ev_code))
		return 0;
	const struct tr_ev_code *e = ev;
	if (e->firstlineno == TR_HOOK_HIDE_FIRSTLINENO)
		return 0;
	file = pystr__to_utf8(e->file, TR_FILE_MAX, e->file_len, e->file_enc, &trunc);
	if (!file)
		return -ENOMEM;
	/* a cut name is no file: its calls stay unmeasured */
	ret = trunc || !e->file_enc ? 0 : add_file(p, file, strlen(file));
	free(file);
	return ret;
}

/* what the summary says of P's coverage: how it was measured, and what of
 * it is missing */
static void describe(const struct cover_proc *p, char *buf, size_t n)
{
	size_t len;

	if (p->lines == COVER_LINES_BOOT && !p->boot_active) {
		snprintf(buf, n, "%s: the bootstrap did not start (python -I, -E or -S ignore "
			 "it; or no sys.monitoring tool id was free)",
			 p->calls_inside ? "nothing measured" : "functions only");
		return;
	}
	len = snprintf(buf, n, "%s", p->note);
	if (p->calls_inside && !p->boot_final && len < n)
		len += snprintf(buf + len, n - len, "; call counts partial: the process had not "
				"exited (they are handed over every %u calls and at exit)",
				COVER_BOOT_FLUSH_CALLS);
	if (p->max_seq > p->blobs && len < n)
		len += snprintf(buf + len, n - len, "; %u hand-overs lost (ring buffer full)",
				p->max_seq - p->blobs);
	if ((p->unsent || p->bad_blob) && len < n)
		snprintf(buf + len, n - len, "; %llu hand-over records unreadable",
			 (unsigned long long)p->unsent + p->bad_blob);
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
		describe(p, m.note, sizeof(m.note));
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
