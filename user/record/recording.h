/* SPDX-License-Identifier: MIT */
/*
 * The native recording (.trace): the analyzer's input records, streamed to
 * disk in order. Format: docs/recording-format.md.
 */
#ifndef TRACER_RECORDING_H
#define TRACER_RECORDING_H
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

#define REC_FORMAT_VERSION 12	/* 2: TR_EV_RUNTIME events; 3: TR_EV_LINE, code maps;
				 * 4: TR_EV_BLOB; 5: TR_EV_JIT; 6: the end's
				 * warnings; 7: process instances (in_process
				 * instance, ns_pid, cgroup; in_codemap
				 * instance), TR_EV_EXIT; 8: the end's
				 * realtime offset; 9: thread names up to 63
				 * bytes (Python's), a thread told again when
				 * renamed; 10: the end's probe cost; 11: how
				 * the launched command ended; 12: the probe
				 * cost's split, single-step and silent hits */

enum rec_kind {
	REC_PROCESS = 1,	/* struct in_process */
	REC_THREAD = 2,		/* struct in_thread */
	REC_EVENT = 3,		/* a BPF event: struct tr_ev_call/return/code */
	REC_END = 4,		/* struct in_end */
	REC_CODEMAP = 5,	/* struct in_codemap (coverage) */
};

struct rec_writer;

/* Create PATH's temporary file (user/util/out_file.h: PATH is replaced at the
 * end, never opened through a link). NULL and errno on failure. */
struct rec_writer *rec_writer__open(const char *path);
/* Each returns 0 or -errno. After the first write error (e.g. -ENOSPC) the
 * writer stops writing: what is on disk stays a readable recording (whole
 * records only), later calls return the same error. */
int rec_writer__process(struct rec_writer *w, const struct in_process *p);
int rec_writer__thread(struct rec_writer *w, const struct in_thread *t);
/* EV points at a raw BPF event (struct tr_ev_hdr first, hdr.size valid) */
int rec_writer__event(struct rec_writer *w, const void *ev, size_t len);
int rec_writer__codemap(struct rec_writer *w, const struct in_codemap *m);
int rec_writer__end(struct rec_writer *w, const struct in_end *e);
/* the first write error, or 0 */
int rec_writer__error(const struct rec_writer *w);
/* write the records so far to the file (they survive a kill -9): 0 or the
 * first write error */
int rec_writer__flush(struct rec_writer *w);
/* where the recording is until the end (its temporary name) */
const char *rec_writer__partial_name(const struct rec_writer *w);
/* the bytes of whole records on disk, 0 when not even the file header
 * reached it (nothing readable) */
uint64_t rec_writer__readable(const struct rec_writer *w);
/* Flush, close and put the file in place: 0, or -errno (the first write
 * error). A recording cut short by a write error is put in place too when
 * rec_writer__readable() > 0, else removed (said on stderr). Frees W. */
int rec_writer__close(struct rec_writer *w);
/* close and remove the file (a failed or refused session). Frees W. */
void rec_writer__discard(struct rec_writer *w);

/* one record read back */
struct rec_record {
	enum rec_kind kind;
	union {
		struct in_process process;
		struct in_thread thread;
		struct in_end end;
		/* its text is the reader's, valid until the next record */
		struct in_codemap codemap;
		/* REC_EVENT: the event as the BPF side wrote it (a CODE event
		 * comes back as a whole struct tr_ev_code, unused bytes zero) */
		struct tr_ev_hdr hdr;
		struct tr_ev_call call;
		struct tr_ev_return ret;
		struct tr_ev_code code;
		struct tr_ev_runtime runtime;
		struct tr_ev_line line;
		struct tr_ev_blob blob;
		struct tr_ev_jit jit;
		struct tr_ev_exit exit;
	};
};

struct rec_reader;
/* Open and check magic and version. NULL and errno (EINVAL: not a
 * recording, ENOTSUP: newer format version, EISDIR: a directory). */
struct rec_reader *rec_reader__open(const char *path);
/* The same; on failure WHY gets a line for the user naming PATH and what is
 * wrong with it (e.g. the file's format version and this reader's). */
struct rec_reader *rec_reader__open_why(const char *path, char *why, size_t whylen);
/* 1 and fills R, 0 at the end of the file, -EINVAL on a corrupt record,
 * -EPIPE when the file ends inside a record (a truncated recording: what
 * came before is valid). */
int rec_reader__next(struct rec_reader *rd, struct rec_record *r);
void rec_reader__close(struct rec_reader *rd);
#endif
