// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util/pb_writer.h"

void pb_writer__init(struct pb_writer *w)
{
	*w = (struct pb_writer){};
}

void pb_writer__free(struct pb_writer *w)
{
	free(w->buf);
	*w = (struct pb_writer){};
}

void pb_writer__reset(struct pb_writer *w)
{
	w->len = 0;
}

int pb_writer__error(const struct pb_writer *w)
{
	return w->err;
}

/* room for N more bytes; false (and the error set) when there is none */
static bool pb_reserve(struct pb_writer *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->err)
		return false;
	if (w->cap - w->len >= n)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n) {
		if (cap > SIZE_MAX / 2) {
			w->err = -ENOMEM;
			return false;
		}
		cap *= 2;
	}
	p = realloc(w->buf, cap);
	if (!p) {
		w->err = -ENOMEM;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

size_t pb__varint_encode(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t pb__varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

void pb__raw(struct pb_writer *w, const void *p, size_t n)
{
	if (!n || !pb_reserve(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void pb__varint(struct pb_writer *w, uint64_t v)
{
	if (!pb_reserve(w, 10))
		return;
	w->len += pb__varint_encode(w->buf + w->len, v);
}

void pb__tag(struct pb_writer *w, uint32_t field, unsigned wire)
{
	pb__varint(w, (uint64_t)field << 3 | (wire & 7));
}

void pb__uint(struct pb_writer *w, uint32_t field, uint64_t v)
{
	pb__tag(w, field, PB_VARINT);
	pb__varint(w, v);
}

void pb__int(struct pb_writer *w, uint32_t field, int64_t v)
{
	pb__uint(w, field, (uint64_t)v);
}

void pb__sint(struct pb_writer *w, uint32_t field, int64_t v)
{
	pb__uint(w, field, pb__zigzag(v));
}

void pb__fixed64(struct pb_writer *w, uint32_t field, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));	/* little-endian on any host */
	pb__tag(w, field, PB_FIXED64);
	pb__raw(w, b, sizeof(b));
}

void pb__bytes(struct pb_writer *w, uint32_t field, const void *p, size_t n)
{
	pb__tag(w, field, PB_LEN);
	pb__varint(w, n);
	pb__raw(w, p, n);
}

void pb__string(struct pb_writer *w, uint32_t field, const char *s)
{
	pb__bytes(w, field, s ? s : "", s ? strlen(s) : 0);
}

size_t pb__begin(struct pb_writer *w, uint32_t field)
{
	pb__tag(w, field, PB_LEN);
	if (!pb_reserve(w, 1))
		return 0;
	w->buf[w->len] = 0;
	return w->len++;
}

void pb__end(struct pb_writer *w, size_t token)
{
	size_t body, n, extra;

	if (w->err || token >= w->len)
		return;
	body = w->len - token - 1;
	n = pb__varint_size(body);
	extra = n - 1;
	if (extra) {
		/* the length needs more than the byte reserved: move the body up */
		if (!pb_reserve(w, extra))
			return;
		memmove(w->buf + token + n, w->buf + token + 1, body);
		w->len += extra;
	}
	pb__varint_encode(w->buf + token, body);
}

void pb__packed_uint(struct pb_writer *w, uint32_t field, const uint64_t *v, size_t n)
{
	size_t size = 0;

	if (!n)
		return;	/* an empty packed field is written as no field */
	for (size_t i = 0; i < n; i++)
		size += pb__varint_size(v[i]);
	pb__tag(w, field, PB_LEN);
	pb__varint(w, size);
	if (!pb_reserve(w, size))
		return;
	for (size_t i = 0; i < n; i++)
		w->len += pb__varint_encode(w->buf + w->len, v[i]);
}
