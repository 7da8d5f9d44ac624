/* SPDX-License-Identifier: MIT */
/*
 * The recording's format as the writer (rec_writer.c) and the reader
 * (rec_reader.c) share it: framing constants, the largest payload of each
 * record kind, the layout of the BPF events it carries (pinned), and the
 * bounded little-endian cursor both encode and decode with (inline: the
 * writer runs on the ring-buffer consumer's path).
 * Not an interface: recording.h is.
 */
#ifndef TRACER_REC_FORMAT_H
#define TRACER_REC_FORMAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "record/recording.h"

#define REC_MAGIC "PYTRACER"
#define REC_MAGIC_LEN 8
#define REC_FILE_HDR_SIZE 16	/* magic, u32 version, u32 header size */
#define REC_FILE_HDR_MAX 4096	/* a larger header size is garbage */
#define REC_HDR_SIZE 8		/* u8 kind, u8 flags, u16 reserved, u32 length */
#define REC_STDIO_BUF (1u << 20)
#define REC_CODE_FIXED offsetof(struct tr_ev_code, name)
#define REC_RUNTIME_FIXED offsetof(struct tr_ev_runtime, name)

/* largest payload of each kind */
#define REC_STR_MAX(field) (2 + sizeof(field) - 1)
#define REC_PROCESS_MAX (4 + 4 + 4 + 8 + REC_STR_MAX(((struct in_process *)0)->exe) + \
			 REC_STR_MAX(((struct in_process *)0)->lib) + 2 +              \
			 IN_MAX_WARNINGS * REC_STR_MAX(((struct in_process *)0)->warnings[0]) + \
			 4 + 4 + REC_STR_MAX(((struct in_process *)0)->cgroup))	/* version 7 */
#define REC_THREAD_MAX (4 + 4 + REC_STR_MAX(((struct in_thread *)0)->name))
#define REC_END_FIXED (8 + 8 + 4 + 4 + 2)
/* later versions may count more drops; then the end's warnings (version 6),
 * then its realtime offset (version 8), then the probe cost (version 9), then
 * how the launched command ended (version 11) */
#define REC_PROBE_COST_MAX (4 + 8 * 8 + REC_STR_MAX(((struct probe_cost *)0)->return_kind) + \
			    REC_STR_MAX(((struct probe_cost *)0)->note))
#define REC_END_MAX (REC_END_FIXED + 64 * 8 + 2 + \
		     IN_MAX_WARNINGS * REC_STR_MAX(((struct in_end *)0)->warnings[0]) + 8 + \
		     REC_PROBE_COST_MAX + 4 * 4 + 8 * 3 + 4 + 8 + 8)
#define REC_BLOB_FIXED offsetof(struct tr_ev_blob, data)
#define REC_EVENT_MAX sizeof(struct tr_ev_blob)	/* the largest event */
#define REC_PAYLOAD_MAX (REC_EVENT_MAX > REC_PROCESS_MAX ? REC_EVENT_MAX : REC_PROCESS_MAX)
/* a code map: pid, (version 7) instance, lines, note, text length, text */
#define REC_CODEMAP_FIXED (4 + 4 + 4 + REC_STR_MAX(((struct in_codemap *)0)->note) + 4)
#define REC_CODEMAP_TEXT_MAX (256u << 20)

/* REC_EVENT payloads are the BPF structs as they are: pin their layout. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "recording: little-endian hosts only");
_Static_assert(sizeof(struct tr_ev_hdr) == 24, "format: tr_ev_hdr changed");
_Static_assert(sizeof(struct tr_ev_call) == 48, "format: tr_ev_call changed");
_Static_assert(sizeof(struct tr_ev_return) == 40, "format: tr_ev_return changed");
_Static_assert(REC_CODE_FIXED == 48 && sizeof(struct tr_ev_code) == 48 + TR_NAME_MAX + TR_FILE_MAX,
	       "format: tr_ev_code changed");
_Static_assert(REC_RUNTIME_FIXED == 40 && sizeof(struct tr_ev_runtime) == 40 + TR_MODNAME_MAX,
	       "format: tr_ev_runtime changed");
_Static_assert(sizeof(struct tr_ev_line) == 40, "format: tr_ev_line changed");
_Static_assert(REC_BLOB_FIXED == 32 && sizeof(struct tr_ev_blob) == 32 + TR_BLOB_MAX &&
	       sizeof(struct tr_ev_blob) >= sizeof(struct tr_ev_code), "format: tr_ev_blob changed");
_Static_assert(TR_JIT_FIXED == 40 && sizeof(struct tr_ev_jit) == 40 + TR_JIT_NAME_MAX &&
	       sizeof(struct tr_ev_jit) <= REC_EVENT_MAX, "format: tr_ev_jit changed");
_Static_assert(sizeof(struct tr_ev_exit) == 24, "format: tr_ev_exit changed");
_Static_assert(REC_EVENT_MAX <= REC_PAYLOAD_MAX && REC_END_MAX <= REC_PAYLOAD_MAX,
	       "payload buffer too small");

/* ---- little-endian encoding with bounds ------------------------------ */

struct rec_cursor {
	unsigned char *p, *end;
	bool bad;		/* ran past the end (reader: corrupt record) */
};

static inline void rec_put_bytes(struct rec_cursor *c, const void *s, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	memcpy(c->p, s, n);
	c->p += n;
}

static inline void rec_put_uint(struct rec_cursor *c, uint64_t v, int size)
{
	unsigned char b[8];

	for (int i = 0; i < size; i++)
		b[i] = v >> (8 * i);
	rec_put_bytes(c, b, size);
}

/* a string field of SIZE bytes, NUL-terminated or not: u16 length, bytes */
static inline void rec_put_str(struct rec_cursor *c, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1);

	rec_put_uint(c, n, 2);
	rec_put_bytes(c, s, n);
}

/* a list of warnings (a process's, the end's): u16 count, the strings */
static inline void rec_put_warnings(struct rec_cursor *c, const char (*w)[256], uint32_t n)
{
	if (n > IN_MAX_WARNINGS)
		n = IN_MAX_WARNINGS;
	rec_put_uint(c, n, 2);
	for (uint32_t i = 0; i < n; i++)
		rec_put_str(c, w[i], sizeof(w[i]));
}

static inline void rec_get_bytes(struct rec_cursor *c, void *d, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	memcpy(d, c->p, n);
	c->p += n;
}

static inline uint64_t rec_get_uint(struct rec_cursor *c, int size)
{
	unsigned char b[8];
	uint64_t v = 0;

	rec_get_bytes(c, b, size);
	if (c->bad)
		return 0;
	for (int i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* into a char[SIZE] (already zeroed): the length must leave room for NUL */
static inline void rec_get_str(struct rec_cursor *c, char *d, size_t size)
{
	size_t n = rec_get_uint(c, 2);

	if (n >= size) {
		c->bad = true;
		return;
	}
	rec_get_bytes(c, d, n);
}

/* into W (zeroed), their count into *N: more than IN_MAX_WARNINGS is corrupt */
static inline void rec_get_warnings(struct rec_cursor *c, char (*w)[256], uint32_t *n)
{
	uint32_t count = rec_get_uint(c, 2);

	if (count > IN_MAX_WARNINGS) {
		c->bad = true;
		return;
	}
	*n = count;
	for (uint32_t i = 0; i < count; i++)
		rec_get_str(c, w[i], sizeof(w[i]));
}

/* a double, as its IEEE 754 bits (u64) */
static inline void rec_put_double(struct rec_cursor *c, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	rec_put_uint(c, u, 8);
}

static inline double rec_get_double(struct rec_cursor *c)
{
	uint64_t u = rec_get_uint(c, 8);
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* bytes of a TR_EV_CODE string actually carried (UTF-8: a C function's
 * names, --c-calls) */
static inline size_t rec_code_str_bytes(uint32_t len, uint8_t enc, size_t max)
{
	uint64_t n = enc == TR_STR_UTF8 ? len : (uint64_t)len * (enc & TR_STR_KIND_MASK);

	return n < max ? n : max;
}

/* bytes of a TR_EV_RUNTIME name actually carried */
static inline size_t rec_runtime_name_bytes(const struct tr_ev_runtime *e)
{
	return rec_code_str_bytes(e->name_len, e->name_enc, TR_MODNAME_MAX);
}
#endif
