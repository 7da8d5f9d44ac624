// SPDX-License-Identifier: MIT
/* Streaming JSON output: RFC 8259 string escaping, UTF-8 repair. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "util/json_writer.h"
#include "util/text_escape.h"

void json_writer__init(struct json_writer *jw, FILE *f)
{
	jw->f = f;
	jw->err = 0;
}

static void json_writer__fail(struct json_writer *jw)
{
	if (!jw->err)
		jw->err = errno ? -errno : -EIO;
}

static void json_writer__bytes(struct json_writer *jw, const void *p, size_t n)
{
	if (jw->err || !n)
		return;
	errno = 0;
	if (fwrite_unlocked(p, 1, n, jw->f) != n)
		json_writer__fail(jw);
}

void json_writer__raw(struct json_writer *jw, const char *s)
{
	json_writer__bytes(jw, s, strlen(s));
}

void json_writer__printf(struct json_writer *jw, const char *fmt, ...)
{
	va_list ap;

	if (jw->err)
		return;
	va_start(ap, fmt);
	errno = 0;
	if (vfprintf(jw->f, fmt, ap) < 0)
		json_writer__fail(jw);
	va_end(ap);
}

void json_writer__string_n(struct json_writer *jw, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	const unsigned char *run = p;	/* bytes copied as they are */

	json_writer__bytes(jw, "\"", 1);
	while (p < end) {
		unsigned char c = *p;
		const char *esc = NULL;
		char ubuf[8];
		size_t len;

		if (c >= 0x20 && c != '"' && c != '\\') {
			len = text_escape__utf8_len(p, end);
			/* U+2028, U+2029: valid JSON, but line ends to
			 * JavaScript, where a JSON file often ends up */
			if (len == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] & 0xfe) == 0xa8) {
				json_writer__bytes(jw, run, p - run);
				json_writer__raw(jw, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
				run = p += 3;
				continue;
			}
			if (len) {
				p += len;
				continue;
			}
			esc = "\xef\xbf\xbd";	/* U+FFFD for one bad byte */
		} else {
			switch (c) {
			case '"': esc = "\\\""; break;
			case '\\': esc = "\\\\"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			default:
				snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
				esc = ubuf;
			}
		}
		json_writer__bytes(jw, run, p - run);
		json_writer__raw(jw, esc);
		run = ++p;
	}
	json_writer__bytes(jw, run, p - run);
	json_writer__bytes(jw, "\"", 1);
}

void json_writer__string(struct json_writer *jw, const char *s)
{
	json_writer__string_n(jw, s ? s : "", s ? strlen(s) : 0);
}

void json_writer__key(struct json_writer *jw, const char *key)
{
	json_writer__string(jw, key);
	json_writer__bytes(jw, ":", 1);
}

void json_writer__u64(struct json_writer *jw, uint64_t v)
{
	json_writer__printf(jw, "%llu", (unsigned long long)v);
}

void json_writer__usec(struct json_writer *jw, uint64_t ns)
{
	json_writer__printf(jw, "%llu.%03u", (unsigned long long)(ns / 1000),
			    (unsigned)(ns % 1000));
}

int json_writer__flush(struct json_writer *jw)
{
	if (!jw->err) {
		errno = 0;
		if (fflush(jw->f) || ferror(jw->f))
			json_writer__fail(jw);
	}
	return jw->err;
}

int json_writer__error(const struct json_writer *jw)
{
	return jw->err;
}
