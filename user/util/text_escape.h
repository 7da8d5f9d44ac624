/* SPDX-License-Identifier: MIT */
/*
 * Text that comes from a traced program (qualified names, file names,
 * thread and process names, module names) written into an output or onto
 * the terminal. The program chooses those bytes: a newline in a name would
 * forge records of a line-based format, an escape sequence would drive the
 * user's terminal, bytes that are not UTF-8 make a JSON, XML or protobuf
 * consumer refuse the file. Every writer of such text goes through one of
 * the rule sets here (or json_writer.h, xml_text.h, which use the UTF-8
 * rules below), each the rules of its format:
 *
 *  - terminal and LCOV ("visible"): kept as it is unless it is a control
 *    character; C0 controls, DEL, bytes that are not UTF-8 become \xHH, C1
 *    controls, line/paragraph separators and bidirectional overrides
 *    \uHHHH. The name stays readable and can no longer act.
 *  - folded stacks: ';' separates frames, so it becomes ','; controls a
 *    space (a newline would end the record); bytes that are not UTF-8
 *    U+FFFD.
 *  - protobuf strings (pprof, Perfetto): any character, but UTF-8; bytes
 *    that are not become U+FFFD.
 */
#ifndef TRACER_TEXT_ESCAPE_H
#define TRACER_TEXT_ESCAPE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* length of the well-formed UTF-8 sequence at P (before END; RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if none */
size_t text_escape__utf8_len(const unsigned char *p, const unsigned char *end);
/* the code point of the well-formed sequence of LEN bytes at P */
uint32_t text_escape__utf8_cp(const unsigned char *p, size_t len);
/* are the N bytes at S well-formed UTF-8? */
bool text_escape__is_utf8(const char *s, size_t n);
/* the length of the longest start of the N bytes at S that is at most MAX
 * bytes and does not cut a well-formed character (a malformed byte counts
 * as one character) */
size_t text_escape__utf8_prefix(const char *s, size_t n, size_t max);
/* the N bytes at S with each byte that is not part of well-formed UTF-8
 * replaced by U+FFFD: a new NUL-terminated string; NULL: no memory */
char *text_escape__utf8(const char *s, size_t n);

/* should code point CP be shown escaped on a terminal (C0, DEL, C1,
 * U+2028/2029, bidirectional controls)? */
bool text_escape__is_control(uint32_t cp);
/* the N bytes at S to F by the "visible" rules above; the ASCII characters
 * in ALSO (may be NULL) are written as \xHH too */
void text_escape__visible(FILE *f, const char *s, size_t n, const char *also);
/* S (NULL: "?") to F as the terminal may show it: the visible rules */
void text_escape__term(FILE *f, const char *s);
/* S as an LCOV field: a path (SF) or, NAME, a function name (FN, FNDA:
 * its ',' escaped too, as readers take the name up to a comma; an empty
 * name, which readers skip, written as "?") */
void text_escape__lcov(FILE *f, const char *s, bool name);
/* S as a frame of a folded stack: a new string; NULL: no memory */
char *text_escape__folded(const char *s);
#endif
