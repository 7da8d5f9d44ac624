/* SPDX-License-Identifier: MIT */
/* Interned function identities: (qualname, file, line) -> dense id. */
#ifndef TRACER_FUNC_TABLE_H
#define TRACER_FUNC_TABLE_H
#include <stdbool.h>
#include "model/model.h"

struct func_table;

struct func_table *func_table__new(void);
void func_table__free(struct func_table *ft);
/* The identity for (QUALNAME, FILE, LINE), created if new (*IS_NEW set);
 * FILE is kept lexically normalized (model/path_norm.h).
 * The strings are copied. NULL when out of memory. */
const struct func_info *func_table__intern(struct func_table *ft, const char *qualname,
					   const char *file, uint32_t line, bool *is_new);
/* The identity of the C function QUALNAME of MODULE (--c-calls: c_func),
 * created if new (*IS_NEW set). NULL when out of memory. */
const struct func_info *func_table__intern_c(struct func_table *ft, const char *qualname,
					     const char *module, bool *is_new);
/* The identity of line AT_LINE (0: unknown) of function BASE (--lines):
 * named "qualname:AT_LINE" or "qualname:?", created if new. NULL when out
 * of memory or BASE is not known. */
const struct func_info *func_table__intern_line(struct func_table *ft, uint32_t base,
						uint32_t at_line, bool *is_new);
const struct func_info *func_table__get(const struct func_table *ft, uint32_t id);
uint32_t func_table__count(const struct func_table *ft);
#endif
