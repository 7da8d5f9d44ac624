// SPDX-License-Identifier: MIT
#include <string.h>
#include "unit.h"
#include "model/wall_ticks.h"

#define MS 1000000ull

TEST(wall_ticks_weights_are_the_real_intervals)
{
	struct wall_ticks t;

	wall_ticks__init(&t, 10 * MS);
	/* the first tick stands for one period */
	CHECK_EQ(wall_ticks__tick(&t, 1000 * MS, 1), 10 * MS);
	/* on time, early, late by 3 ms (still one expiration) */
	CHECK_EQ(wall_ticks__tick(&t, 1010 * MS, 1), 10 * MS);
	CHECK_EQ(wall_ticks__tick(&t, 1019 * MS, 1), 9 * MS);
	CHECK_EQ(wall_ticks__tick(&t, 1032 * MS, 1), 13 * MS);
	CHECK_EQ(t.missed, 0);
	CHECK_EQ(t.late, 0);
	/* 25 ms later, the timer expired twice: one tick missed, one late */
	CHECK_EQ(wall_ticks__tick(&t, 1057 * MS, 2), 25 * MS);
	CHECK_EQ(t.missed, 1);
	CHECK_EQ(t.late, 1);
	CHECK_EQ(t.ticks, 5);
	CHECK_EQ(t.first_ns, 1000 * MS);
	CHECK_EQ(t.last_ns, 1057 * MS);
}

TEST(wall_ticks_weights_add_up_to_the_time_sampled)
{
	struct wall_ticks t;
	uint64_t now = 5 * MS, sum = 0;

	wall_ticks__init(&t, 10 * MS);
	/* an irregular ticker: 7..16 ms apart */
	for (int i = 0; i < 100; i++) {
		sum += wall_ticks__tick(&t, now, 1 + (i % 10 == 9));
		now += (7 + i % 10) * MS;
	}
	CHECK_EQ(sum, t.last_ns - t.first_ns + 10 * MS);
	CHECK_EQ(t.missed, 10);
	/* 99 intervals over the time: not the wanted 100/s */
	CHECK(wall_ticks__rate(&t) > 86.0 && wall_ticks__rate(&t) < 87.5);
}

TEST(wall_ticks_rate_needs_two_ticks_and_a_clock_that_moves)
{
	struct wall_ticks t;

	wall_ticks__init(&t, 10 * MS);
	CHECK(wall_ticks__rate(&t) == 0);
	wall_ticks__tick(&t, 50 * MS, 1);
	CHECK(wall_ticks__rate(&t) == 0);
	/* the same instant again: weighs nothing, never negative */
	CHECK_EQ(wall_ticks__tick(&t, 50 * MS, 1), 0);
	CHECK(wall_ticks__rate(&t) == 0);
	CHECK_EQ(wall_ticks__tick(&t, 40 * MS, 1), 0);
	CHECK_EQ(t.last_ns, 50 * MS);
}

TEST(wall_ticks_describe_says_the_rate_reached)
{
	struct wall_ticks t;
	char buf[300];

	wall_ticks__init(&t, 10 * MS);
	wall_ticks__tick(&t, 0, 1);
	wall_ticks__tick(&t, 20 * MS, 2);
	wall_ticks__tick(&t, 25 * MS, 1);
	wall_ticks__describe(&t, buf, sizeof(buf));
	CHECK(strstr(buf, "every 10.000 ms wanted (100.0 Hz): 3 run, 80.0/s reached, "
			  "1 missed, 1 late, 0 failed") != NULL);
	t.read_ns = 3 * 12500;
	wall_ticks__describe(&t, buf, sizeof(buf));
	CHECK(strstr(buf, "; 12.5 us a tick sampling the threads") != NULL);
}
