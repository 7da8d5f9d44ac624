/* SPDX-License-Identifier: MIT */
/*
 * Streaming JSON output over a FILE*: the few helpers the JSON sinks need.
 * Strings are escaped per RFC 8259 (and U+2028, U+2029, line ends to
 * JavaScript, as \u2028, \u2029); invalid UTF-8 bytes become U+FFFD, so
 * the output is always valid JSON whatever bytes a traced program used.
 * The first write error is remembered (as -errno) and later writes are
 * skipped, so a sink checks once, at the end.
 */
#ifndef TRACER_JSON_WRITER_H
#define TRACER_JSON_WRITER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_writer {
	FILE *f;
	int err;		/* first write error (-errno) or 0 */
};

void json_writer__init(struct json_writer *jw, FILE *f);
/* S as is (JSON punctuation, keys known to need no escaping) */
void json_writer__raw(struct json_writer *jw, const char *s);
void json_writer__printf(struct json_writer *jw, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* a quoted, escaped string; NULL is written as "" */
void json_writer__string(struct json_writer *jw, const char *s);
/* the same for N bytes (embedded NULs are escaped) */
void json_writer__string_n(struct json_writer *jw, const char *s, size_t n);
/* "key": */
void json_writer__key(struct json_writer *jw, const char *key);
void json_writer__u64(struct json_writer *jw, uint64_t v);
/* nanoseconds written as microseconds with 3 decimals: 1234567 -> 1234.567 */
void json_writer__usec(struct json_writer *jw, uint64_t ns);
/* flush the stream; the first error of any write so far, or 0 */
int json_writer__flush(struct json_writer *jw);
int json_writer__error(const struct json_writer *jw);
#endif
