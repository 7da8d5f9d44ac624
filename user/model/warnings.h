/* SPDX-License-Identifier: MIT */
/* The warning lists of the model (in_process, in_end, session_stats,
 * struct target): IN_MAX_WARNINGS lines of 256 bytes and a count. */
#ifndef MODEL_WARNINGS_H
#define MODEL_WARNINGS_H

#include <stdint.h>

/* Append the line printf(FMT, ...) to W, whose first *N lines are used:
 * cut at 255 bytes, dropped when the list is full. */
void warnings__add(char (*w)[256], uint32_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
