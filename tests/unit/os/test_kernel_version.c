// SPDX-License-Identifier: MIT
/* kernel_version: releases as uname -r spells them */
#include <stdio.h>
#include <sys/utsname.h>
#include "os/kernel_version.h"
#include "unit.h"

TEST(kernel_version_release_compared_by_major_then_minor)
{
	CHECK(kernel_version__release_at_least("6.18.44-fc-v1272", 6, 8));
	CHECK(kernel_version__release_at_least("6.8.0-31-generic", 6, 8));
	CHECK(!kernel_version__release_at_least("6.7.12", 6, 8));
	/* 6.10 is after 6.8: numbers, not strings */
	CHECK(kernel_version__release_at_least("6.10.1", 6, 8));
	CHECK(!kernel_version__release_at_least("6.1.0-28-amd64", 6, 6));
	CHECK(kernel_version__release_at_least("7.0", 6, 8));
	CHECK(!kernel_version__release_at_least("5.15.0", 6, 1));
}

TEST(kernel_version_unparsable_release_is_not_recent)
{
	CHECK(!kernel_version__release_at_least("", 0, 0));
	CHECK(!kernel_version__release_at_least("linux", 0, 0));
	CHECK(!kernel_version__release_at_least("6", 0, 0));
	CHECK(!kernel_version__release_at_least(NULL, 0, 0));
}

/* the running kernel, against its own release string */
TEST(kernel_version_of_the_running_kernel)
{
	struct utsname u;
	unsigned a = 0, b = 0;

	CHECK_EQ(uname(&u), 0);
	CHECK_EQ(sscanf(u.release, "%u.%u", &a, &b), 2);
	CHECK(kernel_version__at_least(a, b));
	CHECK(!kernel_version__at_least(a, b + 1));
	CHECK(!kernel_version__at_least(a + 1, 0));
}
