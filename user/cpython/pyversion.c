// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "cpython/pyversion.h"

const char *pyversion__format(uint32_t hex, char *buf, size_t n)
{
	unsigned major = hex >> 24, minor = (hex >> 16) & 0xff, micro = (hex >> 8) & 0xff;

	if (hex & 0xff)
		snprintf(buf, n, "%u.%u.%u", major, minor, micro);
	else
		snprintf(buf, n, "%u.%u", major, minor);
	return buf;
}
