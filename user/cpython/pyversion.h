/* SPDX-License-Identifier: MIT */
#ifndef TRACER_PYVERSION_H
#define TRACER_PYVERSION_H
#include <stddef.h>
#include <stdint.h>

/* "3.11.2" when HEX (PY_VERSION_HEX style) came whole from the binary
 * (its release level byte is set), "3.10" when only major.minor is known. */
const char *pyversion__format(uint32_t hex, char *buf, size_t n);
#endif
