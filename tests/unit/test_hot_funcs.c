// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "hot_funcs.h"

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
	CHECK_EQ(hot_funcs__print(&h, &names, 0, m), 0);
	fclose(m);
	CHECK(strstr(text, " 100.00  100.00          2          2  work (/w.py:2)\n") != NULL);
	free(text);
	func_names__free(&names);
	hot_funcs__free(&h);
}
