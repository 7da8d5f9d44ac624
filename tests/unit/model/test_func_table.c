// SPDX-License-Identifier: MIT
#include "unit.h"
#include "model/func_table.h"

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

TEST(func_table_line_identities)
{
	struct func_table *ft = func_table__new();
	bool is_new;
	uint32_t f = func_table__intern(ft, "f", "/a.py", 3, &is_new)->id;
	uint32_t g = func_table__intern(ft, "g", "/a.py", 9, &is_new)->id;
	const struct func_info *l = func_table__intern_line(ft, f, 5, &is_new);
	CHECK(l && is_new);
	uint32_t f5 = l->id;
	CHECK_STR(l->qualname, "f:5");
	CHECK_STR(l->file, "/a.py");
	CHECK_EQ(l->line, 3);
	CHECK_EQ(l->base, f + 1);
	CHECK_EQ(l->at_line, 5);
	l = func_table__intern_line(ft, f, 0, &is_new);
	CHECK(l && is_new);
	CHECK_STR(l->qualname, "f:?");
	l = func_table__intern_line(ft, g, 5, &is_new);
	CHECK(l && is_new && l->id != f5);
	CHECK_STR(l->qualname, "g:5");
	/* again, after the table grew: the same identity, not new */
	for (int i = 0; i < 600; i++)
		CHECK(func_table__intern_line(ft, g, 100 + i, &is_new) && is_new);
	l = func_table__intern_line(ft, f, 5, &is_new);
	CHECK(l && !is_new);
	CHECK_EQ(l->id, f5);
	/* the name interned on its own is the same identity */
	CHECK_EQ(func_table__intern(ft, "f:5", "/a.py", 3, &is_new)->id, f5);
	CHECK(!is_new);
	CHECK(!func_table__intern_line(ft, 9999, 1, &is_new));
	func_table__free(ft);
}
