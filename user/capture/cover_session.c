// SPDX-License-Identifier: MIT
/*
 * Coverage in a live session: which files each traced process ran (from
 * the identities in the event stream), whether its line events were on,
 * and, at the end, its code map (user/capture/cover_map.c) as an in_codemap record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include "util/array.h"
#include "analysis/codemap.h"
#include "analysis/cover_blob.h"
#include "capture/cover_map.h"
#include "capture/cover_session.h"
#include "cpython/pyversion.h"
#include "os/proc_status.h"
#include "os/run_as.h"
#include "output/outputs.h"
#include "cpython/pystr.h"
#include "util/str_index.h"
#include "util/text_escape.h"

struct cover_proc {
	int pid;
	uint32_t instance;	/* its events' (-a: pids are reused) */
	struct run_as_place place;	/* its root, mount namespace (of c->places) */
	int place_ret;		/* -errno: they could not be opened (no code map) */
	bool creds_known;	/* its credentials, read when it was found (and */
	struct proc_creds creds;	/* at the end if it runs): its code map runs */
	uint64_t start_ns;	/* with them, or not at all; when it started */
	enum cover_lines lines;
	bool boot_active;	/* the bootstrap said it turned its events on */
	bool calls_inside;	/* its calls are counted by the bootstrap */
	bool boot_final;	/* the bootstrap handed over its last counts */
	uint32_t blobs, max_seq;	/* hand-overs received, the last one's number */
	uint64_t unsent;	/* records the bootstrap could not send */
	uint32_t bad_blobs;	/* hand-overs that did not parse */
	int optimize;
	char interp[600];
	char cwd[4096];
	char note[256];
	struct str_index files;	/* the co_filename values its code objects had */
};

/* a root directory or mount namespace other than ours, open: one per
 * container, however many of its processes are measured */
struct cover_place {
	dev_t dev;
	ino_t ino, mnt;	/* of its root, of its mount namespace */
	struct run_as_place pl;
};

struct cover_session {
	const struct cover_filter *filter;
	struct cover_proc *procs;
	size_t n_procs, cap_procs;
	struct cover_place *places;
	size_t n_places, cap_places;
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
	for (size_t i = 0; i < c->n_places; i++)
		run_as_place__close(&c->places[i].pl);
	free(c->procs);
	free(c->places);
	free(c);
}

/* PID's root and mount namespace when they are not ours (a container, a
 * chroot), open: its code map runs there, even after it exits. 0, or
 * -errno: the code map of PID will not run (PL stays -1, ours). */
static int place_of(struct cover_session *c, int pid, struct run_as_place *pl)
{
	struct stat a, b, m, self_m;
	char path[64], ns[64];
	int ret;

	pl->root_fd = pl->mnt_fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", pid);
	if (stat(path, &a) || stat("/", &b) || stat(ns, &m) || stat("/proc/self/ns/mnt", &self_m))
		return -errno;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino && m.st_ino == self_m.st_ino)
		return 0;
	for (size_t i = 0; i < c->n_places; i++)
		if (c->places[i].dev == a.st_dev && c->places[i].ino == a.st_ino &&
		    c->places[i].mnt == m.st_ino) {
			*pl = c->places[i].pl;
			return 0;
		}
	if (array__grow((void **)&c->places, &c->cap_places, c->n_places, sizeof(*c->places)))
		return -ENOMEM;
	ret = run_as_place__open(pid, pl);
	if (ret)
		return ret;
	c->places[c->n_places++] = (struct cover_place){ a.st_dev, a.st_ino, m.st_ino, *pl };
	return 0;
}

/* the interpreter that compiles T's files for its code map: its executable
 * as T sees it (in its root); /proc/PID/exe when the file at that path is
 * another one now (replaced on disk), which only runs while T does */
static void interp_path(const struct target *t, bool own_root, char *buf, size_t n)
{
	struct stat a, b;
	char link[64];

	snprintf(link, sizeof(link), "/proc/%d/exe", t->pid);
	if (!own_root && !stat(t->exe, &a) && !stat(link, &b) &&
	    (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		snprintf(buf, n, "%s", link);
	else
		snprintf(buf, n, "%s", t->exe);
}

/* PATH as the process of ROOT (its root as we see it, "/" when ours or
 * out of our sight) sees it: a chroot's prefix taken off, in place */
static void in_root(char *path, const char *root)
{
	size_t len = strlen(root);

	if (len > 1 && !strncmp(path, root, len) && path[len] == '/')
		memmove(path, path + len, strlen(path + len) + 1);
}

static int add_process(struct cover_session *c, const struct target *t, enum cover_lines lines,
		       const char *note)
{
	struct cover_proc *p;
	char path[64], root[4096] = "/";
	ssize_t n;

	if (array__grow((void **)&c->procs, &c->cap_procs, c->n_procs, sizeof(*c->procs)))
		return -ENOMEM;
	p = &c->procs[c->n_procs];
	memset(p, 0, sizeof(*p));
	if (str_index__init(&p->files))
		return -ENOMEM;
	c->n_procs++;
	p->pid = t->pid;
	p->instance = t->cfg.instance;
	p->creds_known = t->creds_known;
	p->creds = t->creds;
	if (proc_status__start_ns(t->pid, &p->start_ns))
		p->start_ns = 0;
	p->place_ret = place_of(c, t->pid, &p->place);
	p->lines = lines;
	p->calls_inside = t->calls_inside;
	p->optimize = cover_map__optimize_level(t->pid);
	interp_path(t, p->place.root_fd < 0 && p->place.mnt_fd < 0, p->interp, sizeof(p->interp));
	snprintf(p->note, sizeof(p->note), "%s", note);
	snprintf(path, sizeof(path), "/proc/%d/cwd", t->pid);
	n = readlink(path, p->cwd, sizeof(p->cwd) - 1);
	p->cwd[n > 0 ? n : 0] = 0;
	/* its code map runs chroot'ed: the paths as it sees them */
	if (p->place.root_fd >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/root", t->pid);
		n = readlink(path, root, sizeof(root) - 1);
		root[n > 0 ? n : 1] = 0;
		in_root(p->interp, root);
		in_root(p->cwd, root);
	}
	return 0;
}

bool cover_session__usdt_lines(const struct target *t)
{
	return t->cfg.strategy == TR_STRATEGY_USDT;
}

/*
 * Which lines of T can be measured: the USDT `line` probe where the build
 * has USDT probes; on 3.12+ launched here, the bootstrap's sys.monitoring
 * line events; nothing elsewhere (said before tracing, and in the outputs).
 * When only coverage maps are written (BOOT was opened to count calls), the
 * bootstrap counts the calls too, and no call is probed: a call costs a
 * callback in the process instead of two uprobe traps.
 */
int cover_session__plan(struct cover_session *c, struct target *t, const struct cover_boot *boot,
			bool say)
{
	bool monitoring = t->bin.has_monitoring;
	enum cover_lines lines = COVER_LINES_NONE;
	char note[200], why[64] = "", ver[32];

	if (cover_session__usdt_lines(t)) {
		lines = COVER_LINES_USDT;
		t->cfg.usdt_lines = 1;
		snprintf(note, sizeof(note), "lines from the USDT line probe");
	} else if (monitoring && boot && t->bin.getsizeof_offset &&
		   cover_boot__will_load(t->pid, why, sizeof(why))) {
		bool boot_counts = cover_boot__counts_calls(boot);

		lines = COVER_LINES_BOOT;
		t->cover_channel = true;
		t->calls_inside = boot_counts;
		snprintf(note, sizeof(note), "lines from sys.monitoring events%s, turned on by "
			 "the tracer's bootstrap at interpreter start",
			 boot_counts ? " (calls counted in the process too)" : "");
		/* what the target said of its call probes is moot without them */
		if (boot_counts)
			t->n_warnings = 0;
	} else if (monitoring && why[0]) {
		snprintf(note, sizeof(note), "functions only: %s (line events need it)", why);
	} else if (monitoring && t->mode == TARGET_LAUNCH) {
		snprintf(note, sizeof(note), "functions only: this build does not export "
			 "_PySys_GetSizeOf, where the line bootstrap hands its lines over");
	} else if (monitoring) {
		snprintf(note, sizeof(note), "functions only: on %s line events need the tracer's "
			 "bootstrap at interpreter start (launch mode: tracer -- CMD)",
			 pyversion__format(t->bin.version_hex & 0xffff0000u, ver, sizeof(ver)));
	} else {
		snprintf(note, sizeof(note), "functions only: this %s build has no USDT line "
			 "probe, and line events of 3.11 and older cannot be observed from outside",
			 pyversion__format(t->bin.version_hex & 0xffff0000u, ver, sizeof(ver)));
	}
	if (lines == COVER_LINES_NONE && t->n_warnings < IN_MAX_WARNINGS)
		snprintf(t->warnings[t->n_warnings++], sizeof(t->warnings[0]), "coverage: %s", note);
	else if (say)
		fprintf(stderr, "tracer: coverage: functions and %s\n", note);
	return add_process(c, t, lines, note);
}

/* the process of an event (the latest first: a reused pid's is later) */
static struct cover_proc *proc_of(struct cover_session *c, const struct tr_ev_hdr *h)
{
	for (size_t i = c->n_procs; i-- > 0;)
		if ((uint32_t)c->procs[i].pid == h->pid && c->procs[i].instance == h->instance)
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

static int on_blob(struct cover_proc *p, const void *ev, size_t len)
{
	uint32_t seq = 0;
	int ret = cover_blob__parse_event(ev, len, &seq, on_blob_rec, p);

	if (ret == -EINVAL)
		p->bad_blobs++;
	p->blobs++;
	if (seq > p->max_seq)
		p->max_seq = seq;
	return ret == -EINVAL ? 0 : ret;
}

int cover_session__event(struct cover_session *c, const void *ev, size_t len)
{
	const struct tr_ev_hdr *h = ev;
	const struct tr_ev_code *e = ev;
	struct cover_proc *p;
	bool trunc = false;
	char *file;
	int ret;

	/* only identities and hand-overs name files: the calls, most of the
	 * stream, pass without a look for their process */
	if (h->type != TR_EV_BLOB && (h->type != TR_EV_CODE || len < sizeof(*e)))
		return 0;
	if (!(p = proc_of(c, h)))
		return 0;
	if (h->type == TR_EV_BLOB)
		return on_blob(p, ev, len);
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

/*
 * The credentials P's code map runs with: those it has at the end when it
 * still runs (the same process: its start time), else those it had when it
 * was found. A process found as root may have dropped to another user
 * since (a server's worker): from then on, the files it names are that
 * user's to read, not root's.
 */
static void refresh_creds(struct cover_proc *p)
{
	struct proc_creds c;
	uint64_t t0 = 0, t1 = 0;

	if (p->start_ns && !proc_status__start_ns(p->pid, &t0) && t0 == p->start_ns &&
	    !proc_status__creds(p->pid, &c) && !proc_status__start_ns(p->pid, &t1) &&
	    t1 == p->start_ns) {
		p->creds = c;
		p->creds_known = true;
	}
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
	if (p->unsent && len < n)
		len += snprintf(buf + len, n - len, "; %llu records of the bootstrap lost",
				(unsigned long long)p->unsent);
	if (p->bad_blobs && len < n)
		snprintf(buf + len, n - len, "; %u hand-overs unreadable", p->bad_blobs);
}

/* S on stderr, its control characters as \xNN: a name from the target */
static void put_name(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(stderr, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, stderr);
}

/* the files of M's process its code map could not read or compile: said
 * here, whatever the outputs (an LCOV file has no place for it; the
 * summary says it too) */
static void say_unmeasured(int pid, const struct in_codemap *m)
{
	char err[128];
	struct codemap *map = codemap__parse(m, err, sizeof(err));

	for (uint32_t i = 0; map && i < map->n_files; i++) {
		const struct codemap_file *f = &map->files[i];

		if (f->status != COV_ERROR)
			continue;
		fprintf(stderr, "tracer: coverage of PID %d: not measured: ", pid);
		put_name(f->file);
		fputs(": ", stderr);
		put_name(f->error ? f->error : "?");
		fputc('\n', stderr);
	}
	codemap__free(map);
}

int cover_session__finish(struct cover_session *c, struct outputs *out)
{
	int ret = 0;

	for (size_t i = 0; i < c->n_procs; i++) {
		struct cover_proc *p = &c->procs[i];
		struct in_codemap m = { .pid = p->pid, .instance = p->instance };
		struct cover_map_req req = {
			.interp = p->interp,
			.place = p->place,
			.cwd = p->cwd[0] ? p->cwd : NULL,
			.optimize = p->optimize,
			.filter = c->filter,
			.source = outputs__want_source(out),
			.files = (const char *const *)p->files.strs,
			.n_files = p->files.n,
		};
		char err[512];
		int r;

		refresh_creds(p);
		req.creds = p->creds_known ? &p->creds : NULL;
		m.lines = p->lines == COVER_LINES_USDT ||
			  (p->lines == COVER_LINES_BOOT && p->boot_active);
		describe(p, m.note, sizeof(m.note));
		if (p->place_ret)
			snprintf(err, sizeof(err), "cannot open its root directory or mount "
				 "namespace: %s", strerror(-p->place_ret));
		r = p->place_ret ? p->place_ret
				 : cover_map__run(&req, &m.text, &m.len, err, sizeof(err));
		if (r) {
			fprintf(stderr, "tracer: coverage of PID %d: ", p->pid);
			text_escape__term(stderr, err);	/* names its interpreter */
			fputc('\n', stderr);
			if (!ret)
				ret = r;
			continue;
		}
		say_unmeasured(p->pid, &m);
		outputs__codemap(out, &m);
		free(m.text);
	}
	return ret;
}
