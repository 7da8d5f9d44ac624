// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "model/wall_ticks.h"

void wall_ticks__init(struct wall_ticks *t, uint64_t period_ns)
{
	*t = (struct wall_ticks){ .period_ns = period_ns };
}

uint64_t wall_ticks__tick(struct wall_ticks *t, uint64_t now_ns, uint64_t expirations)
{
	uint64_t weight = t->period_ns;

	if (t->ticks && now_ns > t->last_ns)
		weight = now_ns - t->last_ns;
	else if (t->ticks)
		weight = 0;	/* the clock did not move: a tick of nothing */
	if (!t->ticks)
		t->first_ns = now_ns;
	if (expirations > 1)
		t->missed += expirations - 1;
	if (2 * weight > 3 * t->period_ns)
		t->late++;
	t->last_ns = now_ns > t->last_ns ? now_ns : t->last_ns;
	t->ticks++;
	return weight;
}

double wall_ticks__rate(const struct wall_ticks *t)
{
	if (t->ticks < 2 || t->last_ns <= t->first_ns)
		return 0;
	return (t->ticks - 1) * 1e9 / (double)(t->last_ns - t->first_ns);
}

const char *wall_ticks__describe(const struct wall_ticks *t, char *buf, size_t n)
{
	snprintf(buf, n, "wall-clock ticks every %.3f ms wanted (%.1f Hz): %llu run, %.1f/s "
		 "reached, %llu missed, %llu late, %llu failed; each sample weighs the real time "
		 "since the previous tick; %.1f us a tick sampling the threads",
		 t->period_ns / 1e6,
		 t->period_ns ? 1e9 / t->period_ns : 0, (unsigned long long)t->ticks,
		 wall_ticks__rate(t), (unsigned long long)t->missed,
		 (unsigned long long)t->late, (unsigned long long)t->failed,
		 t->ticks ? t->read_ns / 1e3 / t->ticks : 0);
	return buf;
}
