// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include "model/model.h"
#include "model/warnings.h"

void warnings__add(char (*w)[256], uint32_t *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= IN_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(w[*n], sizeof(w[0]), fmt, ap);
	va_end(ap);
	(*n)++;
}
