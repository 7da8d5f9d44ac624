// SPDX-License-Identifier: MIT
/* attach_walk__keep, the feed's filter of the attach walk's events: a
 * verdict is never passed on; a rejected walk's frames (TR_CALL_ATTACH_WALK
 * calls of that thread) are dropped, and nothing else: not another
 * thread's, not the thread's own walk (PREATTACH without the flag), not its
 * calls; an accepted walk's frames are kept */
#include <string.h>
#include "capture/attach_walk.h"
#include "util/hashmap.h"
#include "unit.h"

/* an event of SIZE bytes at EV, its header filled */
static void fill(void *ev, uint8_t type, uint16_t size, uint8_t flags, uint32_t pid, uint32_t tid)
{
	struct tr_ev_hdr *h = ev;

	memset(ev, 0, size);
	h->type = type;
	h->size = size;
	h->flags = flags;
	h->pid = pid;
	h->tid = tid;
}

static struct tr_ev_attach_walk verdict(uint32_t pid, uint32_t tid, uint8_t flags)
{
	struct tr_ev_attach_walk v;

	fill(&v, TR_EV_ATTACH_WALK, sizeof(v), flags, pid, tid);
	return v;
}

static bool keep_call(struct hashmap **rej, uint32_t pid, uint32_t tid, uint8_t flags)
{
	struct tr_ev_call c;
	int err = 0;
	bool kept;

	fill(&c, TR_EV_CALL, sizeof(c), flags, pid, tid);
	kept = attach_walk__keep(rej, &c, sizeof(c), &err);
	CHECK_EQ(err, 0);
	return kept;
}

TEST(attach_walk_keep_filters_rejected_walks)
{
	const uint8_t walked = TR_CALL_PREATTACH | TR_CALL_ATTACH_WALK;
	struct hashmap *rej = NULL;
	struct tr_ev_attach_walk v;
	int err = 0;

	/* accepted: the verdict goes, the frames stay */
	v = verdict(10, 11, 0);
	CHECK(!attach_walk__keep(&rej, &v, sizeof(v), &err));
	CHECK(keep_call(&rej, 10, 11, walked));
	/* rejected for thread 12 */
	v = verdict(10, 12, TR_WALK_REJECTED);
	CHECK(!attach_walk__keep(&rej, &v, sizeof(v), &err));
	CHECK_EQ(err, 0);
	CHECK(!keep_call(&rej, 10, 12, walked));
	CHECK(!keep_call(&rej, 10, 12, walked | TR_CALL_RET_UNPROBED));
	CHECK(keep_call(&rej, 10, 12, TR_CALL_PREATTACH));	/* its own walk */
	CHECK(keep_call(&rej, 10, 12, 0));
	CHECK(keep_call(&rej, 10, 11, walked));
	CHECK(keep_call(&rej, 20, 12, walked));			/* another process */
	hashmap__free(rej, NULL);
}
