// SPDX-License-Identifier: MIT
/* The sources of user/capture/py/ as data (see py_sources.h). */
#include "capture/py_sources.h"

#define EMBED(sym, file)                                  \
	__asm__(".pushsection .rodata\n"                  \
		".global " #sym "\n"                      \
		".type " #sym ", @object\n"               \
		#sym ":\n"                                \
		".incbin \"" file "\"\n"                  \
		".byte 0\n"                               \
		".size " #sym ", . - " #sym "\n"          \
		".popsection\n")

EMBED(py_cover_rules, "user/capture/py/cover_rules.py");
EMBED(py_cover_map, "user/capture/py/cover_map.py");
EMBED(py_cover_boot, "user/capture/py/cover_boot.py");
