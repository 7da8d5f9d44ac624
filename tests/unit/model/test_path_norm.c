// SPDX-License-Identifier: MIT
#include <string.h>
#include "unit.h"
#include "model/func_table.h"
#include "model/path_norm.h"

static const char *norm(char *buf, size_t n, const char *in, bool *changed)
{
	snprintf(buf, n, "%s", in);
	*changed = path_norm__apply(buf);
	return buf;
}

TEST(path_norm_lexical)
{
	/* in, out: what os.path.normpath gives, but "//x" is "/x" (Linux) */
	static const char *const cases[][2] = {
		{ "/x/../w.py", "/w.py" },
		{ "/a/b/../../c/./d.py", "/c/d.py" },
		{ "//srv///app/./m.py", "/srv/app/m.py" },
		{ "/../../w.py", "/w.py" },
		{ "/a/..", "/" },
		{ "/", "/" },
		{ "/a/b/", "/a/b" },
		{ "./w.py", "w.py" },
		{ "a/../w.py", "w.py" },
		{ "a/..", "." },
		{ "../w.py", "../w.py" },
		{ "../../a/../w.py", "../../w.py" },
		{ "../a/..", ".." },
		{ "a/./b/../../../c", "../c" },
		{ "/srv/app.d/..hidden/...py", "/srv/app.d/..hidden/...py" },
		{ "<frozen importlib._bootstrap>", "<frozen importlib._bootstrap>" },
		{ "<string>", "<string>" },
		{ "", "" },
	};
	char buf[128];
	bool changed;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_STR(norm(buf, sizeof(buf), cases[i][0], &changed), cases[i][1]);
		CHECK_EQ(changed, strcmp(cases[i][0], cases[i][1]) != 0);
	}
}

TEST(path_norm_func_table_one_identity)
{
	struct func_table *ft = func_table__new();
	bool is_new;
	const struct func_info *a = func_table__intern(ft, "f", "/x/../w.py", 3, &is_new);
	uint32_t id;

	CHECK(a && is_new);
	CHECK_STR(a->file, "/w.py");
	id = a->id;
	a = func_table__intern(ft, "f", "/w.py", 3, &is_new);
	CHECK(a && !is_new && a->id == id);
	func_table__free(ft);
}
