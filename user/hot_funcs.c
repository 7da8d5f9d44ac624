// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include "array.h"
#include "hot_funcs.h"

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

static int cmp_hot(const void *a, const void *b, void *arg)
{
	const struct hot_func *v = arg;
	const struct hot_func *x = &v[*(const uint32_t *)a], *y = &v[*(const uint32_t *)b];

	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

size_t hot_funcs__order(const struct hot_funcs *h, uint32_t *order)
{
	size_t n = 0;

	for (uint32_t i = 0; i < h->n; i++)
		if (h->v[i].total)
			order[n++] = i;
	qsort_r(order, n, sizeof(*order), cmp_hot, h->v);
	return n;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0;
}

int hot_funcs__print(const struct hot_funcs *h, const struct func_names *names, int limit,
		     FILE *f)
{
	uint32_t *order = malloc((h->n ? h->n : 1) * sizeof(*order));
	size_t n;

	if (!order)
		return -ENOMEM;
	n = hot_funcs__order(h, order);
	fprintf(f, "\n%7s %7s %10s %10s  %s\n", "self %", "total %", "self", "total",
		h->wall ? "function (wall-clock samples: running or not)" : "function (CPU samples)");
	for (size_t i = 0; i < n; i++) {
		const struct hot_func *hf = &h->v[order[i]];
		const struct func_info *fi = func_names__get(names, order[i]);

		if (limit > 0 && i >= (size_t)limit) {
			fprintf(f, "... %zu more functions\n", n - i);
			break;
		}
		fprintf(f, "%7.2f %7.2f %10llu %10llu  ", pct(hf->self, h->samples),
			pct(hf->total, h->samples), (unsigned long long)hf->self,
			(unsigned long long)hf->total);
		if (fi && fi->file[0])
			fprintf(f, "%s (%s:%u)\n", fi->qualname, fi->file, fi->line);
		else if (fi)
			fprintf(f, "%s\n", fi->qualname);
		else
			fprintf(f, "<unknown function %u>\n", order[i]);
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
