// SPDX-License-Identifier: MIT
#include "unit.h"
#include "func_table.h"

TEST(func_table_interns_by_triple)
{
	struct func_table *ft = func_table__new();
	bool is_new;
	const struct func_info *a = func_table__intern(ft, "f", "/a.py", 1, &is_new);
	CHECK(a && is_new);
	uint32_t ida = a->id;
	const struct func_info *b = func_table__intern(ft, "f", "/a.py", 2, &is_new);
	CHECK(b && is_new && b->id != ida);
	const struct func_info *c = func_table__intern(ft, "f", "/b.py", 1, &is_new);
	CHECK(c && is_new);
	/* same triple again: same id, not new (even after the array grew) */
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "g%d", i);
		CHECK(func_table__intern(ft, name, "/c.py", i, &is_new));
	}
	a = func_table__intern(ft, "f", "/a.py", 1, &is_new);
	CHECK(!is_new);
	CHECK_EQ(a->id, ida);
	CHECK_STR(func_table__get(ft, ida)->file, "/a.py");
	CHECK_EQ(func_table__count(ft), 1003);
	func_table__free(ft);
}
