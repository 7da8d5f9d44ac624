// SPDX-License-Identifier: MIT
#include "unit.h"
#include "cpython/pystr.h"
#include "tracer.h"

TEST(pystr_ascii_and_latin1)
{
	bool t;
	char *s = pystr__to_utf8("hello", 16, 5, 1 | TR_STR_ASCII, &t);
	CHECK_STR(s, "hello");
	CHECK(!t);
	free(s);
	/* "café" in latin-1: é = 0xe9 -> UTF-8 c3 a9 */
	s = pystr__to_utf8("caf\xe9", 16, 4, 1, &t);
	CHECK_STR(s, "caf\xc3\xa9");
	free(s);
}

TEST(pystr_ucs2_ucs4_and_invalid)
{
	bool t;
	/* U+03BB (lambda), little endian UCS-2 */
	unsigned char ucs2[] = { 0xbb, 0x03, 'x', 0 };
	char *s = pystr__to_utf8(ucs2, sizeof(ucs2), 2, 2, &t);
	CHECK_STR(s, "\xce\xbbx");
	free(s);
	/* U+1F600 and a lone surrogate U+D800 in UCS-4 */
	unsigned char ucs4[] = { 0x00, 0xf6, 0x01, 0x00, 0x00, 0xd8, 0x00, 0x00 };
	s = pystr__to_utf8(ucs4, sizeof(ucs4), 2, 4, &t);
	CHECK_STR(s, "\xf0\x9f\x98\x80\xef\xbf\xbd");
	free(s);
}

TEST(pystr_truncated_and_unreadable)
{
	bool t;
	char *s = pystr__to_utf8("abcdef", 4, 6, 1 | TR_STR_ASCII, &t);
	CHECK_STR(s, "abcd...");
	CHECK(t);
	free(s);
	s = pystr__to_utf8("", 0, 0, 0, &t);
	CHECK_STR(s, "<unreadable>");
	free(s);
	/* UCS-2 cut in the middle of a character keeps whole characters */
	s = pystr__to_utf8("a\0b\0c\0", 5, 3, 2, &t);
	CHECK_STR(s, "ab...");
	free(s);
}

TEST(pystr_utf8_bytes)
{
	bool t;
	char *s = pystr__to_utf8("caf\xc3\xa9xyz", 5, 5, TR_STR_UTF8, &t);
	CHECK_STR(s, "caf\xc3\xa9");
	CHECK(!t);
	free(s);
	s = pystr__to_utf8("abcdef", 4, 6, TR_STR_UTF8, &t);
	CHECK_STR(s, "abcd...");
	CHECK(t);
	free(s);
}
