// SPDX-License-Identifier: MIT
/*
 * Python thread names for a session's tracks (see thread_names.h).
 *
 * When to read. A threading.Thread enters threading._active in its own
 * first Python calls (Thread._bootstrap_inner), i.e. just after the first
 * event the feed describes it by: the names are read at the poll loop's
 * next ticks (every ~20 ms) for 300 ms after a new thread was seen, which
 * catches it within a few ms, and else once a second (a rename,
 * Thread.name = ..., shows within a second). A thread that starts and ends
 * between two reads is never named (its tracks keep the OS name); one that
 * is renamed several times between two reads gets the last name. One read
 * is a few process_vm_readv calls (the thread states, sys.modules,
 * threading's globals, _active and each Thread's name: no frames).
 *
 * A read is bounded (py_stacks.c, py_thread_names.c) but a process can
 * make it long (a made-up thread list of 65536 entries): it runs in the
 * poll loop, which must drain the ring buffer, so a read that takes over
 * READ_BUDGET_NS ends the reading, said once on stderr.
 *
 * Where the interpreter's objects cannot be walked (a version
 * user/capture/py_stacks.c does not know) the reads stop at the first
 * failure of that kind, and the tracks keep the OS names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "capture/feed.h"
#include "capture/py_stacks.h"
#include "capture/target.h"
#include "capture/thread_names.h"
#include "util/mono_clock.h"

#define FAST_NS (300 * 1000000ull)
#define FAST_EVERY_NS (15 * 1000000ull)
#define SLOW_NS (1000 * 1000000ull)
#define READ_BUDGET_NS (100 * 1000000ull)

void thread_names__init(struct thread_names *n, const struct target *t, struct feed *f)
{
	*n = (struct thread_names){ .t = t, .feed = f };
}

int thread_names__tick(struct thread_names *n, bool force)
{
	uint64_t now = mono_clock__ns();
	struct py_stacks s;
	char err[256];
	int ret = 0;

	if (!n->t || n->off)
		return 0;
	if (n->feed->new_threads != n->threads_seen) {
		n->threads_seen = n->feed->new_threads;
		n->fast_until = now + FAST_NS;
	}
	/* (the loop may tick much more often than every 20 ms when busy) */
	if (!force && now - n->last_ns < (now < n->fast_until ? FAST_EVERY_NS : SLOW_NS))
		return 0;
	n->last_ns = now;
	n->reads++;
	ret = py_stacks__read_names(n->t, &s, err, sizeof(err));
	if (ret == -ENOTSUP)
		n->off = true;
	if (mono_clock__ns() - now > READ_BUDGET_NS) {
		n->off = true;
		fprintf(stderr, "tracer: PID %d: reading its Python thread names took %.0f ms: "
			"not read again (tracks keep the names they have)\n", n->t->pid,
			(mono_clock__ns() - now) / 1e6);
	}
	if (ret)	/* not running Python yet (launch), gone, or unreadable now */
		return ret == -ENOMEM ? ret : 0;
	for (size_t i = 0; i < s.n && !ret; i++) {
		/* (py_mem__str's word for a name that is not a str) */
		if (s.v[i].tid <= 0 || !s.v[i].py_name || !s.v[i].py_name[0] ||
		    !strcmp(s.v[i].py_name, "<unreadable>"))
			continue;
		ret = feed__thread_name(n->feed, n->t->pid, s.v[i].tid, s.v[i].py_name);
		n->named++;
	}
	py_stacks__free(&s);
	return ret;
}
