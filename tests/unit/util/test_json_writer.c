// SPDX-License-Identifier: MIT
/* json_writer: RFC 8259 escaping, UTF-8 repair, numbers, write errors. */
#include <errno.h>
#include <unistd.h>
#include "unit.h"
#include "util/json_writer.h"

/* the bytes json_writer__string_n makes of S[0..N) */
static char *jw_escape(const char *s, size_t n)
{
	static char out[4096];
	FILE *f = fmemopen(out, sizeof(out), "w");
	struct json_writer jw;

	CHECK(f);
	json_writer__init(&jw, f);
	json_writer__string_n(&jw, s, n);
	CHECK_EQ(json_writer__flush(&jw), 0);
	fclose(f);
	return out;
}
#define ESC(lit) jw_escape(lit, sizeof(lit) - 1)

TEST(json_writer_quotes_backslash)
{
	CHECK_STR(ESC("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
}

TEST(json_writer_control_chars)
{
	CHECK_STR(ESC("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	CHECK_STR(ESC("\x01x\x1f\x7f"), "\"\\u0001x\\u001f\x7f\"");
	CHECK_STR(ESC("a\0b"), "\"a\\u0000b\"");
}

TEST(json_writer_valid_utf8_passes)
{
	/* U+00E9 (2 bytes), U+20AC (3 bytes), U+1F600 (4 bytes), U+10FFFF */
	CHECK_STR(ESC("\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80-\xf4\x8f\xbf\xbf"),
		  "\"\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80-\xf4\x8f\xbf\xbf\"");
}

/* line and paragraph separators: valid JSON, line ends to JavaScript */
TEST(json_writer_line_separators_escaped)
{
	CHECK_STR(ESC("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xe2\x80\xaa"),
		  "\"a\\u2028b\\u2029c\xe2\x80\xaa\"");
}

#define FFFD "\xef\xbf\xbd"
TEST(json_writer_invalid_utf8_replaced)
{
	CHECK_STR(ESC("a\xff" "b"), "\"a" FFFD "b\"");
	/* lone continuation byte, lead byte cut by the end of the string */
	CHECK_STR(ESC("\x80"), "\"" FFFD "\"");
	CHECK_STR(ESC("x\xe2\x82"), "\"x" FFFD FFFD "\"");
	/* overlong '/', a UTF-16 surrogate, above U+10FFFF: one U+FFFD a byte */
	CHECK_STR(ESC("\xc0\xaf"), "\"" FFFD FFFD "\"");
	CHECK_STR(ESC("\xed\xa0\x80"), "\"" FFFD FFFD FFFD "\"");
	CHECK_STR(ESC("\xf4\x90\x80\x80"), "\"" FFFD FFFD FFFD FFFD "\"");
	/* a bad byte does not swallow the valid character after it */
	CHECK_STR(ESC("\xc3\xc3\xa9"), "\"" FFFD "\xc3\xa9\"");
}

TEST(json_writer_empty_and_null)
{
	CHECK_STR(ESC(""), "\"\"");
	static char out[64];
	FILE *f = fmemopen(out, sizeof(out), "w");
	struct json_writer jw;

	json_writer__init(&jw, f);
	json_writer__string(&jw, NULL);
	json_writer__raw(&jw, ",");
	json_writer__key(&jw, "k\"");
	json_writer__u64(&jw, 18446744073709551615ull);
	json_writer__raw(&jw, ",");
	json_writer__usec(&jw, 1234567);
	json_writer__raw(&jw, ",");
	json_writer__usec(&jw, 5);
	CHECK_EQ(json_writer__flush(&jw), 0);
	fclose(f);
	CHECK_STR(out, "\"\",\"k\\\"\":18446744073709551615,1234.567,0.005");
}

/* every byte value in one string: python's json module must accept it */
TEST(json_writer_all_bytes_valid_json)
{
	char path[] = "/tmp/jw_test_XXXXXX", all[512], cmd[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct json_writer jw;

	for (int i = 0; i < 256; i++)
		all[i] = all[256 + i] = (char)i;
	json_writer__init(&jw, f);
	json_writer__raw(&jw, "[");
	json_writer__string_n(&jw, all, sizeof(all));
	json_writer__raw(&jw, "]");
	CHECK_EQ(json_writer__flush(&jw), 0);
	fclose(f);
	/* 128 ASCII code points survive, each of the 128 high bytes is U+FFFD */
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1],"
		 "encoding=\"utf-8\"))[0]; sys.exit(not (len(s)==512 and "
		 "s[:128]==\"\".join(map(chr,range(128))) and s[128:256]==\"\\ufffd\"*128))' %s",
		 path);
	CHECK_EQ(system(cmd), 0);
	unlink(path);
}

TEST(json_writer_error_is_kept)
{
	FILE *f = fopen("/dev/full", "w");
	struct json_writer jw;

	CHECK(f);
	json_writer__init(&jw, f);
	for (int i = 0; i < 100000; i++)
		json_writer__string(&jw, "some text to fill the buffer");
	CHECK_EQ(json_writer__flush(&jw), -ENOSPC);
	CHECK_EQ(json_writer__error(&jw), -ENOSPC);
	fclose(f);
}
