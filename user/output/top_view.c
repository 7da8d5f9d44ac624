// SPDX-License-Identifier: MIT
/*
 * The live view of `tracer top` (see top_view.h).
 *
 * Two threads touch it: the session's (the sink callbacks: functions and
 * samples, counted under the lock) and the view's own, started at the
 * first process (once the session is attached: errors before that are
 * printed on the normal screen), which waits for a key or the next
 * refresh and draws under the same lock. The view's thread blocks every
 * signal, so SIGINT/SIGTERM keep going to the session's signalfd; `q`
 * sends the process SIGTERM, which ends the session the way Ctrl-C does.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "model/func_names.h"
#include "output/hot_funcs.h"
#include "output/top_view.h"
#include "util/mono_clock.h"
#include "util/text_escape.h"

#define REFRESH_NS 1000000000ull
#define FIRST_DRAW_NS 300000000ull	/* after the session's "tracing" line */

struct top_sink {
	struct sink base;
	pthread_mutex_t lock;	/* guards everything below but the thread's own */
	struct func_names names;
	struct hot_funcs hot;
	uint32_t pid;
	char exe[512];
	uint64_t start_ns;
	bool by_total;
	const char *note;	/* a message for the next draws, or NULL */
	/* the view's thread */
	pthread_t thread;
	bool running;
	int wake[2];		/* a pipe: finish wakes the thread */
};

/* the terminal as it was, restored once (at finish, free or exit) */
static struct termios saved_tio;
static bool tio_saved, screen_on;

static void term_restore(void)
{
	if (screen_on) {
		/* cursor shown, attributes reset, normal screen */
		fputs("\033[0m\033[?25h\033[?1049l", stdout);
		fflush(stdout);
		screen_on = false;
	}
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = false;
	}
}

static int term_setup(void)
{
	static bool registered;
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return -errno;
	if (!registered && !atexit(term_restore))
		registered = true;
	raw = saved_tio;
	/* keys one at a time, not echoed; ISIG stays: Ctrl-C signals */
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return -errno;
	tio_saved = true;
	fputs("\033[?1049h\033[?25l", stdout);
	fflush(stdout);
	screen_on = true;
	return 0;
}

/* LINE (NUL-terminated, UTF-8) cut to COLS columns (one per code point) */
static void put_cut(FILE *f, const char *line, int cols)
{
	int col = 0;

	for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
		if ((*p & 0xc0) != 0x80 && col++ == cols)
			break;
		fputc(*p, f);
	}
	fputs("\033[K\r\n", f);
}

static void draw(struct top_sink *ts)
{
	struct winsize ws = {};
	uint32_t *order = NULL;
	char *line = NULL;
	size_t len = 0, n = 0;
	int rows = 24, cols = 80;
	double secs = (mono_clock__ns() - ts->start_ns) / 1e9;
	FILE *m;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	if (ts->hot.n && (order = malloc(ts->hot.n * sizeof(*order))))
		n = hot_funcs__order_by(&ts->hot, order, ts->by_total);
	fputs("\033[H", stdout);
	if (!(m = open_memstream(&line, &len)))
		goto out;
	fprintf(m, "tracer top: PID %u (", ts->pid);
	text_escape__term(m, ts->exe);
	fprintf(m, ")  %.0f s  %llu %s samples  sorted by %s", secs,
		(unsigned long long)ts->hot.samples, ts->hot.wall ? "wall-clock" : "CPU",
		ts->by_total ? "total" : "self");
	fclose(m);
	put_cut(stdout, line, cols);
	free(line);
	line = NULL;
	put_cut(stdout, ts->note ? ts->note : "keys: s self, t total, q quit (Ctrl-C too)", cols);
	put_cut(stdout, "", cols);
	printf("\033[7m");
	put_cut(stdout, "  self %  total %      self     total  function (file:line)", cols);
	printf("\033[0m");
	for (size_t i = 0; i < n && (int)i < rows - 5; i++) {
		const struct hot_func *hf = &ts->hot.v[order[i]];
		const struct func_info *fi = func_names__get(&ts->names, order[i]);
		double whole = ts->hot.samples ? ts->hot.samples : 1;

		if (!(m = open_memstream(&line, &len)))
			break;
		fprintf(m, "%7.2f %8.2f %9llu %9llu  ", 100.0 * hf->self / whole,
			100.0 * hf->total / whole, (unsigned long long)hf->self,
			(unsigned long long)hf->total);
		if (fi) {
			/* the traced program's text */
			text_escape__term(m, fi->qualname);
			if (fi->file[0]) {
				fputs(" (", m);
				text_escape__term(m, fi->file);
				fprintf(m, ":%u)", fi->line);
			}
		} else {
			fprintf(m, "<function %u>", order[i]);
		}
		fclose(m);
		put_cut(stdout, line, cols);
		free(line);
		line = NULL;
	}
	if (!n)
		put_cut(stdout, "(no samples yet)", cols);
out:
	fputs("\033[J", stdout);	/* the rest of the screen cleared */
	fflush(stdout);
	free(order);
}

static void *view_loop(void *arg)
{
	struct top_sink *ts = arg;
	struct pollfd pf[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
				{ .fd = ts->wake[0], .events = POLLIN } };
	uint64_t next = mono_clock__ns() + FIRST_DRAW_NS;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		uint64_t now = mono_clock__ns();
		int ms = now >= next ? 0 : (int)((next - now) / 1000000) + 1;
		char key = 0;

		if (poll(pf, 2, ms) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;	/* finish */
		if ((pf[0].revents & POLLIN) && read(STDIN_FILENO, &key, 1) != 1)
			pf[0].fd = -1;	/* stdin closed: Ctrl-C or -d end it */
		pthread_mutex_lock(&ts->lock);
		if (key == 'q' || key == 'Q') {
			ts->note = "quitting...";
			kill(getpid(), SIGTERM);
		} else if (key == 's' || key == 't') {
			ts->by_total = key == 't';
			ts->note = NULL;
		} else if (key == 'c') {
			ts->note = "calls are not counted when sampling: sorted by self or total "
				   "samples (s, t)";
		}
		if (key || mono_clock__ns() >= next) {
			draw(ts);
			next = mono_clock__ns() + REFRESH_NS;
		}
		pthread_mutex_unlock(&ts->lock);
	}
	return NULL;
}

static struct sink *top_open(const char *path)
{
	struct top_sink *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->base.ops = &sink_top;
	ts->wake[0] = ts->wake[1] = -1;
	pthread_mutex_init(&ts->lock, NULL);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		free(ts);
		errno = ENOTTY;
		return NULL;
	}
	if (pipe(ts->wake)) {
		free(ts);
		return NULL;
	}
	return &ts->base;
}

/* the session is attached: the view starts */
static int top_process(struct sink *s, const struct in_process *p)
{
	struct top_sink *ts = (struct top_sink *)s;
	int ret;

	pthread_mutex_lock(&ts->lock);
	ts->pid = p->pid;
	snprintf(ts->exe, sizeof(ts->exe), "%s", p->exe);
	pthread_mutex_unlock(&ts->lock);
	if (ts->running)
		return 0;
	ts->start_ns = mono_clock__ns();
	if ((ret = term_setup()))
		return ret;
	if ((ret = -pthread_create(&ts->thread, NULL, view_loop, ts))) {
		term_restore();
		return ret;
	}
	ts->running = true;
	return 0;
}

static int top_func(struct sink *s, const struct func_info *f)
{
	struct top_sink *ts = (struct top_sink *)s;
	int ret;

	pthread_mutex_lock(&ts->lock);
	ret = func_names__set(&ts->names, f);
	pthread_mutex_unlock(&ts->lock);
	return ret;
}

static int top_sample(struct sink *s, const struct sample_rec *r)
{
	struct top_sink *ts = (struct top_sink *)s;
	int ret;

	pthread_mutex_lock(&ts->lock);
	ret = hot_funcs__add(&ts->hot, r);
	pthread_mutex_unlock(&ts->lock);
	return ret;
}

static void top_stop(struct top_sink *ts)
{
	if (ts->running) {
		(void)!write(ts->wake[1], "x", 1);
		pthread_join(ts->thread, NULL);
		ts->running = false;
	}
	term_restore();
}

static int top_finish(struct sink *s, const struct session_stats *st)
{
	struct top_sink *ts = (struct top_sink *)s;

	top_stop(ts);
	fprintf(stderr, "tracer top: %llu samples, %llu lost\n",
		(unsigned long long)ts->hot.samples, (unsigned long long)st->lost_total);
	return 0;
}

static void top_free(struct sink *s)
{
	struct top_sink *ts = (struct top_sink *)s;

	if (!ts)
		return;
	top_stop(ts);
	for (int i = 0; i < 2; i++)
		if (ts->wake[i] >= 0)
			close(ts->wake[i]);
	func_names__free(&ts->names);
	hot_funcs__free(&ts->hot);
	pthread_mutex_destroy(&ts->lock);
	free(ts->base.path);
	free(ts);
}

const struct sink_ops sink_top = {
	.name = "top",
	.suffix = "",
	.help = "tracer top's live view",
	.open = top_open,
	.process = top_process,
	.func = top_func,
	.sample = top_sample,
	.finish = top_finish,
	.free = top_free,
};
