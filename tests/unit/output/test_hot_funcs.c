// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "output/hot_funcs.h"

static int add(struct hot_funcs *h, const uint32_t *funcs, uint32_t n)
{
	struct sample_rec r = { .funcs = funcs, .n_funcs = n, .period_ns = 10 };

	return hot_funcs__add(h, &r);
}

TEST(hot_funcs_self_and_total_count_recursion_once)
{
	struct hot_funcs h = {};
	/* innermost first: 3 <- 2 <- 2 <- 1 (2 recursing) */
	const uint32_t a[] = { 3, 2, 2, 1 }, b[] = { 2, 1 }, c[] = { 1 };
	uint32_t order[8];

	CHECK_EQ(add(&h, a, 4), 0);
	CHECK_EQ(add(&h, b, 2), 0);
	CHECK_EQ(add(&h, b, 2), 0);
	CHECK_EQ(add(&h, c, 1), 0);
	CHECK_EQ(h.samples, 4);
	CHECK_EQ(h.v[1].total, 4);
	CHECK_EQ(h.v[1].self, 1);
	CHECK_EQ(h.v[2].total, 3);	/* not 4: once per sample */
	CHECK_EQ(h.v[2].self, 2);
	CHECK_EQ(h.v[3].self, 1);
	CHECK_EQ(h.v[0].total, 0);
	/* by self, then total: 2, 1, 3 */
	CHECK_EQ(hot_funcs__order(&h, order), 3);
	CHECK(order[0] == 2 && order[1] == 1 && order[2] == 3);
	/* by total, then self (--sort total, tracer top's t): 1, 2, 3 */
	CHECK_EQ(hot_funcs__order_by(&h, order, true), 3);
	CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3);
	hot_funcs__free(&h);
	CHECK(!h.v && !h.samples);
}

TEST(hot_funcs_prints_percentages)
{
	struct hot_funcs h = {};
	struct func_names names = {};
	struct func_info f = { .id = 0, .qualname = "work", .file = "/w.py", .line = 2 };
	const uint32_t a[] = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	CHECK_EQ(func_names__set(&names, &f), 0);
	CHECK_EQ(add(&h, a, 1), 0);
	CHECK_EQ(add(&h, a, 1), 0);
	CHECK_EQ(hot_funcs__print(&h, &names, 0, false, m), 0);
	fclose(m);
	CHECK(strstr(text, " 100.00  100.00          2          2  work (/w.py:2)\n") != NULL);
	free(text);
	func_names__free(&names);
	hot_funcs__free(&h);
}

TEST(hot_funcs_cut_table_goes_on_with_the_callers_by_total)
{
	struct hot_funcs h = {};
	struct func_names names = {};
	struct func_info fi[4] = {
		{ .id = 0, .qualname = "caller", .file = "/w.py", .line = 1 },
		{ .id = 1, .qualname = "leaf", .file = "/w.py", .line = 5 },
		{ .id = 2, .qualname = "once", .file = "/w.py", .line = 9 },
		{ .id = 3, .qualname = "twice", .file = "/w.py", .line = 12 },
	};
	/* leaf under caller 4 times; once and twice innermost, alone */
	const uint32_t a[] = { 1, 0 }, b[] = { 2 }, c[] = { 3 };
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	for (int i = 0; i < 4; i++)
		CHECK_EQ(func_names__set(&names, &fi[i]), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(add(&h, a, 2), 0);
	CHECK_EQ(add(&h, b, 1), 0);
	CHECK_EQ(add(&h, c, 1), 0);
	CHECK_EQ(add(&h, c, 1), 0);
	/* by self: leaf 4, twice 2 | cut; caller (total 4) before once (1) */
	CHECK_EQ(hot_funcs__print(&h, &names, 2, false, m), 0);
	fclose(m);
	CHECK(strstr(text, "leaf (/w.py:5)\n") < strstr(text, "twice (/w.py:12)\n"));
	CHECK(strstr(text, "... 2 more functions; of those, the 2 on the most stacks:\n"
		      "   0.00   57.14          0          4  caller (/w.py:1)\n"
		      "  14.29   14.29          1          1  once (/w.py:9)\n") != NULL);
	CHECK(strstr(text, "... 0 more") == NULL);
	free(text);
	/* by total (--sort total): leaf and caller (4 each, leaf by self) | cut;
	 * then of those left, the most often innermost: twice (2), once (1) */
	text = NULL;
	m = open_memstream(&text, &len);
	CHECK_EQ(hot_funcs__print(&h, &names, 2, true, m), 0);
	fclose(m);
	CHECK(strstr(text, "leaf (/w.py:5)\n") < strstr(text, "caller (/w.py:1)\n"));
	CHECK(strstr(text, "... 2 more functions; of those, the 2 most often innermost:\n"
		      "  28.57   28.57          2          2  twice (/w.py:12)\n"
		      "  14.29   14.29          1          1  once (/w.py:9)\n") != NULL);
	free(text);
	func_names__free(&names);
	hot_funcs__free(&h);
}
