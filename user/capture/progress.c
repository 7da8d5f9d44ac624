// SPDX-License-Identifier: MIT
/*
 * A thread prints the line, so a phase that is one long call (loading the
 * BPF object: the verifier) shows its progress too. It only reads the
 * current phase, which the session's thread writes: an atomic pointer to
 * a string literal. Nothing is printed unless stderr is a terminal and
 * the start has taken more than 0.3 s: a quick start stays silent.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "capture/progress.h"
#include "util/mono_clock.h"

#define PHASES_MAX 8
#define SHOW_AFTER_NS 300000000ull

struct progress {
	_Atomic(const char *) what;
	atomic_bool done;
	bool verbose, thread, shown;
	pthread_t tid;
	uint64_t t0;
	int n;
	const char *names[PHASES_MAX];
	uint64_t starts[PHASES_MAX];
};

static void *show(void *arg)
{
	struct progress *p = arg;
	struct timespec tick = { 0, 100000000 };

	while (!atomic_load(&p->done)) {
		uint64_t el = mono_clock__ns() - p->t0;

		if (el > SHOW_AFTER_NS) {
			fprintf(stderr, "\r\033[Ktracer: %s... %.1f s", atomic_load(&p->what),
				el / 1e9);
			p->shown = true;
		}
		nanosleep(&tick, NULL);
	}
	return NULL;
}

struct progress *progress__start(bool verbose)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->verbose = verbose;
	p->t0 = mono_clock__ns();
	atomic_store(&p->what, "starting");
	/* no thread, no line: the start just goes unshown */
	if (isatty(STDERR_FILENO))
		p->thread = !pthread_create(&p->tid, NULL, show, p);
	return p;
}

void progress__phase(struct progress *p, const char *what)
{
	if (!p)
		return;
	atomic_store(&p->what, what);
	if (p->n < PHASES_MAX) {
		p->names[p->n] = what;
		p->starts[p->n++] = mono_clock__ns();
	}
}

void progress__end(struct progress *p)
{
	uint64_t end = mono_clock__ns();

	if (!p)
		return;
	atomic_store(&p->done, true);
	if (p->thread)
		pthread_join(p->tid, NULL);
	if (p->shown)
		fputs("\r\033[K", stderr);
	if (p->verbose) {
		fprintf(stderr, "tracer: start took %.0f ms:", (end - p->t0) / 1e6);
		for (int i = 0; i < p->n; i++)
			fprintf(stderr, "%s %s %.0f ms", i ? "," : "", p->names[i],
				((i + 1 < p->n ? p->starts[i + 1] : end) - p->starts[i]) / 1e6);
		fputc('\n', stderr);
	}
	free(p);
}
