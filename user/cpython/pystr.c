// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include "cpython/pystr.h"
#include "tracer.h"

size_t pystr__put_utf8(char *o, uint32_t cp)
{
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | (cp >> 6);
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | (cp >> 12);
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | (cp >> 18);
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

char *pystr__to_utf8(const void *raw, size_t cap, uint32_t len_chars, uint8_t enc,
		     bool *truncated)
{
	unsigned kind = enc & TR_STR_KIND_MASK;
	const unsigned char *p = raw;
	size_t have, n, i, o = 0;
	char *out;

	*truncated = false;
	if (enc == TR_STR_UTF8) {
		/* bytes from a C string: as they are, cut at CAP */
		n = len_chars < cap ? len_chars : cap;
		*truncated = len_chars > cap;
		out = malloc(n + 4);
		if (!out)
			return NULL;
		memcpy(out, raw, n);
		strcpy(out + n, *truncated ? "..." : "");
		return out;
	}
	if (kind != 1 && kind != 2 && kind != 4)
		return strdup("<unreadable>");
	have = (size_t)len_chars * kind;
	if (have > cap) {
		have = cap;
		*truncated = true;
	}
	n = have / kind;
	out = malloc(n * 4 + 4);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t cp;
		if (kind == 1)
			cp = p[i];
		else if (kind == 2)
			cp = p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		else
			cp = p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
			     (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
		o += pystr__put_utf8(out + o, cp);
	}
	if (*truncated) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}
