// SPDX-License-Identifier: MIT
#include "unit.h"
#include "output/sample_stack.h"

/* the slices told, as "O f@t" / "C f@t:n" (n: its samples) */
struct log {
	char text[512];
};

static int record(void *ctx, uint64_t at, const struct sample_frame *f, bool open)
{
	struct log *l = ctx;
	size_t n = strlen(l->text);

	if (open)
		snprintf(l->text + n, sizeof(l->text) - n, "O%u@%llu ", f->func,
			 (unsigned long long)at);
	else
		snprintf(l->text + n, sizeof(l->text) - n, "C%u@%llu:%u ", f->func,
			 (unsigned long long)at, f->samples);
	return 0;
}

static void sample(struct sample_stack *s, struct log *l, uint64_t ts,
		   const uint32_t *funcs, uint32_t n)
{
	struct sample_rec r = { .pid = 1, .tid = 1, .ts = ts, .period_ns = 10,
				.funcs = funcs, .n_funcs = n };

	CHECK_EQ(sample_stack__sample(s, &r, record, l), 0);
}

TEST(sample_stack_keeps_shared_frames_open)
{
	struct sample_stack s = { 0 };
	struct log l = { "" };
	/* innermost first: 1 <- 2 <- 3 (3 outermost) */
	const uint32_t a[] = { 1, 2, 3 }, b[] = { 4, 2, 3 }, c[] = { 3 };

	sample(&s, &l, 100, a, 3);
	sample(&s, &l, 110, a, 3);	/* the same stack: nothing moves */
	sample(&s, &l, 120, b, 3);	/* 1 closes, 4 opens; 3 and 2 stay */
	sample(&s, &l, 130, c, 1);
	CHECK_STR(l.text, "O3@100 O2@100 O1@100 C1@120:2 O4@120 C4@130:1 C2@130:3 ");
	CHECK_EQ(sample_stack__close(&s, record, &l), 0);
	/* the end of the last sample's period */
	CHECK(strstr(l.text, "C3@140:4 ") != NULL);
	sample_stack__free(&s);
}

TEST(sample_stack_closes_after_a_gap)
{
	struct sample_stack s = { 0 };
	struct log l = { "" };
	const uint32_t a[] = { 1, 2 };

	sample(&s, &l, 100, a, 2);
	sample(&s, &l, 115, a, 2);	/* 1.5 periods after: still open */
	sample(&s, &l, 141, a, 2);	/* off CPU since 125: closed then */
	CHECK_STR(l.text, "O2@100 O1@100 C1@125:2 C2@125:2 O2@141 O1@141 ");
	sample_stack__free(&s);
}

TEST(sample_stack_recursion_is_one_slice_per_frame)
{
	struct sample_stack s = { 0 };
	struct log l = { "" };
	const uint32_t a[] = { 5, 5, 5 }, b[] = { 5, 5 };

	sample(&s, &l, 100, a, 3);
	sample(&s, &l, 110, b, 2);
	CHECK_STR(l.text, "O5@100 O5@100 O5@100 C5@110:1 ");
	CHECK_EQ(s.depth, 2);
	CHECK_EQ(s.open[0].samples, 2);
	sample_stack__free(&s);
}
