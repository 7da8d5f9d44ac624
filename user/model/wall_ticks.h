/* SPDX-License-Identifier: MIT */
/*
 * The ticks of wall-clock sampling (--wall), counted honestly. A tick reads
 * the sampling iterator once; it is due every period (1/HZ) but runs when
 * the tracer gets to it, and a timer that expired several times before the
 * tracer read it stands for missed ticks. So the samples of a tick weigh
 * the real time since the previous tick (the first: one period), which
 * makes the weights of a thread add up to the time it was sampled over
 * whatever rate was reached, and the achieved rate and the missed ticks
 * are reported next to the wanted rate.
 */
#ifndef TRACER_WALL_TICKS_H
#define TRACER_WALL_TICKS_H
#include <stddef.h>
#include <stdint.h>

struct wall_ticks {
	uint64_t period_ns;	/* wanted: 1e9 / HZ */
	uint64_t first_ns;	/* CLOCK_MONOTONIC of the first tick run */
	uint64_t last_ns;	/* of the last */
	uint64_t ticks;		/* ticks run (0: not a wall-clock session) */
	uint64_t missed;	/* timer expirations that got no tick of their own */
	uint64_t late;		/* ticks that stood for more than 1.5 periods */
	uint64_t failed;	/* ticks whose iterator read failed: samples lost */
	uint64_t read_ns;	/* time spent reading the iterator (the cost) */
};

/* Start counting ticks of PERIOD_NS. */
void wall_ticks__init(struct wall_ticks *t, uint64_t period_ns);
/* A tick runs at NOW_NS, EXPIRATIONS timer periods (>= 1) after the
 * previous one was due: returns the wall time its samples stand for. */
uint64_t wall_ticks__tick(struct wall_ticks *t, uint64_t now_ns, uint64_t expirations);
/* Ticks per second actually run (0 before two ticks). */
double wall_ticks__rate(const struct wall_ticks *t);
/* One line for the outputs: the wanted and the reached rate, the ticks
 * missed, late and failed, what a sample weighs. Returns BUF. */
const char *wall_ticks__describe(const struct wall_ticks *t, char *buf, size_t n);
#endif
