/* SPDX-License-Identifier: MIT */
/* Convert the raw characters of a CPython str (as the BPF side copied them) to UTF-8. */
#ifndef TRACER_PYSTR_H
#define TRACER_PYSTR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Code point CP as UTF-8 into O (up to 4 bytes): its length. Lone
 * surrogates and code points past U+10FFFF become U+FFFD. */
size_t pystr__put_utf8(char *o, uint32_t cp);
/* RAW holds min(len_chars * kind, cap) bytes of a str of LEN_CHARS
 * characters in encoding ENC (kind | TR_STR_ASCII, see tracer.h). Returns a
 * malloc'ed NUL-terminated UTF-8 string; a string cut by CAP ends with
 * "..." and sets *TRUNCATED. ENC 0 (unreadable) gives "<unreadable>".
 * Invalid code points (lone surrogates, > U+10FFFF) become U+FFFD.
 * ENC TR_STR_UTF8: RAW holds min(LEN_CHARS, CAP) bytes of UTF-8 (a C
 * string), copied as they are.
 * NULL only when out of memory. */
char *pystr__to_utf8(const void *raw, size_t cap, uint32_t len_chars, uint8_t enc,
		     bool *truncated);
#endif
