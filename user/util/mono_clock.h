/* SPDX-License-Identifier: MIT */
/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns, so of every event */
#ifndef TRACER_MONO_CLOCK_H
#define TRACER_MONO_CLOCK_H
#include <stdint.h>
#include <time.h>

static inline uint64_t mono_clock__ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
#endif
