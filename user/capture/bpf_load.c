// SPDX-License-Identifier: MIT
/*
 * Loading the BPF object while the target is inspected.
 *
 * A session's start was: inspect the target (its interpreter file's ELF,
 * DWARF and code, the opcode numbers from the target's own interpreter run
 * as the target's user), then load the programs (the verifier), then
 * attach. The two are independent but for a few choices the load needs:
 * which programs (by the strategy the inspection chooses) and three knobs
 * fixed at load (solo_follow, usdt_lines and the size of lines_seen). The
 * session guesses them before the inspection, and a thread loads for the
 * guess meanwhile: the programs of every call strategy (each is small to
 * verify since ensure_code is a global subprogram: bpf/pyobj.bpf.h), or
 * those of sampling; following through exec as a call-tracing session
 * does unless its strategy is eval on 3.12+; no line events (a session
 * with coverage does not guess). Once the inspection is done the session
 * takes the object if the guess serves what it needs, else loads again
 * for what it needs, as before: a wrong guess costs time, never behaviour,
 * and a failed load is said by the load the session makes itself.
 *
 * Programs loaded and never attached do nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "tracer.h"
#include "capture/bpf_load.h"
#include "capture/probes.h"
#include "capture/sampler.h"
#include "tracer.skel.h"

struct bpf_preload {
	pthread_t tid;
	struct bpf_load_cfg cfg;
	unsigned char key[TR_BLOB_KEY_LEN];
	struct tracer_bpf *skel;	/* loaded, until taken */
	int ret;
	bool joined;
};

int bpf_load__now(const struct bpf_load_cfg *c, struct tracer_bpf **out, char *err,
		  size_t errlen)
{
	struct tracer_bpf *skel = tracer_bpf__open();
	int ret;

	*out = NULL;
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return ret ? ret : -EINVAL;
	}
	bpf_map__set_max_entries(skel->maps.events, c->ringbuf_bytes);
	/* each CPU wakes the consumer every 1/16 of the buffer at most */
	if (skel->rodata->wakeup_bytes > c->ringbuf_bytes / 16)
		skel->rodata->wakeup_bytes = c->ringbuf_bytes / 16;
	skel->rodata->coverage_hooks = c->cover_key != NULL;
	if (c->cover_key)
		memcpy((void *)skel->rodata->cover_key, c->cover_key, TR_BLOB_KEY_LEN);
	skel->rodata->usdt_lines = c->usdt_lines;
	skel->rodata->async_tasks = c->async_tasks;
	/* its 262144 LRU entries are preallocated: ~0.1 s of every load */
	if (!c->usdt_lines)
		bpf_map__set_max_entries(skel->maps.lines_seen, 1);
	skel->rodata->solo_follow = c->follows;
	skel->rodata->tree_watch = c->watch_tree;
	if (sampler__configure(skel, c->sample_hz, c->wall, c->sample_lines, c->free_threaded)) {
		ret = -errno;
		snprintf(err, errlen, "cannot configure sampling: %s", strerror(errno));
		goto fail;
	}
	/* only what this session attaches is loaded (and verified) */
	ret = probes__load_only(skel->obj, c->uses);
	if (ret) {
		snprintf(err, errlen, "cannot choose the BPF programs: %s", strerror(-ret));
		goto fail;
	}
	ret = tracer_bpf__load(skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the BPF programs: %s%s%s", strerror(-ret),
			 ret == -EPERM ? " (needs CAP_BPF and CAP_PERFMON)" : " (run with -v for details)",
			 c->wall ? "; --wall needs a sleepable task iterator and "
				   "bpf_copy_from_user_task (Linux 6.1+)" : "");
		goto fail;
	}
	*out = skel;
	return 0;
fail:
	tracer_bpf__destroy(skel);
	return ret ? ret : -EINVAL;
}

static void *preload(void *arg)
{
	struct bpf_preload *p = arg;
	char err[256];

	p->ret = bpf_load__now(&p->cfg, &p->skel, err, sizeof(err));
	return NULL;
}

struct bpf_preload *bpf_preload__start(const struct bpf_load_cfg *c)
{
	struct bpf_preload *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = *c;
	if (c->cover_key) {
		memcpy(p->key, c->cover_key, sizeof(p->key));
		p->cfg.cover_key = p->key;
	}
	if (pthread_create(&p->tid, NULL, preload, p)) {
		free(p);
		return NULL;
	}
	return p;
}

static void join(struct bpf_preload *p)
{
	if (!p->joined)
		pthread_join(p->tid, NULL);
	p->joined = true;
}

struct tracer_bpf *bpf_preload__take(struct bpf_preload *p, const struct bpf_load_cfg *need)
{
	const struct bpf_load_cfg *g;
	struct tracer_bpf *skel;

	if (!p)
		return NULL;
	join(p);
	g = &p->cfg;
	if (p->ret || !p->skel || g->ringbuf_bytes != need->ringbuf_bytes ||
	    !g->cover_key != !need->cover_key ||
	    (g->cover_key && memcmp(g->cover_key, need->cover_key, TR_BLOB_KEY_LEN)) ||
	    g->usdt_lines != need->usdt_lines || g->follows != need->follows ||
	    g->watch_tree != need->watch_tree ||
	    g->sample_hz != need->sample_hz || g->wall != need->wall ||
	    g->sample_lines != need->sample_lines || g->async_tasks != need->async_tasks ||
	    g->free_threaded != need->free_threaded ||
	    (need->uses & ~g->uses))
		return NULL;
	skel = p->skel;
	p->skel = NULL;
	return skel;
}

void bpf_preload__free(struct bpf_preload *p)
{
	if (!p)
		return;
	join(p);
	tracer_bpf__destroy(p->skel);
	free(p);
}
