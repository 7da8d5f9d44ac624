// SPDX-License-Identifier: MIT
/*
 * CPU samples (--sample) in the Perfetto trace: the slices of
 * user/output/sample_stack.h on each thread's track, category "sample", their
 * names the functions' (interned like the calls'), each end carrying the
 * number of samples its slice stands for (argument "samples"). They share
 * the thread's sequence, incremental clock and interned names with
 * out_pftrace.c.
 *
 * Why slices and not Perfetto's own CPU-profile packets
 * (StreamingProfilePacket, PerfSample with interned callstacks): those are
 * read by trace_processor only, which no package here provides, so what a
 * reader makes of them could not be checked; slices are the TrackEvents the
 * rest of this file writes and the tests replay the way trace_processor
 * does, and they show the stacks on the thread track in the UI.
 */
#include <errno.h>
#include "output/pftrace/fields.h"
#include "output/pftrace/internal.h"
#include "output/sinks.h"

struct pf_sample_ctx {
	struct pftrace_sink *ps;
	struct pf_thread *t;
};

/* the names a sampled slice uses, on T's sequence, once */
static int pf_intern_sample(struct pftrace_sink *ps, struct pf_thread *t)
{
	struct pb_writer *pb = &ps->pb;
	size_t p, m, e;

	if (t->sample_cat_sent)
		return 0;
	t->sample_cat_sent = true;
	p = pf_packet(ps, t->seq);
	m = pb__begin(pb, TP_INTERNED_DATA);
	e = pb__begin(pb, ID_EVENT_CATEGORIES);
	pb__uint(pb, IE_IID, SAMPLE_CATEGORY_IID);
	pb__string(pb, IE_NAME, "sample");
	pb__end(pb, e);
	e = pb__begin(pb, ID_DEBUG_ANNOTATION_NAMES);
	pb__uint(pb, IE_IID, DA_SAMPLES);
	pb__string(pb, IE_NAME, "samples");
	pb__end(pb, e);
	pb__end(pb, m);
	return pf_packet_end(ps, p);
}

static int pf_sample_slice(void *ctx, uint64_t at, const struct sample_frame *f, bool open)
{
	struct pf_sample_ctx *c = ctx;
	struct pftrace_sink *ps = c->ps;
	struct pb_writer *pb = &ps->pb;
	size_t p = pf_packet(ps, c->t->seq), m, a;

	if (open && pf_intern_func(ps, c->t, f->func)) {
		/* the packet stays unfinished: write nothing more */
		ps->err = ps->err ? ps->err : -ENOMEM;
		return -ENOMEM;
	}
	pf_timestamp(pb, c->t, at);
	m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, open ? TYPE_SLICE_BEGIN : TYPE_SLICE_END);
	if (open) {
		pb__uint(pb, TE_CATEGORY_IIDS, SAMPLE_CATEGORY_IID);
		pb__uint(pb, TE_NAME_IID, f->func + 1);
	} else {
		a = pb__begin(pb, TE_DEBUG_ANNOTATIONS);
		pb__uint(pb, DA_NAME_IID, DA_SAMPLES);
		pb__uint(pb, DA_UINT, f->samples);
		pb__end(pb, a);
	}
	pb__end(pb, m);
	return pf_packet_end(ps, p);
}

int pf_sample(struct sink *s, const struct sample_rec *r)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	struct pf_sample_ctx c = { ps, pf_thread_get(ps, r->pid, r->tid, NULL, 0) };
	int err;

	if (!c.t)
		return -ENOMEM;
	if (ps->err)
		return ps->err;
	if (!c.t->started)
		pf_start_sequence(ps, c.t, r->ts);
	err = pf_intern_sample(ps, c.t);
	return err ? err : sample_stack__sample(&c.t->samples, r, pf_sample_slice, &c);
}

int pf_close_thread_samples(struct pftrace_sink *ps, struct pf_thread *t)
{
	struct pf_sample_ctx c = { ps, t };

	return sample_stack__close(&t->samples, pf_sample_slice, &c);
}

int pf_close_samples(struct pftrace_sink *ps)
{
	struct pf_thread *t;
	size_t pos = 0;
	uint64_t key;
	int err = 0;

	while (!err && hashmap__next(ps->threads, &pos, &key, (void **)&t))
		err = pf_close_thread_samples(ps, t);
	return err;
}
