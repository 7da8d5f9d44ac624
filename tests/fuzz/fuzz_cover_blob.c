// SPDX-License-Identifier: MIT
/*
 * A coverage blob as the 3.12+ bootstrap hands it over: parsed bare, and
 * inside a TR_EV_BLOB event (the input's first byte picks which).
 */
#include "analysis/cover_blob.h"
#include "fuzz.h"

static int each(void *ctx, const struct cover_rec *r)
{
	uint64_t *sum = ctx;

	/* the strings must lie inside the blob: read them whole */
	for (size_t i = 0; i < r->file_len; i++)
		*sum += (unsigned char)r->file[i];
	for (size_t i = 0; i < r->name_len; i++)
		*sum += (unsigned char)r->name[i];
	*sum += r->kind + r->line + r->count + r->firstlineno;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned event = fuzz_take(&in, 1) & 1;
	size_t len = in.left;
	char *buf = fuzz_rest(&in, 0);
	uint32_t seq;
	uint64_t sum = 0;

	if (event)
		cover_blob__parse_event(buf, len, &seq, each, &sum);
	else
		cover_blob__parse(buf, len, &seq, each, &sum);
	free(buf);
	return 0;
}
