// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <sys/utsname.h>
#include "os/kernel_version.h"

bool kernel_version__release_at_least(const char *release, unsigned major, unsigned minor)
{
	unsigned a = 0, b = 0;

	if (!release || sscanf(release, "%u.%u", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

bool kernel_version__at_least(unsigned major, unsigned minor)
{
	struct utsname u;

	return !uname(&u) && kernel_version__release_at_least(u.release, major, minor);
}
