// SPDX-License-Identifier: MIT
/* text_escape: a traced program's text, by the rules of each format. */
#include "unit.h"
#include "util/text_escape.h"

static char *te_visible(const char *s, size_t n, const char *also)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f);
	text_escape__visible(f, s, n, also);
	CHECK_EQ(fclose(f), 0);
	return text;
}

static char *te_lcov(const char *s, bool name)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f);
	text_escape__lcov(f, s, name);
	CHECK_EQ(fclose(f), 0);
	return text;
}

#define VIS(lit, also) te_visible(lit, sizeof(lit) - 1, also)

TEST(text_escape_utf8_validity)
{
	CHECK(text_escape__is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	CHECK(!text_escape__is_utf8("\xc3", 1));			/* cut */
	CHECK(!text_escape__is_utf8("\xc0\xaf", 2));			/* overlong */
	CHECK(!text_escape__is_utf8("\xed\xa0\x80", 3));		/* surrogate */
	CHECK(!text_escape__is_utf8("\xf4\x90\x80\x80", 4));		/* > U+10FFFF */
	CHECK(!text_escape__is_utf8("\xff", 1));
	CHECK(text_escape__is_utf8("", 0));
	CHECK_EQ(text_escape__utf8_cp((const unsigned char *)"\xe2\x80\xa8", 3), 0x2028);
}

TEST(text_escape_utf8_prefix)
{
	/* "caf\xc3\xa9" + the 4 bytes of U+1F600 */
	static const char s[] = "caf\xc3\xa9\xf0\x9f\x98\x80";

	CHECK_EQ(text_escape__utf8_prefix(s, 9, 100), 9);
	CHECK_EQ(text_escape__utf8_prefix(s, 9, 9), 9);
	CHECK_EQ(text_escape__utf8_prefix(s, 9, 8), 5);	/* not into the emoji */
	CHECK_EQ(text_escape__utf8_prefix(s, 9, 4), 3);	/* nor into the \xc3\xa9 */
	CHECK_EQ(text_escape__utf8_prefix(s, 9, 0), 0);
	/* malformed bytes are one character each */
	CHECK_EQ(text_escape__utf8_prefix("a\xff\xfe" "b", 4, 3), 3);
	CHECK_EQ(text_escape__utf8_prefix("\xf0\x9f\x98", 3, 2), 2);	/* a cut sequence */
	CHECK_EQ(text_escape__utf8_prefix("", 0, 5), 0);
}

TEST(text_escape_utf8_repair)
{
	char *s = text_escape__utf8("a\xff" "b\xed\xa0\x80" "c\xc3\xa9", 9);

	/* each bad byte one U+FFFD; the good sequence kept */
	CHECK_STR(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "c\xc3\xa9");
	CHECK(text_escape__is_utf8(s, strlen(s)));
	free(s);
	s = text_escape__utf8("x\0y", 3);	/* a NUL is UTF-8: kept, ends the C string */
	CHECK_STR(s, "x");
	free(s);
}

TEST(text_escape_terminal)
{
	char *s;

	s = VIS("plain caf\xc3\xa9 (f.py:1)", NULL);
	CHECK_STR(s, "plain caf\xc3\xa9 (f.py:1)");
	free(s);
	/* OSC (retitle), CSI (clear), BEL, newline, DEL: visible, inert */
	s = VIS("\x1b]0;pwned\x07\x1b[2J\nx\x7f", NULL);
	CHECK_STR(s, "\\x1b]0;pwned\\x07\\x1b[2J\\x0ax\\x7f");
	free(s);
	/* C1 CSI (U+009B), a bad byte (0x9b alone), bidi override, line separator */
	s = VIS("a\xc2\x9b" "b\x9b" "c\xe2\x80\xae" "d\xe2\x80\xa8", NULL);
	CHECK_STR(s, "a\\u009bb\\x9bc\\u202ed\\u2028");
	free(s);
	s = VIS("nul\0after", NULL);
	CHECK_STR(s, "nul\\x00after");
	free(s);
	CHECK(!strchr(s = VIS("\x1b\x07\x9b\xc2\x9b", NULL), 0x1b));
	free(s);
}

TEST(text_escape_lcov)
{
	char *s;

	/* a name that would forge records stays one field of one line */
	s = te_lcov("f\nSF:/etc/passwd\nDA:1,1\nend_of_record\n", true);
	CHECK_STR(s, "f\\x0aSF:/etc/passwd\\x0aDA:1\\x2c1\\x0aend_of_record\\x0a");
	free(s);
	s = te_lcov("/tmp/a,b\r.py", false);	/* a path keeps its commas */
	CHECK_STR(s, "/tmp/a,b\\x0d.py");
	free(s);
	s = te_lcov("", true);
	CHECK_STR(s, "?");
	free(s);
	s = te_lcov("Outer.<lambda>", true);
	CHECK_STR(s, "Outer.<lambda>");
	free(s);
}

TEST(text_escape_folded)
{
	char *s = text_escape__folded("a;b\nc\x1b]0;x\x07 \xc2\x85\xff (f.py:3)");

	/* ';' -> ',', each control a space (C1: its two bytes), bad byte U+FFFD */
	CHECK_STR(s, "a,b c ]0,x    \xef\xbf\xbd (f.py:3)");
	CHECK(!strpbrk(s, ";\n\r"));
	free(s);
}
