/* SPDX-License-Identifier: MIT */
/*
 * A small protobuf wire-format writer, enough for the binary formats the
 * sinks write (pprof's profile.proto, Perfetto's TracePacket stream).
 *
 * Messages are built into a growable byte buffer. A nested message is
 * opened with pb__begin(), which reserves one byte for its length, and
 * closed with pb__end(), which writes the length and, only when it needs
 * more than one byte, moves the message up: most messages the sinks nest
 * are short, so the common case costs no copy. Nested messages can be
 * open inside each other (the token is the position of the length byte).
 *
 * The first error (only -ENOMEM) is remembered and later writes are
 * skipped, so a caller checks once, with pb_writer__error().
 */
#ifndef TRACER_PB_WRITER_H
#define TRACER_PB_WRITER_H
#include <stddef.h>
#include <stdint.h>

/* wire types */
#define PB_VARINT 0
#define PB_FIXED64 1
#define PB_LEN 2
#define PB_FIXED32 5

struct pb_writer {
	uint8_t *buf;
	size_t len, cap;
	int err;		/* first error (-ENOMEM) or 0 */
};

void pb_writer__init(struct pb_writer *w);
void pb_writer__free(struct pb_writer *w);
/* forget the bytes written (the buffer and an error stay) */
void pb_writer__reset(struct pb_writer *w);
int pb_writer__error(const struct pb_writer *w);
static inline const uint8_t *pb_writer__data(const struct pb_writer *w) { return w->buf; }
static inline size_t pb_writer__len(const struct pb_writer *w) { return w->len; }

/* the bytes of varint V (at most 10) into OUT; returns their number */
size_t pb__varint_encode(uint8_t *out, uint64_t v);
/* the encoded size of varint V */
size_t pb__varint_size(uint64_t v);
static inline uint64_t pb__zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* raw pieces */
void pb__raw(struct pb_writer *w, const void *p, size_t n);
void pb__varint(struct pb_writer *w, uint64_t v);
void pb__tag(struct pb_writer *w, uint32_t field, unsigned wire);

/* fields: uint32/uint64/bool/enum, and int32/int64 (a negative value takes
 * 10 bytes, as protobuf has it); sint32/sint64 (zigzag); fixed64 */
void pb__uint(struct pb_writer *w, uint32_t field, uint64_t v);
void pb__int(struct pb_writer *w, uint32_t field, int64_t v);
void pb__sint(struct pb_writer *w, uint32_t field, int64_t v);
void pb__fixed64(struct pb_writer *w, uint32_t field, uint64_t v);
/* length-delimited: bytes, a string (NULL is ""), N bytes of a string */
void pb__bytes(struct pb_writer *w, uint32_t field, const void *p, size_t n);
void pb__string(struct pb_writer *w, uint32_t field, const char *s);

/* a nested message (or packed repeated field): its fields go between
 * pb__begin and pb__end(w, token) */
size_t pb__begin(struct pb_writer *w, uint32_t field);
void pb__end(struct pb_writer *w, size_t token);

/* packed repeated varints (uint64/uint32/enum) */
void pb__packed_uint(struct pb_writer *w, uint32_t field, const uint64_t *v, size_t n);
#endif
