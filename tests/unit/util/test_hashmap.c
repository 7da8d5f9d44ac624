// SPDX-License-Identifier: MIT
#include "unit.h"
#include "util/hashmap.h"

TEST(hashmap_set_get_del_many)
{
	struct hashmap *m = hashmap__new();
	enum { N = 5000 };

	CHECK(m);
	for (uintptr_t i = 1; i <= N; i++)
		CHECK_EQ(hashmap__set(m, i * 7919, (void *)i), 0);
	CHECK_EQ(hashmap__size(m), N);
	/* delete every third key: the others must stay reachable */
	for (uintptr_t i = 1; i <= N; i += 3)
		CHECK_EQ((uintptr_t)hashmap__del(m, i * 7919), i);
	for (uintptr_t i = 1; i <= N; i++) {
		void *v = hashmap__get(m, i * 7919);
		if ((i - 1) % 3 == 0)
			CHECK(v == NULL);
		else
			CHECK_EQ((uintptr_t)v, i);
	}
	size_t pos = 0, n = 0;
	uint64_t k;
	void *v;
	while (hashmap__next(m, &pos, &k, &v))
		n++;
	CHECK_EQ(n, hashmap__size(m));
	hashmap__free(m, NULL);
}

TEST(hashmap_replace_keeps_size)
{
	struct hashmap *m = hashmap__new();

	CHECK_EQ(hashmap__set(m, 0, (void *)1), 0);
	CHECK_EQ(hashmap__set(m, 0, (void *)2), 0);
	CHECK_EQ(hashmap__size(m), 1);
	CHECK_EQ((uintptr_t)hashmap__get(m, 0), 2);
	CHECK(hashmap__del(m, 12345) == NULL);
	hashmap__free(m, NULL);
}
