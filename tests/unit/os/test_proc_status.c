// SPDX-License-Identifier: MIT
/* proc_status: a process's ids, against what the kernel says to the
 * process itself (getresuid/getresgid) */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "os/proc_status.h"
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

/* a /proc/PID/stat line: its name may hold ") " and spaces */
TEST(proc_status_start_ticks_parsed_after_the_name)
{
	static const char line[] =
		"4242 (a) (b c) S 1 4242 4242 0 -1 4194560 2010 0 0 0 5 3 0 0 20 0 1 0 "
		"987654321 24170496 2508 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 "
		"0 0 0 0 0\n";
	unsigned long long t = 0;

	CHECK_EQ(proc_status__parse_start(line, sizeof(line) - 1, &t), 0);
	CHECK_EQ(t, 987654321ull);
	/* cut right after the field, without the rest or a newline */
	CHECK_EQ(proc_status__parse_start(line, strstr(line, "987654321") + 9 - line, &t), 0);
	CHECK_EQ(t, 987654321ull);
	/* cut inside the fields before it, no name, a letter in its place */
	CHECK_EQ(proc_status__parse_start(line, 40, &t), -EINVAL);
	CHECK_EQ(proc_status__parse_start("4242 a S 1", 10, &t), -EINVAL);
	static const char bad[] = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12x 0\n";
	CHECK_EQ(proc_status__parse_start(bad, sizeof(bad) - 1, &t), -EINVAL);
	static const char huge[] = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
		"123456789012345678901234567890 0\n";
	CHECK_EQ(proc_status__parse_start(huge, sizeof(huge) - 1, &t), -EINVAL);
}

/* this process started after boot and before now, after its parent */
TEST(proc_status_start_of_self)
{
	struct timespec now;
	uint64_t self = 0, parent = 0;

	CHECK_EQ(proc_status__start_ns(getpid(), &self), 0);
	CHECK_EQ(proc_status__start_ns(getppid(), &parent), 0);
	CHECK_EQ(clock_gettime(CLOCK_BOOTTIME, &now), 0);
	CHECK(self > 0);
	CHECK(parent <= self);
	CHECK(self <= (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec);
	CHECK_EQ(proc_status__start_ns(1 << 23, &self), -ENOENT);
}

/* the credentials of this process, against getresuid/getresgid/getgroups */
TEST(proc_status_creds_of_self)
{
	static struct proc_creds c;
	gid_t groups[PROC_MAX_GROUPS];
	int n = getgroups(PROC_MAX_GROUPS, groups);

	CHECK(n >= 0);
	CHECK_EQ(proc_status__creds(getpid(), &c), 0);
	CHECK_EQ(c.uid, geteuid());
	CHECK_EQ(c.gid, getegid());
	CHECK_EQ(c.n_groups, n);
	for (int i = 0; i < n && i < (int)c.n_groups; i++)
		CHECK_EQ(c.groups[i], groups[i]);
	CHECK_EQ(proc_status__creds(1 << 23, &c), -ENOENT);
}

/* effective ids are the second; groups may be none; every line checked */
TEST(proc_status_creds_parsed)
{
	static const char text[] = "Name:\tx\nUid:\t1000\t1001\t1002\t1003\n"
				   "Gid:\t50\t51\t52\t53\nFDSize:\t64\nGroups:\t4 24 27 \nNSpid:\t9\n";
	static const char none[] = "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n";
	static struct proc_creds c;
	char big[8192];
	size_t n;

	CHECK_EQ(proc_status__parse_creds(text, sizeof(text) - 1, &c), 0);
	CHECK_EQ(c.uid, 1001);
	CHECK_EQ(c.gid, 51);
	CHECK_EQ(c.n_groups, 3);
	CHECK_EQ(c.groups[0], 4);
	CHECK_EQ(c.groups[2], 27);
	CHECK_EQ(proc_status__parse_creds(none, sizeof(none) - 1, &c), 0);
	CHECK_EQ(c.n_groups, 0);
	/* no Groups line, a line cut short, a bad number, past 32 bits */
	CHECK_EQ(proc_status__parse_creds(text, strstr(text, "FDSize") - text, &c), -EINVAL);
	CHECK_EQ(proc_status__parse_creds(text, strstr(text, "27") - text, &c), -EINVAL);
	static const char *const bad[] = {
		"Uid:\t1 2x 3 4\nGid:\t1 1 1 1\nGroups:\n",
		"Uid:\t1 4294967296 3 4\nGid:\t1 1 1 1\nGroups:\n",
		"Uid:\t1 2 3\nGid:\t1 1 1 1\nGroups:\n",
		"Uid:\t1 2 3 4\nGroups:\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(proc_status__parse_creds(bad[i], strlen(bad[i]), &c), -EINVAL);
	/* more groups than kept: refused, not cut */
	n = snprintf(big, sizeof(big), "Uid:\t1 1 1 1\nGid:\t1 1 1 1\nGroups:");
	for (int i = 0; i <= PROC_MAX_GROUPS; i++)
		n += snprintf(big + n, sizeof(big) - n, " %d", i);
	n += snprintf(big + n, sizeof(big) - n, "\n");
	CHECK_EQ(proc_status__parse_creds(big, n, &c), -E2BIG);
}

/* the PPid: line, and this process's parent */
TEST(proc_status_ppid)
{
	int ppid = -1;

	CHECK_EQ(proc_status__parse_ppid("PPid:\t4242\n", &ppid), 0);
	CHECK_EQ(ppid, 4242);
	CHECK_EQ(proc_status__parse_ppid("PPid:\t0", &ppid), 0);
	CHECK_EQ(ppid, 0);
	CHECK_EQ(proc_status__parse_ppid("PPid:\t\n", &ppid), -EINVAL);
	CHECK_EQ(proc_status__parse_ppid("PPid:\t-1\n", &ppid), -EINVAL);
	CHECK_EQ(proc_status__parse_ppid("PPid:\t12x\n", &ppid), -EINVAL);
	CHECK_EQ(proc_status__parse_ppid("PPid:\t99999999999\n", &ppid), -EINVAL);
	CHECK_EQ(proc_status__parse_ppid("Pid:\t1\n", &ppid), -EINVAL);
	CHECK_EQ(proc_status__ppid(getpid(), &ppid), 0);
	CHECK_EQ(ppid, getppid());
	CHECK_EQ(proc_status__ppid(1 << 23, &ppid), -ENOENT);
}
