/* SPDX-License-Identifier: MIT */
/*
 * Code maps (docs/coverage-map.md): the text user/capture/py/cover_map.py prints
 * about a process's files, parsed into struct codemap (model.h).
 */
#ifndef TRACER_CODEMAP_H
#define TRACER_CODEMAP_H
#include <stddef.h>
#include "model/model.h"

/* Parse the code map of IN (its text is not kept). NULL on a malformed
 * text (ERR says which line) or no memory. */
struct codemap *codemap__parse(const struct in_codemap *in, char *err, size_t errlen);
void codemap__free(struct codemap *m);


/* Undo the text's escapes (\\ \n \r \t) of N bytes at S into a new
 * NUL-terminated string; NULL on a bad escape or no memory. */
char *codemap__unescape(const char *s, size_t n);
/* Escape S for the text (what cover_map.py reads on its stdin). */
char *codemap__escape(const char *s);
#endif
