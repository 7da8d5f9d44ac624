// SPDX-License-Identifier: MIT
/* The status line of a live session (see status_line.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture/status_line.h"
#include "tracer.h"
#include "util/mono_clock.h"

#define STATUS_PERIOD_NS 1000000000ull

struct status_line {
	const uint64_t *events;
	const volatile uint64_t *drops;	/* TR_DROP__COUNT of them */
	uint64_t start_ns, last_ns, last_events;
	int shown;		/* a line is on the terminal */
};

/* does process PID's stdout or stderr lead to the terminal TTY? (a stat
 * through /proc/PID/fd follows the link as the kernel does, not its text) */
static bool writes_to(int pid, const struct stat *tty)
{
	char path[64];
	struct stat st;

	for (int fd = 1; fd <= 2; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
		if (!stat(path, &st) && S_ISCHR(st.st_mode) && st.st_rdev == tty->st_rdev)
			return true;
	}
	return false;
}

struct status_line *status_line__new(int pid, const uint64_t *events,
				     const volatile void *drops)
{
	struct status_line *sl;
	struct stat tty;

	if (!isatty(STDERR_FILENO) || fstat(STDERR_FILENO, &tty) || writes_to(pid, &tty) ||
	    !(sl = calloc(1, sizeof(*sl))))
		return NULL;
	sl->events = events;
	sl->drops = drops;
	sl->start_ns = sl->last_ns = mono_clock__ns();
	sl->last_events = *events;
	return sl;
}

void status_line__tick(struct status_line *sl)
{
	uint64_t now, lost = 0, n;
	double dt;

	if (!sl || (now = mono_clock__ns()) - sl->last_ns < STATUS_PERIOD_NS)
		return;
	/* what the summary counts as lost: all but samples of threads
	 * running no Python code, and hits in processes not traced */
	for (int i = 0; i < TR_DROP__COUNT; i++)
		if (i != TR_DROP_NO_PYTHON && i != TR_DROP_NO_CONFIG)
			lost += sl->drops[i];
	n = *sl->events;
	dt = (now - sl->last_ns) / 1e9;
	fprintf(stderr, "\r\033[Ktracer: %.0f s, %.0f events/s, %llu lost; Ctrl-C to stop",
		(now - sl->start_ns) / 1e9, (n - sl->last_events) / dt, (unsigned long long)lost);
	fflush(stderr);
	sl->last_ns = now;
	sl->last_events = n;
	sl->shown = 1;
}

void status_line__end(struct status_line *sl)
{
	if (!sl)
		return;
	if (sl->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	free(sl);
}
