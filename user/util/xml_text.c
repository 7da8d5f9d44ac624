// SPDX-License-Identifier: MIT
/* Text in XML documents (SVG flame graphs, Cobertura): see xml_text.h. */
#include <stdint.h>
#include <string.h>
#include "util/xml_text.h"

/* length of the well-formed UTF-8 sequence at P (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if there is none */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
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

static const char *const xml_ent[0x80] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
	['\''] = "&#39;", ['\n'] = "&#10;", ['\t'] = "&#9;", ['\r'] = "&#13;",
};

/*
 * S escaped for XML text and attribute values, cut to MAX characters
 * (ending in ".." when cut). Bytes that are not UTF-8 and characters XML
 * does not allow become U+FFFD, so the file is well-formed whatever names
 * a program used.
 */
void xml_text__put(FILE *f, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t left = max, chars = 0, n;

	for (const unsigned char *q = p; q < end && max != SIZE_MAX; chars++)
		q += (n = utf8_len(q, end)) ? n : 1;
	if (chars > max)
		left = max > 2 ? max - 2 : 0;
	for (; p < end && left; left--, p += n) {
		const char *rep = "\xef\xbf\xbd";	/* U+FFFD */

		n = utf8_len(p, end);
		if (n == 1 && (*p >= 0x20 || xml_ent[*p]))
			rep = xml_ent[*p];
		else if (n > 1 && !(n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe))
			rep = NULL;	/* not U+FFFE, U+FFFF */
		if (!n)
			n = 1;
		if (rep)
			fputs(rep, f);
		else
			fwrite_unlocked(p, 1, n, f);
	}
	if (p < end)
		fputs("..", f);
}

