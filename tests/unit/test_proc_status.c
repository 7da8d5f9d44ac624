// SPDX-License-Identifier: MIT
/* proc_status: a process's ids, against what the kernel says to the
 * process itself (getresuid/getresgid) */
#include <errno.h>
#include <unistd.h>
#include "proc_status.h"
#include "unit.h"

TEST(proc_status_ids_of_self)
{
	uid_t u[4] = {}, ru, eu, su;
	gid_t g[4] = {}, rg, eg, sg;

	CHECK_EQ(getresuid(&ru, &eu, &su), 0);
	CHECK_EQ(getresgid(&rg, &eg, &sg), 0);
	CHECK_EQ(proc_status__ids(getpid(), u, g), 0);
	CHECK_EQ(u[0], ru);
	CHECK_EQ(u[1], eu);
	CHECK_EQ(u[2], su);
	CHECK_EQ(g[0], rg);
	CHECK_EQ(g[1], eg);
	CHECK_EQ(g[2], sg);
}

TEST(proc_status_no_such_process)
{
	uid_t u[4];
	gid_t g[4];

	/* above the largest pid_max (2^22) */
	CHECK_EQ(proc_status__ids(1 << 23, u, g), -ENOENT);
}
