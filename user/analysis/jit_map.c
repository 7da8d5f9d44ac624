// SPDX-License-Identifier: MIT
/*
 * A sorted array of disjoint ranges: registrations come one per compiled
 * unit (a few thousand in a big program), lookups one per CPU sample, so
 * a binary search over a flat array is enough; an insertion moves the
 * tail, which is cheap at these sizes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "analysis/jit_map.h"

/* index of the first range whose end is above ADDR (it may start above) */
static size_t first_ending_after(const struct jit_map *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int jit_map__add(struct jit_map *m, uint64_t start, uint64_t size, const char *name,
		 size_t len, enum jit_source src, struct jit_range **added)
{
	uint64_t end = start + size;
	size_t i, j;
	char *copy;

	if (end < start)
		return -EINVAL;
	if (!size)
		return JIT_EMPTY;
	i = first_ending_after(m, start);
	if (src == JIT_SRC_LIVE && i < m->n && m->v[i].from_perf_map && m->v[i].start == start &&
	    m->v[i].end == end && strlen(m->v[i].name) == len && !memcmp(m->v[i].name, name, len)) {
		m->v[i].from_perf_map = false;
		return JIT_SEEN_BEFORE;
	}
	copy = strndup(name, len);
	if (!copy || array__grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v))) {
		free(copy);
		return -ENOMEM;
	}
	/* ranges [i, j) overlap the new one: replaced */
	for (j = i; j < m->n && m->v[j].start < end; j++)
		free(m->v[j].name);
	if (j == i)
		memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
	else if (j > i + 1)
		memmove(&m->v[i + 1], &m->v[j], (m->n - j) * sizeof(*m->v));
	m->n = m->n + 1 - (j - i);
	m->v[i] = (struct jit_range){
		.start = start, .end = end, .name = copy, .from_perf_map = src == JIT_SRC_PERF_MAP,
	};
	if (added)
		*added = &m->v[i];
	return JIT_ADDED;
}

struct jit_range *jit_map__find(struct jit_map *m, uint64_t addr)
{
	size_t i = first_ending_after(m, addr);

	return i < m->n && m->v[i].start <= addr ? &m->v[i] : NULL;
}

void jit_map__free(struct jit_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	memset(m, 0, sizeof(*m));
}
