// SPDX-License-Identifier: MIT
/*
 * summary_procs: the summary's processes. The edge cases here (one process
 * and no rows, several processes and no rows) once did arithmetic on a NULL
 * array and called qsort(NULL, 0): `make unit-ubsan` runs these under
 * -fsanitize=undefined, where that aborts the test.
 */
#include <unistd.h>
#include "unit.h"
#include "output/summary_procs.h"

static char *procs_print(struct summary_procs *sp, const struct func_names *names)
{
	struct session_stats st = {};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f);
	CHECK_EQ(summary_procs__print(sp, names, &st, f), 0);
	CHECK_EQ(fclose(f), 0);
	return text;
}

static void procs_add(struct summary_procs *sp, uint32_t pid, const char *exe)
{
	struct in_process p = { .pid = pid, .version_hex = 0x030b0000 };
	struct summary_func none = {};
	struct hot_funcs hot = {};

	snprintf(p.exe, sizeof(p.exe), "%s", exe);
	CHECK_EQ(summary_procs__process(sp, &p, &none, 0, &hot), 0);
}

TEST(summary_procs_one_process_no_rows)
{
	struct summary_procs sp;
	struct func_names names = {};
	char *out;

	CHECK_EQ(summary_procs__init(&sp), 0);
	procs_add(&sp, 10, "/usr/bin/python3");
	out = procs_print(&sp, &names);
	CHECK(strstr(out, "process 10: Python 3.11"));
	free(out);
	summary_procs__free(&sp);
}

TEST(summary_procs_two_processes_no_rows)
{
	struct summary_procs sp;
	struct func_names names = {};
	char *out;

	CHECK_EQ(summary_procs__init(&sp), 0);
	procs_add(&sp, 10, "/usr/bin/python3");
	procs_add(&sp, 11, "/usr/bin/python3");
	out = procs_print(&sp, &names);
	CHECK(strstr(out, "process 10:"));
	CHECK(strstr(out, "process 11:"));
	CHECK(strstr(out, "calls: 0 completed\n"));
	free(out);
	summary_procs__free(&sp);
}

TEST(summary_procs_no_process)
{
	struct summary_procs sp;
	struct func_names names = {};
	char *out;

	CHECK_EQ(summary_procs__init(&sp), 0);
	out = procs_print(&sp, &names);
	CHECK_STR(out, "");
	free(out);
	summary_procs__free(&sp);
}
