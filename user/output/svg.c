// SPDX-License-Identifier: MIT
/*
 * Interactive flame graph (.svg): one self-contained SVG file (inline style
 * and script, nothing fetched) written at the end of the session, readable
 * offline in any browser; without script it still shows every frame.
 *
 * Built in a streaming pass: each completed call adds its own time
 * (duration minus its callees') to its stack (struct stack_node, shared by
 * all threads); nothing is kept per call. At finish a stack's total is its
 * own time plus its descendants', the width of its frame; children are
 * sorted by name, left to right, the parent's own time is the gap on their
 * right. Stacks under 1/1000 of the total are not drawn one by one: the
 * small callees of a frame become one grey block when that is wide enough;
 * the header says how many frames and how much time were merged or left
 * out. Memory: the functions, the stacks and the processes.
 *
 * The frames carry their numbers (data-x: offset in ns from the left edge,
 * data-w: total ns, data-s: self ns, data-n: calls, data-d: row, data-f:
 * function), the functions are listed once in <metadata id="funcs">; the
 * script (svg_script.h) does the tooltip, zoom, search and icicle view.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "util/hashmap.h"
#include "model/func_names.h"
#include "model/proc_label.h"
#include "cpython/pyversion.h"
#include "model/strategy.h"
#include "output/observer.h"
#include "output/sinks.h"
#include "util/xml_text.h"
#include "output/stack_profile.h"
#include "output/svg_script.h"


#define SVG_W 1200		/* image width, px */
#define SVG_PAD 10		/* left and right margins */
#define SVG_FH 17		/* frame height */
#define SVG_LH 17		/* header line height */
#define SVG_LINE_CHARS 165	/* header characters on one line */
#define SVG_CHAR_W 7.2		/* guessed mean glyph width of the 12px font */
#define SVG_MIN_PART 1000	/* stacks under total/SVG_MIN_PART not drawn */
#define SVG_PROC_WARNINGS 16	/* processes' warnings in the header, at most */

/* the layout of a stack, made at finish (its time: struct stack_cost) */
struct svg_node {
	uint32_t first, next;	/* children */
	bool drawn;		/* >= 1/SVG_MIN_PART of the total */
	uint32_t small_n;	/* children not drawn, merged into one block */
	uint64_t total_ns, x_ns;
	uint64_t small_ns;	/* their time */
};

struct svg_sink {
	struct sink base;
	FILE *f;
	struct out_file *file;	/* F's, until the end */
	int err;		/* first write error (-errno) */
	struct func_names names;
	struct stack_profile prof;	/* by stack id; [0]: the root, "all" */
	struct svg_node *nodes;	/* layout, same ids (at finish) */
	uint64_t threads;
	struct hashmap *seen;	/* pid << 32 | tid of the threads counted */
	struct in_process *procs;
	size_t n_procs, cap_procs;
	float y;		/* next header line */
	bool dry;		/* lay out the header without writing it */
	bool sampled;		/* samples (--sample): counts are samples and
				 * widths the (CPU or, --wall, wall) time they
				 * stand for */
};

/* ---- writing ---------------------------------------------------------- */

static void svg_bytes(struct svg_sink *ss, const void *p, size_t n)
{
	if (ss->err || !n)
		return;
	errno = 0;
	if (fwrite_unlocked(p, 1, n, ss->f) != n)
		ss->err = errno ? -errno : -EIO;
}

static void svg_puts(struct svg_sink *ss, const char *s)
{
	svg_bytes(ss, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void svg_printf(struct svg_sink *ss, const char *fmt, ...)
{
	va_list ap;

	if (ss->err)
		return;
	va_start(ap, fmt);
	errno = 0;
	if (vfprintf(ss->f, fmt, ap) < 0)
		ss->err = errno ? -errno : -EIO;
	va_end(ap);
}

/* S escaped for XML, cut to MAX characters (see xml_text.h) */
static void svg_esc(struct svg_sink *ss, const char *s, size_t max)
{
	if (!ss->err)
		xml_text__put(ss->f, s, max);
}

/* NS in human units: "850 ns", "12.3 µs", "1.25 s" */
static const char *svg_human(uint64_t ns, char *buf, size_t n)
{
	static const char *const unit[] = { "ns", "\xc2\xb5s", "ms", "s" };
	double v = ns;
	int u = 0;

	if (ns < 1000) {
		snprintf(buf, n, "%llu ns", (unsigned long long)ns);
		return buf;
	}
	while (v >= 1000 && u < 3) {
		v /= 1000;
		u++;
	}
	snprintf(buf, n, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, unit[u]);
	return buf;
}

static double svg_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static const char *svg_basename(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

/* ---- the sink --------------------------------------------------------- */

static struct sink *svg_open(const char *path)
{
	struct svg_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->base.ops = &sink_svg;
	ss->base.path = strdup(path);
	if (ss->base.path && !stack_profile__init(&ss->prof))
		ss->f = sink__open_file(path, &ss->file);
	if (!ss->f) {
		int e = ss->base.path && ss->prof.v ? errno : ENOMEM;

		stack_profile__free(&ss->prof);
		free(ss->base.path);
		free(ss);
		errno = e;
		return NULL;
	}
	return &ss->base;
}

static int svg_process(struct sink *s, const struct in_process *p)
{
	struct svg_sink *ss = (struct svg_sink *)s;

	if (array__grow((void **)&ss->procs, &ss->cap_procs, ss->n_procs, sizeof(*p)))
		return -ENOMEM;
	ss->procs[ss->n_procs++] = *p;
	return 0;
}

static int svg_thread(struct sink *s, const struct in_thread *t)
{
	struct svg_sink *ss = (struct svg_sink *)s;
	uint64_t key = (uint64_t)t->pid << 32 | t->tid;

	/* a thread told again (renamed: its Python name) is counted once */
	if (!ss->seen && !(ss->seen = hashmap__new()))
		return -ENOMEM;
	if (hashmap__get(ss->seen, key))
		return 0;
	ss->threads++;
	return hashmap__set(ss->seen, key, (void *)1);
}

static int svg_func(struct sink *s, const struct func_info *f)
{
	return func_names__set(&((struct svg_sink *)s)->names, f);
}

static int svg_stack(struct sink *s, const struct stack_node *n)
{
	/* it checks that a parent has a smaller id: the layout relies on it */
	return stack_profile__stack(&((struct svg_sink *)s)->prof, n);
}

static int svg_sample(struct sink *s, const struct sample_rec *r)
{
	((struct svg_sink *)s)->sampled = true;
	return stack_profile__sample(&((struct svg_sink *)s)->prof, r);
}

static int svg_call(struct sink *s, const struct call_rec *c)
{
	/* a call of a stack never told: its time goes to the root (said) */
	return stack_profile__call(&((struct svg_sink *)s)->prof, c);
}

/* ---- layout ----------------------------------------------------------- */

struct svg_layout {
	uint64_t total;		/* the root's total */
	uint32_t rows;		/* drawn rows, the root's included */
	uint64_t min;		/* the narrowest frame drawn */
	uint64_t omitted;	/* stacks not drawn */
	uint64_t merged_ns;	/* time in the blocks of small frames */
	uint64_t hidden_ns;	/* time in small frames not even merged */
};

/* the identity of FUNC ("" and 0 when never told) */
static const struct func_info *svg_fi(const struct svg_sink *ss, uint32_t func)
{
	static const struct func_info none = { .qualname = "", .file = "" };
	const struct func_info *fi = func_names__get(&ss->names, func);

	return fi ? fi : &none;
}

static int svg_cmp_name(const void *a, const void *b, void *arg)
{
	const struct svg_sink *ss = arg;
	uint32_t fa = ss->prof.v[*(const uint32_t *)a].func;
	uint32_t fb = ss->prof.v[*(const uint32_t *)b].func;
	const struct func_info *x = svg_fi(ss, fa), *y = svg_fi(ss, fb);
	int r;

	if ((r = strcmp(x->qualname, y->qualname)) || (r = strcmp(x->file, y->file)))
		return r;
	return x->line != y->line ? (x->line > y->line) - (x->line < y->line) :
	       (fa > fb) - (fa < fb);
}

/* totals, children sorted by name, offsets, what is drawn */
static int svg_layout(struct svg_sink *ss, struct svg_layout *lo)
{
	const struct stack_cost *sc = ss->prof.v;
	uint32_t n = ss->prof.n, *kids;
	struct svg_node *v;

	v = ss->nodes = calloc(n, sizeof(*v));
	kids = malloc(n * sizeof(*kids));
	if (!kids || !v) {
		free(kids);
		return -ENOMEM;
	}
	for (uint32_t i = n; i-- > 0;) {
		if (!sc[i].known)
			continue;
		v[i].total_ns += sc[i].self_ns;
		if (i) {
			v[sc[i].parent].total_ns += v[i].total_ns;
			v[i].next = v[sc[i].parent].first;
			v[sc[i].parent].first = i;
		}
	}
	*lo = (struct svg_layout){ .total = v[0].total_ns, .rows = 1,
				   .min = v[0].total_ns / SVG_MIN_PART };
	v[0].drawn = true;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = 0, crow = i ? sc[i].depth + 2 : 1;	/* children's row */
		uint64_t x = v[i].x_ns;
		bool above = false;	/* something drawn on row CROW */

		if (!sc[i].known || !v[i].drawn) {
			lo->omitted += sc[i].known;
			continue;
		}
		for (uint32_t c = v[i].first; c; c = v[c].next)
			kids[k++] = c;
		qsort_r(kids, k, sizeof(*kids), svg_cmp_name, ss);
		for (uint32_t j = 0; j < k; j++) {
			struct svg_node *c = &v[kids[j]];

			c->drawn = c->total_ns && c->total_ns >= lo->min;
			if (c->drawn) {
				c->x_ns = x;
				x += c->total_ns;
				above = true;
			} else {
				v[i].small_n++;
				v[i].small_ns += c->total_ns;
			}
		}
		/* the small children: one block after the others, or nothing */
		if (v[i].small_ns && v[i].small_ns >= lo->min) {
			lo->merged_ns += v[i].small_ns;
			above = true;
		} else {
			lo->hidden_ns += v[i].small_ns;
			v[i].small_n = 0;
		}
		if (above && crow + 1 > lo->rows)
			lo->rows = crow + 1;
	}
	free(kids);
	return 0;
}

/* ---- output ----------------------------------------------------------- */

/* a header line: CLASS, then FMT */
__attribute__((format(printf, 3, 4)))
static void svg_line(struct svg_sink *ss, const char *cls, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* lines longer than the image are cut at a space */
	for (char *p = buf, *cut; *p; p = cut) {
		size_t n = strlen(p);

		cut = p + n;
		if (n > SVG_LINE_CHARS) {
			for (cut = p + SVG_LINE_CHARS; cut > p + 20 && *cut != ' '; cut--)
				;
			if (*cut == ' ')
				*cut++ = '\0';
			else
				cut = p + n;	/* no space: left as is */
		}
		ss->y += SVG_LH;
		if (ss->dry)
			continue;
		svg_printf(ss, "<text class=\"%s\" x=\"%d\" y=\"%.0f\">", cls,
			   p == buf ? SVG_PAD : SVG_PAD + 20, ss->y);
		svg_esc(ss, p, SIZE_MAX);
		svg_puts(ss, "</text>\n");
	}
}

/* what the session says about itself: processes, counters, warnings */
static void svg_header(struct svg_sink *ss, const struct session_stats *st,
		       const struct svg_layout *lo)
{
	char a[32], b[32], ver[16], ticks[300], extra[300];
	size_t warned = 0, unsaid = 0;

	for (size_t i = 0; i < ss->n_procs && i < 4; i++) {
		const struct in_process *p = &ss->procs[i];

		proc_label__extra(p, extra, sizeof(extra));
		svg_line(ss, "info", "pid %u: python %s %.*s, probes: %s%s%s%s", p->pid,
			 pyversion__format(p->version_hex, ver, sizeof(ver)),
			 (int)strnlen(p->exe, sizeof(p->exe)), p->exe,
			 strategy__name(p->strategy), extra[0] ? " [" : "", extra,
			 extra[0] ? "]" : "");
	}
	if (ss->n_procs > 4)
		svg_line(ss, "info", "and %zu more processes", ss->n_procs - 4);
	observer__subtracted(&st->probe_cost, extra, sizeof(extra));
	if (extra[0])
		svg_line(ss, "info", "%s", extra);
	if (st->exits || st->exits_unseen)
		svg_line(ss, "info", "processes: %llu traced, %llu exited, %llu exits not seen",
			 (unsigned long long)st->processes, (unsigned long long)st->exits,
			 (unsigned long long)st->exits_unseen);
	if (st->samples && st->samples_wall)
		svg_line(ss, "info", "wall-clock samples: %llu, of every thread running or not, "
			 "one per tick (widths: the wall time each stands for), %llu truncated "
			 "(marked [truncated]); %s", (unsigned long long)st->samples,
			 (unsigned long long)st->samples_truncated,
			 wall_ticks__describe(&st->wall, ticks, sizeof(ticks)));
	else if (st->samples)
		svg_line(ss, "info", "CPU samples: %llu, one every %s of CPU time (widths: samples "
			 "x period), %llu truncated (marked [truncated])",
			 (unsigned long long)st->samples,
			 svg_human(st->sample_period_ns, a, sizeof(a)),
			 (unsigned long long)st->samples_truncated);
	svg_line(ss, "info", "traced time %s (summed over %llu threads), session %s, "
		 "%llu calls, %llu events seen, %llu lost",
		 svg_human(lo->total, a, sizeof(a)), (unsigned long long)ss->threads,
		 st->first_ts && st->last_ts > st->first_ts ?
		 svg_human(st->last_ts - st->first_ts, b, sizeof(b)) : "-",
		 (unsigned long long)st->calls, (unsigned long long)st->events,
		 (unsigned long long)st->lost_total);
	for (size_t i = 0; i < ss->n_procs; i++) {
		const struct in_process *p = &ss->procs[i];
		uint32_t nw = p->n_warnings < IN_MAX_WARNINGS ? p->n_warnings : IN_MAX_WARNINGS;

		/* a system-wide session's processes: the header stays short */
		for (uint32_t w = 0; w < nw; w++, warned++)
			if (warned < SVG_PROC_WARNINGS)
				svg_line(ss, "warn", "warning (pid %u): %.*s", p->pid,
					 (int)strnlen(p->warnings[w], sizeof(p->warnings[w])),
					 p->warnings[w]);
			else
				unsaid++;
	}
	if (unsaid)
		svg_line(ss, "warn", "and %zu more warnings of the processes (the summary "
			 "has them all)", unsaid);
	for (uint32_t w = 0; w < st->n_warnings; w++)
		svg_line(ss, "warn", "warning: %.*s",
			 (int)strnlen(st->warnings[w], sizeof(st->warnings[w])), st->warnings[w]);
	if (st->lost_total || st->unmatched_returns ||
	    (st->end_flags & IN_END_RECORDING_TRUNCATED))
		svg_line(ss, "warn", "WARNING: the trace is incomplete: %llu events lost "
			 "(ringbuf full %llu, map full %llu, read failed %llu, no config %llu, "
			 "foreign thread state %llu), %llu unmatched returns%s: calls are "
			 "missing, times of their callers may be wrong",
			 (unsigned long long)st->lost_total,
			 (unsigned long long)st->drops[TR_DROP_RINGBUF_FULL],
			 (unsigned long long)st->drops[TR_DROP_MAP_FULL],
			 (unsigned long long)st->drops[TR_DROP_READ_FAIL],
			 (unsigned long long)st->drops[TR_DROP_NO_CONFIG],
			 (unsigned long long)st->drops[TR_DROP_FOREIGN_TSTATE],
			 (unsigned long long)st->unmatched_returns,
			 st->end_flags & IN_END_RECORDING_TRUNCATED ?
			 ", the recording stopped early" : "");
	if (st->inferred_returns)
		svg_line(ss, "warn", "%llu returns inferred (not probed): their end times "
			 "are upper bounds", (unsigned long long)st->inferred_returns);
	if (st->open_at_end)
		svg_line(ss, "warn", "%llu calls still running when tracing ended: cut "
			 "at the end", (unsigned long long)st->open_at_end);
	if (st->truncated_names)
		svg_line(ss, "warn", "%llu function names were cut (too long)",
			 (unsigned long long)st->truncated_names);
	if (ss->prof.unplaced)
		svg_line(ss, "warn", "%llu calls of an unknown stack: their time is "
			 "shown as the root's own", (unsigned long long)ss->prof.unplaced);
	if (lo->omitted) {
		svg_line(ss, "note", "%llu frames under 0.1%% of the total each are not "
			 "drawn one by one, nor searchable:", (unsigned long long)lo->omitted);
		svg_line(ss, "note", "%.2f%% of the time is in grey blocks that merge them, "
			 "%.2f%% in ones too small even merged (left as their caller's own "
			 "time)", svg_pct(lo->merged_ns, lo->total),
			 svg_pct(lo->hidden_ns, lo->total));
	} else {
		svg_line(ss, "note", "all frames drawn");
	}
	if (!lo->total)
		svg_line(ss, "warn", "no call was traced");
}

/* fill colour of FILE: a warm hue from a hash of its name, stable across runs */
static void svg_colour(const char *file, char *buf, size_t n)
{
	uint32_t h = 2166136261u;

	if (!file || !*file) {	/* a block of small frames; the root */
		snprintf(buf, n, file ? "rgb(205,200,190)" : "rgb(175,175,175)");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)file; *p; p++)
		h = (h ^ *p) * 16777619u;
	snprintf(buf, n, "rgb(%u,%u,%u)", 215 + h % 40, 80 + (h >> 8) % 140,
		 30 + (h >> 16) % 50);
}

/* one frame: FUNC (-1: the root, -2: a block of small frames), its place
 * and numbers, LABEL, and for a function its identity FI */
static void svg_rect(struct svg_sink *ss, const struct svg_layout *lo, int func,
		     const struct func_info *fi, uint32_t row, uint64_t x_ns,
		     uint64_t w_ns, uint64_t self_ns, uint64_t calls, const char *label)
{
	double scale = lo->total ? (double)(SVG_W - 2 * SVG_PAD) / lo->total : 0;
	double x = SVG_PAD + x_ns * scale, w = lo->total ? w_ns * scale : SVG_W - 2 * SVG_PAD;
	double y = ss->y + (lo->rows - 1 - row) * SVG_FH;
	long chars = (long)((w - 6) / SVG_CHAR_W);
	char colour[32], t[32], sf[32];

	svg_colour(func == -1 ? "" : func == -2 ? NULL : fi ? fi->file : "", colour,
		   sizeof(colour));
	svg_printf(ss, "<g class=\"f\" data-f=\"%d\" data-x=\"%llu\" data-w=\"%llu\" "
		   "data-s=\"%llu\" data-n=\"%llu\" data-d=\"%u\"", func,
		   (unsigned long long)x_ns, (unsigned long long)w_ns,
		   (unsigned long long)self_ns, (unsigned long long)calls, row);
	if (func < 0) {
		svg_puts(ss, " data-label=\"");
		svg_esc(ss, label, SIZE_MAX);
		svg_puts(ss, "\"");
	}
	svg_puts(ss, "><title>");
	if (fi) {
		svg_puts(ss, func_info__mark(fi));
		svg_esc(ss, fi->qualname, SIZE_MAX);
		svg_puts(ss, " (");
		svg_esc(ss, fi->file, SIZE_MAX);
		svg_printf(ss, ":%u)&#10;", fi->line);
	} else {
		svg_esc(ss, label, SIZE_MAX);
		svg_puts(ss, "&#10;");
	}
	svg_printf(ss, "%s, %.2f%% of all, self %s, %llu %s</title>",
		   svg_human(w_ns, t, sizeof(t)), svg_pct(w_ns, lo->total),
		   svg_human(self_ns, sf, sizeof(sf)), (unsigned long long)calls,
		   ss->sampled ? "samples" : "calls");
	svg_printf(ss, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" rx=\"2\" "
		   "fill=\"%s\"/><text x=\"%.2f\" y=\"%.0f\">", x, y,
		   w > 0.6 ? w - 0.5 : w, SVG_FH - 1, colour, x + 3, y + SVG_FH - 5);
	if (chars >= 3)
		svg_esc(ss, label, chars);
	svg_puts(ss, "</text></g>\n");
}

/* the frame of stack ID, and the block of its small children */
static void svg_frame(struct svg_sink *ss, uint32_t id, const struct svg_layout *lo)
{
	const struct svg_node *v = &ss->nodes[id];
	const struct stack_cost *sc = &ss->prof.v[id];
	const struct func_info *fi = id ? func_names__get(&ss->names, sc->func) : NULL;
	uint32_t row = id ? sc->depth + 1 : 0;
	char lbl[1200], t[32];

	if (fi)
		snprintf(lbl, sizeof(lbl), "%s%s (%s:%u)", func_info__mark(fi), fi->qualname,
			 svg_basename(fi->file), fi->line);
	else if (id)
		snprintf(lbl, sizeof(lbl), "<unknown function %u>", sc->func);
	else
		snprintf(lbl, sizeof(lbl), "all (%s)", svg_human(v->total_ns, t, sizeof(t)));
	svg_rect(ss, lo, id ? (int)sc->func : -1, fi, row, v->x_ns, v->total_ns,
		 sc->self_ns, ss->sampled ? sc->samples : sc->calls, lbl);
	if (!v->small_n)
		return;
	snprintf(lbl, sizeof(lbl), "%u small frames (under 0.1%% each), merged",
		 v->small_n);
	svg_rect(ss, lo, -2, NULL, row + 1, v->x_ns + v->total_ns - sc->self_ns - v->small_ns,
		 v->small_ns, 0, 0, lbl);
}

static void svg_write(struct svg_sink *ss, const struct session_stats *st,
		      const struct svg_layout *lo)
{
	const struct in_process *p = ss->procs;
	float ctl_y, top, foot_y;
	char title[600];

	if (ss->n_procs == 1)
		snprintf(title, sizeof(title), "Python flame graph: pid %u, %.*s", p->pid,
			 (int)strnlen(p->exe, sizeof(p->exe)), p->exe);
	else
		snprintf(title, sizeof(title), "Python flame graph: %zu processes", ss->n_procs);
	/* the header laid out once without writing, for the height */
	ss->y = 30;
	ss->dry = true;
	svg_header(ss, st, lo);
	ss->dry = false;
	ctl_y = ss->y + SVG_LH + 4;	/* the buttons */
	top = ctl_y + 8;		/* the frames */
	foot_y = top + lo->rows * SVG_FH + 22;	/* details and search result */
	svg_printf(ss, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		   "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		   "height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n<style><![CDATA[\n%s]]></style>\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"#fdfdf8\"/>\n"
		   "<text class=\"title\" x=\"%d\" y=\"26\" text-anchor=\"middle\">",
		   SVG_W, foot_y + 12, SVG_W, foot_y + 12, svg_style, SVG_W / 2);
	svg_esc(ss, title, 120);
	svg_puts(ss, "</text>\n");
	ss->y = 30;
	svg_header(ss, st, lo);
	svg_printf(ss, "<text id=\"reset\" class=\"btn off\" x=\"%d\" y=\"%.0f\">Reset zoom"
		   "</text>\n<text id=\"flip\" class=\"btn\" x=\"%d\" y=\"%.0f\" "
		   "text-anchor=\"middle\">Icicle view</text>\n<text id=\"search\" "
		   "class=\"btn\" x=\"%d\" y=\"%.0f\" text-anchor=\"end\">Search (Ctrl-F)"
		   "</text>\n<metadata id=\"funcs\" data-unit=\"%s\">\n", SVG_PAD, ctl_y,
		   SVG_W / 2, ctl_y, SVG_W - SVG_PAD, ctl_y, ss->sampled ? "sample" : "call");
	for (uint32_t i = 0; i < ss->names.n; i++) {
		const struct func_info *fi = svg_fi(ss, i);

		svg_puts(ss, "<fn q=\"");
		svg_esc(ss, fi->qualname, SIZE_MAX);
		svg_puts(ss, "\" p=\"");
		svg_esc(ss, fi->file, SIZE_MAX);
		svg_printf(ss, "\" l=\"%u\"/>\n", fi->line);
	}
	svg_printf(ss, "</metadata>\n<g id=\"frames\" data-total=\"%llu\" data-rows=\"%u\" "
		   "data-top=\"%.0f\" data-fh=\"%d\" data-x0=\"%d\" data-width=\"%d\">\n",
		   (unsigned long long)lo->total, lo->rows, top, SVG_FH, SVG_PAD,
		   SVG_W - 2 * SVG_PAD);
	ss->y = top;
	for (uint32_t i = 0; i < ss->prof.n; i++)
		if (ss->prof.v[i].known && ss->nodes[i].drawn)
			svg_frame(ss, i, lo);
	svg_printf(ss, "</g>\n<text id=\"details\" x=\"%d\" y=\"%.0f\">Hover a frame for "
		   "details, click to zoom</text>\n<text id=\"matched\" x=\"%d\" y=\"%.0f\" "
		   "text-anchor=\"end\"></text>\n<g id=\"tip\" visibility=\"hidden\">"
		   "<rect rx=\"3\"/><text/></g>\n<script type=\"text/ecmascript\"><![CDATA[\n"
		   "%s]]></script>\n</svg>\n", SVG_PAD, foot_y, SVG_W - SVG_PAD, foot_y,
		   svg_script);
}

static int svg_finish(struct sink *s, const struct session_stats *st)
{
	struct svg_sink *ss = (struct svg_sink *)s;
	struct svg_layout lo;
	int err = ss->prof.err ? ss->prof.err : svg_layout(ss, &lo);

	if (!err) {
		svg_write(ss, st, &lo);
		err = ss->err;
	}
	return sink__close_file(&ss->file, &ss->f, err);
}

static void svg_free(struct sink *s)
{
	struct svg_sink *ss = (struct svg_sink *)s;

	if (!ss)
		return;
	out_file__discard(&ss->file);
	func_names__free(&ss->names);
	stack_profile__free(&ss->prof);
	free(ss->nodes);
	free(ss->procs);
	hashmap__free(ss->seen, NULL);
	free(ss->base.path);
	free(ss);
}

const struct sink_ops sink_svg = {
	.name = "svg",
	.suffix = ".svg",
	.help = "interactive flame graph, self-contained (open in a browser)",
	.open = svg_open,
	.process = svg_process,
	.thread = svg_thread,
	.func = svg_func,
	.stack = svg_stack,
	.call = svg_call,
	.sample = svg_sample,
	.finish = svg_finish,
	.free = svg_free,
};
