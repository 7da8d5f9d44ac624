// SPDX-License-Identifier: MIT
/* A traced program's text in outputs and on the terminal: see text_escape.h. */
#include <stdlib.h>
#include <string.h>
#include "util/text_escape.h"

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

size_t text_escape__utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
	unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;

	if (n < 2)
		return n;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

uint32_t text_escape__utf8_cp(const unsigned char *p, size_t len)
{
	static const unsigned char lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = p[0] & lead_mask[len < 5 ? len : 0];

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

bool text_escape__is_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t len;

	for (; p < end; p += len)
		if (!(len = text_escape__utf8_len(p, end)))
			return false;
	return true;
}

size_t text_escape__utf8_prefix(const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t got = 0, len;

	for (; p < end; p += len, got += len) {
		len = text_escape__utf8_len(p, end);
		len = len ? len : 1;
		if (got + len > max)
			break;
	}
	return got;
}

char *text_escape__utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	char *out = malloc(n * 3 + 1), *o = out;

	if (!out)
		return NULL;
	while (p < end) {
		size_t len = text_escape__utf8_len(p, end);

		if (!len) {
			memcpy(o, REPLACEMENT, 3);
			o += 3;
			p++;
			continue;
		}
		memcpy(o, p, len);
		o += len;
		p += len;
	}
	*o = 0;
	return out;
}

bool text_escape__is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	       cp == 0x061c || cp == 0x200e || cp == 0x200f ||	/* marks */
	       (cp >= 0x2028 && cp <= 0x202e) ||	/* separators, embeddings */
	       (cp >= 0x2066 && cp <= 0x2069);		/* isolates */
}

void text_escape__visible(FILE *f, const char *s, size_t n, const char *also)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run = p;	/* bytes written as they are */

	while (p < end) {
		size_t len = text_escape__utf8_len(p, end);
		uint32_t cp = len ? text_escape__utf8_cp(p, len) : 0;

		if (len && !text_escape__is_control(cp) &&
		    !(cp && cp < 0x80 && also && strchr(also, (int)cp))) {
			p += len;
			continue;
		}
		fwrite_unlocked(run, 1, p - run, f);
		if (len > 1)
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fprintf(f, "\\x%02x", *p);
		p += len ? len : 1;
		run = p;
	}
	fwrite_unlocked(run, 1, p - run, f);
}

void text_escape__term(FILE *f, const char *s)
{
	if (!s)
		s = "?";
	text_escape__visible(f, s, strlen(s), NULL);
}

/*
 * LCOV has no escaping: a record is a line "KEY:value", and lcov 1.x
 * reads FN:<line>,<name> and FNDA:<count>,<name> with the name up to the
 * next comma ([^,]+), so a name must be one line, without a comma, and not
 * empty.
 */
void text_escape__lcov(FILE *f, const char *s, bool name)
{
	if (!s || (name && !*s)) {
		fputc('?', f);
		return;
	}
	text_escape__visible(f, s, strlen(s), name ? "," : NULL);
}

char *text_escape__folded(const char *s)
{
	char *out = text_escape__utf8(s, strlen(s));
	unsigned char *p, *end;

	if (!out)
		return NULL;
	/* now well-formed: C1 controls (two bytes) become two spaces, the
	 * other controls one; nothing moves */
	end = (unsigned char *)out + strlen(out);
	for (p = (unsigned char *)out; p < end; ) {
		size_t len = text_escape__utf8_len(p, end);

		if (text_escape__is_control(text_escape__utf8_cp(p, len)))
			memset(p, ' ', len);
		else if (*p == ';')
			*p = ',';
		p += len;
	}
	return out;
}
