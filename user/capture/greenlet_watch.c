// SPDX-License-Identifier: MIT
/*
 * Greenlets under the eval strategy (see greenlet_watch.h).
 *
 * Why eval cannot tell them apart: its calls come from a uprobe on the
 * evaluator, its returns from uretprobes, which carry no frame and which
 * greenlet's copying of C stacks in and out of the thread's stack
 * confuses; the per-greenlet pairing (user/analysis/pystacks.c) needs every
 * return's frame. So with eval all greenlets of a thread share one stack:
 * their frames nest inside each other's, returns may be unmatched or
 * inferred.
 *
 * What is looked for: greenlet's C extension mapped in the target (every
 * greenlet user imports it: gevent and eventlet through greenlet), by the
 * basename of a mapped file: `_greenlet.` (greenlet 1.0+:
 * greenlet/_greenlet.cpython-3X-*.so) or `greenlet.` (0.4: a top-level
 * greenlet.cpython-3X-*.so), ending in `.so`. From /proc/PID/maps: no read
 * of the target's memory.
 */
#include <stdio.h>
#include <string.h>
#include "capture/greenlet_watch.h"
#include "capture/target.h"
#include "model/strategy.h"
#include "os/proc_maps.h"
#include "model/warnings.h"

static bool is_greenlet_so(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	return n > 3 && !strcmp(base + n - 3, ".so") &&
	       (!strncmp(base, "_greenlet.", 10) || !strncmp(base, "greenlet.", 9));
}

bool greenlet_watch__mapped(int pid)
{
	struct proc_maps m;
	bool found = false;

	if (proc_maps__read(pid, &m))
		return false;
	for (size_t i = 0; i < m.n && !found; i++)
		found = m.v[i].path && is_greenlet_so(m.v[i].path);
	proc_maps__free(&m);
	return found;
}

void greenlet_watch__check(struct target *t)
{
	if (t->cfg.strategy == TR_STRATEGY_EVAL && greenlet_watch__mapped(t->pid))
		warnings__add(t->warnings, &t->n_warnings, "%s", strategy__eval_greenlet_warning);
}
