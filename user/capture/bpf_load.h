/* SPDX-License-Identifier: MIT */
/*
 * Opening, configuring and loading the BPF object of a -p or launch
 * session: now, or ahead of time in a thread while the target is
 * inspected (for a guessed configuration, taken if it holds).
 */
#ifndef TRACER_BPF_LOAD_H
#define TRACER_BPF_LOAD_H
#include <stdbool.h>
#include <stddef.h>

struct tracer_bpf;
struct bpf_preload;

/* what a load depends on */
struct bpf_load_cfg {
	size_t ringbuf_bytes;
	const unsigned char *cover_key;	/* the coverage bootstrap's key, or NULL */
	bool usdt_lines;		/* line events through the USDT line probe */
	bool follows;			/* follow the target through exec (solo_follow) */
	bool watch_tree;		/* count the untraced children (tree_watch) */
	unsigned sample_hz;		/* --sample (0: calls) */
	bool wall, sample_lines;
	bool async_tasks;		/* --async-tasks (bpf/asyncio.bpf.h) */
	bool free_threaded;		/* the target is a free-threaded build (3.14t) */
	unsigned uses;			/* PROBES_USE_* (user/capture/probes.h) */
};

/* Load the object for C: 0 and *OUT, or -errno and a one-line ERR. */
int bpf_load__now(const struct bpf_load_cfg *c, struct tracer_bpf **out, char *err,
		  size_t errlen);
/* Start loading for C in a thread; NULL when no thread could be made
 * (then the session loads later, as it would have). */
struct bpf_preload *bpf_preload__start(const struct bpf_load_cfg *c);
/* Wait for P's load; the object if it succeeded for a configuration that
 * serves NEED (the same knobs, NEED's uses among those loaded), else NULL
 * (the session loads for NEED: an error is then said as by bpf_load__now).
 * The object taken is the caller's. */
struct tracer_bpf *bpf_preload__take(struct bpf_preload *p, const struct bpf_load_cfg *need);
/* wait for P's thread if not done, destroy an object not taken, free P */
void bpf_preload__free(struct bpf_preload *p);
#endif
