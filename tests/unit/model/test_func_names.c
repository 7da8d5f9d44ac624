// SPDX-License-Identifier: MIT
#include "unit.h"
#include "model/func_names.h"

TEST(func_names_set_get_replace)
{
	struct func_names fn = {};
	char q[] = "f";
	struct func_info a = { .id = 40, .qualname = q, .file = "/a.py", .line = 3 };

	CHECK(func_names__get(&fn, 40) == NULL);
	CHECK_EQ(func_names__set(&fn, &a), 0);
	q[0] = 'g';	/* the copy does not follow the caller's buffer */
	CHECK_STR(func_names__get(&fn, 40)->qualname, "f");
	CHECK_EQ(func_names__get(&fn, 40)->line, 3);
	CHECK(func_names__get(&fn, 39) == NULL);	/* a gap below a known id */
	CHECK(func_names__get(&fn, 41) == NULL);
	struct func_info b = { .id = 40, .qualname = "h", .file = "/b.py", .line = 9 };
	CHECK_EQ(func_names__set(&fn, &b), 0);
	CHECK_STR(func_names__get(&fn, 40)->file, "/b.py");
	func_names__free(&fn);
	CHECK(func_names__get(&fn, 40) == NULL);
}
