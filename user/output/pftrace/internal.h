/* SPDX-License-Identifier: MIT */
/*
 * The Perfetto writer's state, shared by its files: user/output/pftrace/pftrace.c
 * (tracks, calls, the session) and user/output/pftrace/sample.c (CPU samples).
 */
#ifndef TRACER_PFTRACE_INT_H
#define TRACER_PFTRACE_INT_H
#include <stdbool.h>
#include <stdio.h>
#include "model/func_names.h"
#include "util/hashmap.h"
#include "util/pb_writer.h"
#include "output/sample_stack.h"

#define CATEGORY_IID 1		/* "python": slices of calls */
#define SAMPLE_CATEGORY_IID 2	/* "sample": slices of CPU samples */

/* interned debug annotation names: the flags of a call (flag_names[] in
 * out_pftrace.c), the samples a sampled slice stands for */
enum { DA_BEGAN_BEFORE_ATTACH = 1, DA_END_INFERRED = 2, DA_END_AT_SESSION_END = 3,
       DA_SAMPLES = 4, DA_END_AT_EXIT = 5, DA_C_EXCEPTION = 6 };

/*
 * Track uuids: the tracer's own track 1; a process pid << 32, its threads
 * pid << 32 | tid (tid is never 0); the tracks of a process whose pid an
 * earlier process of the session had, and its threads', numbered from
 * PF_REUSED_UUID up (pids and tids are below 2^22: no collision).
 */
#define PF_TRACER_TRACK_UUID 1
#define PF_REUSED_UUID (1ull << 63)

/* a process (ps->procs) */
struct pf_proc {
	uint64_t uuid;		/* its track */
	bool ended;		/* a later process with its pid gets new tracks */
};

struct pf_thread {
	uint32_t pid, tid;
	uint64_t uuid;		/* its track */
	uint32_t seq;		/* trusted_packet_sequence_id */
	bool started;		/* the sequence's first packet is written */
	uint8_t flags_sent;	/* bit N: debug annotation name N interned */
	bool sample_cat_sent;	/* SAMPLE_CATEGORY_IID interned */
	uint64_t clock;		/* the incremental clock: time of the last packet */
	uint8_t *sent;		/* bit per func id: its event name interned */
	size_t cap_sent;	/* bytes */
	struct sample_stack samples;	/* --sample: the slices open */
};

struct pftrace_sink {
	struct sink base;
	FILE *f;
	struct out_file *file;	/* F's, until the end */
	struct pb_writer pb;	/* packets not yet written to F */
	struct func_names names;
	struct hashmap *threads;	/* pid << 32 | tid -> pf_thread */
	struct pf_thread *last;	/* of the previous event */
	struct hashmap *procs;	/* pid -> pf_proc: its track is described */
	struct hashmap *greenlets;	/* greenlets' tracks (greenlet.c): pf_thread */
	uint32_t next_seq;
	uint64_t next_uuid;	/* of the next reused pid's track */
	int err;		/* first write error */
};

/* user/output/pftrace/pftrace.c */
/* open a TracePacket of sequence SEQ; close it with pf_packet_end */
size_t pf_packet(struct pftrace_sink *ps, uint32_t seq);
int pf_packet_end(struct pftrace_sink *ps, size_t token);
/* the state of thread PID/TID, created (and described, when NAME) if new */
struct pf_thread *pf_thread_get(struct pftrace_sink *ps, uint32_t pid, uint32_t tid,
				const char *name, size_t name_n);
/* the first packet of T's sequence, at TS */
void pf_start_sequence(struct pftrace_sink *ps, struct pf_thread *t, uint64_t ts);
/* the timestamp of a packet of T at TS */
void pf_timestamp(struct pb_writer *pb, struct pf_thread *t, uint64_t ts);
/* interned data for the first use of FUNC on T's sequence: 0 or -ENOMEM */
int pf_intern_func(struct pftrace_sink *ps, struct pf_thread *t, uint32_t func);

/* warnings W (N of them) as arguments warning_1, warning_2... */
void pf_arg_warnings(struct pb_writer *pb, const char (*w)[256], uint32_t n);

/* user/output/pftrace/proc.c: processes' tracks, their ends */
int pf_process(struct sink *s, const struct in_process *p);
int pf_process_end(struct sink *s, const struct proc_end_rec *e);
/* the track of process PID, of its thread TID (a new thread) */
uint64_t pf_proc_uuid(struct pftrace_sink *ps, uint32_t pid);
uint64_t pf_thread_uuid(struct pftrace_sink *ps, uint32_t pid, uint32_t tid);
void pf_thread_free(void *t);

/* user/output/pftrace/greenlet.c: the track of C's stack, its thread's or
 * its greenlet's (described when new); NULL on ENOMEM */
struct pf_thread *pf_track_of(struct pftrace_sink *ps, const struct call_rec *c);

/* user/output/pftrace/sample.c */
int pf_sample(struct sink *s, const struct sample_rec *r);
/* close thread T's sampled slices */
int pf_close_thread_samples(struct pftrace_sink *ps, struct pf_thread *t);
/* the sequence of the packets not tied to a thread */
#define SEQ_GLOBAL 1
/* user/output/pftrace/jit.c: a JIT registration as an instant */
int pf_jit(struct sink *s, const struct jit_rec *r);
/* a uint or string argument of the event being written */
void pf_arg_uint(struct pb_writer *pb, const char *name, uint64_t v);
void pf_arg_str(struct pb_writer *pb, const char *name, const char *s, size_t n);
/* string field FIELD = the N bytes at S, a traced program's text: UTF-8
 * (protobuf strings must be), bytes that are not become U+FFFD */
void pf_text(struct pb_writer *pb, uint32_t field, const char *s, size_t n);
/* at the end: close every thread's sampled slices */
int pf_close_samples(struct pftrace_sink *ps);
#endif
