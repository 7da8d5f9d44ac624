// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/children.h"
#include "capture/target.h"
#include "util/hashmap.h"
#include "util/mono_clock.h"
#include "tracer.h"
#include "model/warnings.h"

#define MS 1000000ull
/* an exec looked at again after these delays from it */
static const uint64_t look_after[] = { 5 * MS, 25 * MS, 100 * MS, 500 * MS };
#define LOOKS (sizeof(look_after) / sizeof(look_after[0]))

enum child_kind { CHILD_PYTHON = 1, CHILD_OTHER, CHILD_PENDING, CHILD_UNKNOWN };

struct child {
	enum child_kind kind;
	unsigned looks;		/* CHILD_PENDING: looks made */
	uint64_t exec_ts;	/* CLOCK_MONOTONIC ns of its exec */
	char file[TR_EXEC_FILE_MAX];	/* the file it exec'd, "" when unknown */
};

struct children {
	int root;
	struct hashmap *procs;	/* pid -> struct child */
	size_t pending;
};

struct children *children__new(int root)
{
	struct children *c = calloc(1, sizeof(*c));

	if (c && !(c->procs = hashmap__new())) {
		free(c);
		return NULL;
	}
	if (c)
		c->root = root;
	return c;
}

static struct child *child_of(struct children *c, int pid)
{
	struct child *ch = hashmap__get(c->procs, pid);

	if (ch)
		return ch;
	if (!(ch = calloc(1, sizeof(*ch))))
		return NULL;
	if (hashmap__set(c->procs, pid, ch)) {
		free(ch);
		return NULL;
	}
	return ch;
}

/*
 * Look at CH (process PID) now: is it Python (LAST: else it is not)? A
 * process gone is judged by the file it exec'd, when named by an absolute
 * path (from our root: a process in another mount namespace may name
 * another file, or none).
 */
static void look(struct children *c, int pid, struct child *ch, bool last)
{
	int py = target__is_python(pid);

	if (py == 0 && !last)
		return;
	c->pending--;
	if (py < 0 && ch->file[0] == '/')
		py = target__file_is_python(ch->file);
	ch->kind = py > 0 ? CHILD_PYTHON : py == 0 ? CHILD_OTHER : CHILD_UNKNOWN;
}

void children__running(void *ctx, int pid)
{
	struct children *c = ctx;
	struct child *ch = child_of(c, pid);

	if (ch) {
		ch->kind = CHILD_PENDING;
		c->pending++;
		look(c, pid, ch, true);
	}
}

int children__event(struct children *c, const void *data, size_t len)
{
	const struct tr_ev_hdr *h = data;
	struct child *ch, *parent;

	if (h->type == TR_EV_FORK && len >= sizeof(struct tr_ev_fork)) {
		const struct tr_ev_fork *e = data;

		if (!(ch = child_of(c, h->pid)))
			return 1;
		parent = (int)e->ppid == c->root ? NULL : hashmap__get(c->procs, e->ppid);
		/* its parent's image, unless it execs: the root is Python
		 * (a vfork child, as subprocess makes them, runs none) */
		if (parent && parent->kind == CHILD_PENDING)
			look(c, e->ppid, parent, false);
		ch->kind = !(h->flags & TR_FORK_SHARED_VM) &&
				   (!parent || parent->kind == CHILD_PYTHON) ? CHILD_PYTHON
									     : CHILD_OTHER;
		return 1;
	}
	if (h->type != TR_EV_EXEC)
		return 0;
	if ((int)h->pid == c->root || !(ch = child_of(c, h->pid)))
		return 1;
	if (ch->kind != CHILD_PENDING)
		c->pending++;
	ch->kind = CHILD_PENDING;
	ch->looks = 0;
	ch->exec_ts = h->ts;
	ch->file[0] = 0;
	if (len >= sizeof(struct tr_ev_exec)) {
		const struct tr_ev_exec *e = data;

		memcpy(ch->file, e->file, sizeof(ch->file));
		ch->file[sizeof(ch->file) - 1] = 0;
	}
	look(c, h->pid, ch, false);
	return 1;
}

void children__tick(struct children *c)
{
	uint64_t now, key;
	size_t pos = 0;
	void *v;

	if (!c || !c->pending)
		return;
	now = mono_clock__ns();
	while (hashmap__next(c->procs, &pos, &key, &v)) {
		struct child *ch = v;

		if (ch->kind != CHILD_PENDING || now < ch->exec_ts + look_after[ch->looks])
			continue;
		ch->looks++;
		look(c, key, ch, ch->looks == LOOKS);
	}
}

void children__end(struct children *c, struct in_end *end)
{
	uint64_t key, python = 0, unknown = 0;
	size_t pos = 0;
	void *v;

	if (!c)
		return;
	while (hashmap__next(c->procs, &pos, &key, &v)) {
		struct child *ch = v;

		if (ch->kind == CHILD_PENDING)
			look(c, key, ch, true);
		python += ch->kind == CHILD_PYTHON;
		unknown += ch->kind == CHILD_UNKNOWN;
	}
	if (!python && !unknown)
		return;
	char msg[256], more[128] = "";
	if (unknown)
		snprintf(more, sizeof(more), "; %llu other child process%s exec'd and exited before "
			 "it could be told whether it ran Python", (unsigned long long)unknown,
			 unknown == 1 ? "" : "es");
	snprintf(msg, sizeof(msg), "%llu Python child process%s of PID %d ran untraced%s: "
		 "--subprocesses (-f) traces them too", (unsigned long long)python,
		 python == 1 ? "" : "es", c->root, more);
	fprintf(stderr, "tracer: %s\n", msg);
	warnings__add(end->warnings, &end->n_warnings, "%s", msg);
}

void children__free(struct children *c)
{
	if (!c)
		return;
	hashmap__free(c->procs, free);
	free(c);
}
