// SPDX-License-Identifier: MIT
/* Text in XML documents (SVG flame graphs, Cobertura): see xml_text.h. */
#include <stdint.h>
#include <string.h>
#include "util/text_escape.h"
#include "util/xml_text.h"

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
		q += (n = text_escape__utf8_len(q, end)) ? n : 1;
	if (chars > max)
		left = max > 2 ? max - 2 : 0;
	for (; p < end && left; left--, p += n) {
		const char *rep = "\xef\xbf\xbd";	/* U+FFFD */

		n = text_escape__utf8_len(p, end);
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

