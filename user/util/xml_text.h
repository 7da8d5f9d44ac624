/* SPDX-License-Identifier: MIT */
#ifndef TRACER_XML_TEXT_H
#define TRACER_XML_TEXT_H
#include <stddef.h>
#include <stdio.h>
/*
 * Write S to F escaped for XML text and attribute values, cut to MAX
 * characters (ending in ".." when cut; SIZE_MAX: never). Bytes that are not
 * UTF-8 and characters XML does not allow become U+FFFD, so the document is
 * well-formed whatever names a program used. Errors show in ferror(F).
 */
void xml_text__put(FILE *f, const char *s, size_t max);
#endif
