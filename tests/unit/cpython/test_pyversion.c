// SPDX-License-Identifier: MIT
#include "unit.h"
#include "cpython/pyversion.h"

TEST(pyversion_full_and_minor_only)
{
	char b[16];
	CHECK_STR(pyversion__format(0x030b02f0, b, sizeof(b)), "3.11.2");
	CHECK_STR(pyversion__format(0x030d00f0, b, sizeof(b)), "3.13.0");
	CHECK_STR(pyversion__format(0x030a0000, b, sizeof(b)), "3.10");
}
