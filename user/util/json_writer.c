// SPDX-License-Identifier: MIT
/* Streaming JSON output: RFC 8259 string escaping, UTF-8 repair. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "util/json_writer.h"

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

/*
 * Length of the well-formed UTF-8 sequence at P (RFC 3629 table: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is none.
 */
static size_t utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
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
			len = utf8_seq_len(p, end);
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
