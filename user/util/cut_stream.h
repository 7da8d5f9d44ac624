/* SPDX-License-Identifier: MIT */
/*
 * A stream that reaches its file only in whole records, so that a file cut
 * short (the writer killed with SIGKILL, a full disk) ends on a record
 * boundary, where a format made of records (Chrome's JSON array form, one
 * event per record) stays readable.
 *
 * The writer writes a record into cut_stream__file() (an ordinary FILE*:
 * printf, the JSON writer ...) and calls cut_stream__end_record() when the
 * record is complete. Records gather in memory and go to the file in one
 * write() when CUT_STREAM_BYTES of them are pending or CUT_STREAM_NS have
 * passed since the last write (checked at each record's end: there is no
 * timer, so an idle writer keeps its last few records pending until its next
 * record or cut_stream__close()). What a SIGKILL loses is therefore the
 * records written since the last write: under CUT_STREAM_BYTES of them, all
 * ended within CUT_STREAM_NS of that write (plus, should the kill land inside
 * the write() itself, the part of it the kernel had not copied yet: the file
 * then ends inside a record).
 *
 * A failed write (ENOSPC, EIO ...) cuts the file back (ftruncate) to the end
 * of the last record written whole; the error is kept, and later records
 * are dropped. cut_stream__kept() tells how many bytes are on disk then.
 */
#ifndef TRACER_CUT_STREAM_H
#define TRACER_CUT_STREAM_H
#include <stdint.h>
#include <stdio.h>

#define CUT_STREAM_BYTES (64u << 10)
#define CUT_STREAM_NS (100ull * 1000 * 1000)

struct cut_stream;

/* Over OUT (a regular file, a FIFO or a device, opened for writing and not
 * written yet: it is made unbuffered). NULL and errno on error. */
struct cut_stream *cut_stream__new(FILE *out);
/* the stream records are written into */
FILE *cut_stream__file(struct cut_stream *cs);
/* the record written since the last call is complete: 0, or the first
 * error so far (-errno) */
int cut_stream__end_record(struct cut_stream *cs);
/* end the record in the making (if any) and write everything now: 0 or the
 * first error (-errno) */
int cut_stream__flush(struct cut_stream *cs);
/* bytes written whole to OUT (all of it unless an error cut it) */
uint64_t cut_stream__kept(const struct cut_stream *cs);
/* write the complete records, drop a record in the making, free; OUT stays
 * open. 0 or the first error. */
int cut_stream__close(struct cut_stream *cs);
#endif
