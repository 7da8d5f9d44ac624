// SPDX-License-Identifier: MIT
/* Parsing the coverage bootstrap's blobs (format: cover_blob.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "analysis/cover_blob.h"
#include "tracer.h"

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

int cover_blob__parse(const void *data, size_t len, uint32_t *seq, cover_rec_fn fn, void *ctx)
{
	const unsigned char *p = data, *end = p + len;

	if (len < COVER_BLOB_HEADER || memcmp(p, TR_BLOB_MAGIC, sizeof(TR_BLOB_MAGIC)))
		return -EINVAL;
	*seq = (uint32_t)le(p + 16, 4);
	p += COVER_BLOB_HEADER;
	while (p < end) {
		struct cover_rec r;
		int ret;

		if ((size_t)(end - p) < COVER_REC_HEADER)
			return -EINVAL;
		r.kind = (char)p[0];
		r.file_len = le(p + 2, 2);
		r.name_len = le(p + 4, 2);
		r.firstlineno = (uint32_t)le(p + 8, 4);
		r.line = (uint32_t)le(p + 12, 4);
		r.count = le(p + 16, 8);
		p += COVER_REC_HEADER;
		if ((size_t)(end - p) < r.file_len + r.name_len)
			return -EINVAL;
		r.file = (const char *)p;
		r.name = (const char *)p + r.file_len;
		p += r.file_len + r.name_len;
		if (!strchr("ACLSE", r.kind) || !r.kind)
			return -EINVAL;
		ret = fn(ctx, &r);
		if (ret)
			return ret;
	}
	return 0;
}

int cover_blob__parse_event(const void *ev, size_t len, uint32_t *seq, cover_rec_fn fn,
			    void *ctx)
{
	const struct tr_ev_blob *e = ev;

	if (len < offsetof(struct tr_ev_blob, data) ||
	    e->len > len - offsetof(struct tr_ev_blob, data))
		return -EINVAL;
	return cover_blob__parse(e->data, e->len, seq, fn, ctx);
}
