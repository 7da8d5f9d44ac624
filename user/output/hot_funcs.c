// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include "util/array.h"
#include "output/hot_funcs.h"
#include "util/text_escape.h"

int hot_funcs__add(struct hot_funcs *h, const struct sample_rec *r)
{
	uint64_t stamp = h->samples + 1;

	for (uint32_t i = 0; i < r->n_funcs; i++) {
		uint32_t id = r->funcs[i];
		struct hot_func *hf;

		if (array__grow((void **)&h->v, &h->cap, id, sizeof(*h->v)))
			return -ENOMEM;
		if (id >= h->n)
			h->n = id + 1;
		hf = &h->v[id];
		if (i == 0)
			hf->self++;
		if (hf->last != stamp) {
			hf->last = stamp;
			hf->total++;
		}
	}
	h->samples = stamp;
	if (r->flags & SAMPLE_WALL)
		h->wall = true;
	return 0;
}

struct hot_cmp {
	const struct hot_func *v;
	bool by_total;
};

static int cmp_hot(const void *a, const void *b, void *arg)
{
	const struct hot_cmp *c = arg;
	const struct hot_func *x = &c->v[*(const uint32_t *)a], *y = &c->v[*(const uint32_t *)b];
	uint64_t x1 = c->by_total ? x->total : x->self, y1 = c->by_total ? y->total : y->self;
	uint64_t x2 = c->by_total ? x->self : x->total, y2 = c->by_total ? y->self : y->total;

	if (x1 != y1)
		return x1 < y1 ? 1 : -1;
	if (x2 != y2)
		return x2 < y2 ? 1 : -1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static void order_by(const struct hot_funcs *h, uint32_t *order, size_t n, bool by_total)
{
	struct hot_cmp c = { .v = h->v, .by_total = by_total };

	qsort_r(order, n, sizeof(*order), cmp_hot, &c);
}

size_t hot_funcs__order_by(const struct hot_funcs *h, uint32_t *order, bool by_total)
{
	size_t n = 0;

	for (uint32_t i = 0; i < h->n; i++)
		if (h->v[i].total)
			order[n++] = i;
	order_by(h, order, n, by_total);
	return n;
}

size_t hot_funcs__order(const struct hot_funcs *h, uint32_t *order)
{
	return hot_funcs__order_by(h, order, false);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0;
}

static void print_rows(const struct hot_funcs *h, const struct func_names *names,
		       const uint32_t *order, size_t n, FILE *f)
{
	for (size_t i = 0; i < n; i++) {
		const struct hot_func *hf = &h->v[order[i]];
		const struct func_info *fi = func_names__get(names, order[i]);

		fprintf(f, "%7.2f %7.2f %10llu %10llu  ", pct(hf->self, h->samples),
			pct(hf->total, h->samples), (unsigned long long)hf->self,
			(unsigned long long)hf->total);
		if (!fi) {
			fprintf(f, "<unknown function %u>\n", order[i]);
			continue;
		}
		/* the traced program's text, on a terminal */
		fputs(func_info__mark(fi), f);
		text_escape__term(f, fi->qualname);
		if (fi->file[0] && !fi->c_func) {
			fputs(" (", f);
			text_escape__term(f, fi->file);
			fprintf(f, ":%u)", fi->line);
		}
		fputc('\n', f);
	}
}

/*
 * By self samples first (unless BY_TOTAL): where the CPU went. When LIMIT
 * cuts that table, the functions it left out that rank first by the other
 * count follow: by self, a caller that does its work in callees (self 0,
 * total 40%) would otherwise hide behind a tail of one-sample functions.
 */
int hot_funcs__print(const struct hot_funcs *h, const struct func_names *names, int limit,
		     bool by_total, FILE *f)
{
	uint32_t *order = malloc((h->n ? h->n : 1) * sizeof(*order));
	size_t n, shown, more;

	if (!order)
		return -ENOMEM;
	n = hot_funcs__order_by(h, order, by_total);
	shown = limit > 0 && (size_t)limit < n ? (size_t)limit : n;
	fprintf(f, "\n%7s %7s %10s %10s  %s\n", "self %", "total %", "self", "total",
		h->wall ? "function (wall-clock samples: running or not)" : "function (CPU samples)");
	print_rows(h, names, order, shown, f);
	if (shown < n) {
		order_by(h, order + shown, n - shown, !by_total);
		more = n - shown < shown ? n - shown : shown;
		fprintf(f, "... %zu more functions; of those, the %zu %s:\n", n - shown, more,
			by_total ? "most often innermost" : "on the most stacks");
		print_rows(h, names, order + shown, more, f);
		if (shown + more < n)
			fprintf(f, "... %zu more functions\n", n - shown - more);
	}
	if (!n)
		fprintf(f, "(no samples)\n");
	free(order);
	return 0;
}

void hot_funcs__free(struct hot_funcs *h)
{
	free(h->v);
	*h = (struct hot_funcs){};
}
