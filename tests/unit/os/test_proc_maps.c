// SPDX-License-Identifier: MIT
/* proc_maps on hand-written maps text and on this test process itself. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "os/proc_maps.h"

static const char proc_maps_sample[] =
	"560f7bd09000-560f7bd0b000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
	"560f7bd0b000-560f7bd10000 r-xp 00002000 fe:00 247134                     /usr/bin/cat\n"
	"560fad93f000-560fad960000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f100da55000-7f100da77000 rw-p 00000000 00:00 0 \n"
	"7f100da77000-7f100da78000 rw-p 00000000 00:00 0\n"
	"7f100dafe000-7f100dc54000 r-xp 00026000 103:0a 332835                    /usr/lib/my lib/lib c.so.6\n"
	"7f100dcbd000-7f100dcc4000 r--s 00000000 fe:01 18446744073709551615       /tmp/x.so (deleted)\n"
	"7ffd5a1e8000-7ffd5a1ea000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

static void proc_maps_parse_ok(const char *text, struct proc_maps *m)
{
	CHECK_EQ(proc_maps__parse(text, strlen(text), m), 0);
}

TEST(proc_maps_parse_sample)
{
	struct proc_maps m = { 0 };
	const struct map_entry *e;

	proc_maps_parse_ok(proc_maps_sample, &m);
	CHECK_EQ(m.n, 9);

	e = &m.v[0];
	CHECK_EQ(e->start, 0x560f7bd09000ULL);
	CHECK_EQ(e->end, 0x560f7bd0b000ULL);
	CHECK_EQ(e->offset, 0);
	CHECK_EQ(e->dev_major, 0xfe);
	CHECK_EQ(e->dev_minor, 0);
	CHECK_EQ(e->inode, 247134);
	CHECK_STR(e->perms, "r--p");
	CHECK_STR(e->path, "/usr/bin/cat");

	CHECK_EQ(m.v[1].offset, 0x2000);
	CHECK_STR(m.v[1].perms, "r-xp");
	CHECK_STR(m.v[2].path, "[heap]");
	CHECK_STR(m.v[3].path, "");	/* anonymous, trailing space */
	CHECK_STR(m.v[4].path, "");	/* anonymous, no trailing space */
	CHECK_EQ(m.v[4].end, 0x7f100da78000ULL);

	e = &m.v[5];
	CHECK_STR(e->path, "/usr/lib/my lib/lib c.so.6");
	CHECK_EQ(e->dev_major, 0x103);
	CHECK_EQ(e->dev_minor, 0xa);
	CHECK_EQ(e->offset, 0x26000);

	e = &m.v[6];
	CHECK_STR(e->path, "/tmp/x.so (deleted)");
	CHECK_STR(e->perms, "r--s");
	CHECK(e->inode == UINT64_MAX);
	CHECK_EQ(e->dev_minor, 1);

	CHECK_STR(m.v[7].path, "[vdso]");
	e = &m.v[8];	/* the last line has no '\n' */
	CHECK(e->start == 0xffffffffff600000ULL);
	CHECK(e->end == 0xffffffffff601000ULL);
	CHECK_STR(e->perms, "--xp");
	CHECK_STR(e->path, "[vsyscall]");
	proc_maps__free(&m);
	CHECK(m.v == NULL);
	CHECK_EQ(m.n, 0);
}

TEST(proc_maps_parse_empty)
{
	struct proc_maps m = { 0 };

	CHECK_EQ(proc_maps__parse("", 0, &m), 0);
	CHECK_EQ(m.n, 0);
	proc_maps__free(&m);
}

TEST(proc_maps_parse_respects_len)
{
	struct proc_maps m = { 0 };
	/* LEN stops inside the path of the first line: the rest is not read */
	const char *t = "1000-2000 r-xp 00000000 fe:00 12 /usr/lib/libfoo.so\n3000-zz";

	CHECK_EQ(proc_maps__parse(t, strlen("1000-2000 r-xp 00000000 fe:00 12 /usr/lib/lib"), &m), 0);
	CHECK_EQ(m.n, 1);
	CHECK_STR(m.v[0].path, "/usr/lib/lib");
	proc_maps__free(&m);
	/* and inside the inode of the second line: that one is malformed */
	const char *u = "1000-2000 r-xp 00000000 fe:00 12 /a\n3000-4000 r-xp 00000000 fe:00 ";

	CHECK_EQ(proc_maps__parse(u, strlen(u), &m), -EINVAL);
}

static void proc_maps_bad(const char *line)
{
	/* a good line first, so that failure must free what was parsed */
	char text[512];
	struct proc_maps m = { 0 };

	snprintf(text, sizeof(text), "1000-2000 r-xp 00000000 fe:00 12 /ok\n%s\n", line);
	if (proc_maps__parse(text, strlen(text), &m) != -EINVAL) {
		fprintf(stderr, "  accepted: \"%s\"\n", line);
		CHECK(!"malformed line accepted");
	}
	CHECK(m.v == NULL);
	CHECK_EQ(m.n, 0);
}

TEST(proc_maps_parse_malformed)
{
	proc_maps_bad("");					/* empty line */
	proc_maps_bad("1000-2000 r-xp 00000000 fe:00");		/* no inode */
	proc_maps_bad("1000-2000 r-xp 00000000");		/* no dev */
	proc_maps_bad("1000-2000 r-xp");
	proc_maps_bad("1000-2000");
	proc_maps_bad("1000");
	proc_maps_bad("1000 2000 r-xp 00000000 fe:00 12 /x");	/* no '-' */
	proc_maps_bad("10g0-2000 r-xp 00000000 fe:00 12 /x");	/* bad hex */
	proc_maps_bad("1000-2000 r-xp 0000z000 fe:00 12 /x");
	proc_maps_bad("1000-2000 r-xp 00000000 fe:0g 12 /x");
	proc_maps_bad("1000-2000 r-xp 00000000 fe00 12 /x");	/* no ':' */
	proc_maps_bad("-2000 r-xp 00000000 fe:00 12 /x");	/* empty number */
	proc_maps_bad("1000-2000 r-xp 00000000 fe:00 1x2 /x");	/* bad decimal */
	proc_maps_bad("1000-2000 r-xp 00000000 fe:00 -12 /x");
	proc_maps_bad("1000-2000 rwxq 00000000 fe:00 12 /x");	/* bad perms */
	proc_maps_bad("1000-2000 r-x 00000000 fe:00 12 /x");
	proc_maps_bad("1000-2000 xr-p 00000000 fe:00 12 /x");
	proc_maps_bad("1000-2000  r-xp 00000000 fe:00 12 /x");	/* double space */
	proc_maps_bad("2000-1000 r-xp 00000000 fe:00 12 /x");	/* end < start */
	proc_maps_bad("2000-2000 r-xp 00000000 fe:00 12 /x");	/* empty */
	/* overlong numbers: 17 hex digits, 21-digit inode, 9-digit major */
	proc_maps_bad("10000000000000000-10000000000001000 r-xp 00000000 fe:00 12 /x");
	proc_maps_bad("1000-00000000000002000 r-xp 00000000 fe:00 12 /x");
	proc_maps_bad("1000-2000 r-xp 00000000 fe:00 184467440737095516150 /x");
	proc_maps_bad("1000-2000 r-xp 00000000 fe:00 18446744073709551616 /x");
	proc_maps_bad("1000-2000 r-xp 00000000 1fe000000:00 12 /x");
}

TEST(proc_maps_lookup)
{
	struct proc_maps m = { 0 };
	const struct map_entry *e;
	uint64_t addr = 0;

	proc_maps_parse_ok(proc_maps_sample, &m);
	e = proc_maps__find_path(&m, "/usr/bin/cat");
	CHECK(e == &m.v[0]);
	CHECK(proc_maps__find_path(&m, "/usr/bin/ca") == NULL);
	CHECK(proc_maps__find_path(&m, "/tmp/x.so") == NULL);
	CHECK(proc_maps__find_path(&m, "/tmp/x.so (deleted)") == &m.v[6]);
	CHECK(proc_maps__find_basename_prefix(&m, "lib c.") == &m.v[5]);
	CHECK(proc_maps__find_basename_prefix(&m, "cat") == &m.v[0]);
	CHECK(proc_maps__find_basename_prefix(&m, "my lib") == NULL);	/* a dir */
	CHECK(proc_maps__find_basename_prefix(&m, "libpython3.") == NULL);

	/* /usr/bin/cat: [0x560f7bd09000, +0x2000) at 0, [0x560f7bd0b000, +0x5000) at 0x2000 */
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/bin/cat", 0x10, &addr), 0);
	CHECK_EQ(addr, 0x560f7bd09010ULL);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/bin/cat", 0x1fff, &addr), 0);
	CHECK_EQ(addr, 0x560f7bd0afffULL);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/bin/cat", 0x2000, &addr), 0);
	CHECK_EQ(addr, 0x560f7bd0b000ULL);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/bin/cat", 0x3456, &addr), 0);
	CHECK_EQ(addr, 0x560f7bd0c456ULL);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/bin/cat", 0x6fff, &addr), 0);
	CHECK_EQ(addr, 0x560f7bd0ffffULL);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/bin/cat", 0x7000, &addr), -ENOENT);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/bin/ca", 0x10, &addr), -ENOENT);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/lib/my lib/lib c.so.6", 0x25fff, &addr),
		 -ENOENT);
	CHECK_EQ(proc_maps__addr_of_offset(&m, "/usr/lib/my lib/lib c.so.6", 0x26001, &addr), 0);
	CHECK_EQ(addr, 0x7f100dafe001ULL);
	proc_maps__free(&m);
}

static int proc_maps_marker(void)
{
	return 7;
}

TEST(proc_maps_read_self)
{
	struct proc_maps m = { 0 };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	uint64_t fn = (uint64_t)(uintptr_t)&proc_maps_marker;
	const struct map_entry *hit = NULL;

	CHECK(n > 0);
	exe[n] = '\0';
	CHECK_EQ(proc_maps__read(getpid(), &m), 0);
	CHECK(m.n > 5);
	CHECK(proc_maps__find_path(&m, exe) != NULL);
	/* the code of this very function lies in an executable mapping of exe */
	for (size_t i = 0; i < m.n; i++)
		if (m.v[i].start <= fn && fn < m.v[i].end)
			hit = &m.v[i];
	CHECK(hit != NULL);
	CHECK_STR(hit->path, exe);
	CHECK_EQ(hit->perms[2], 'x');
	/* and the mapping of offset 0 of exe starts where offset 0 maps */
	uint64_t addr = 0;
	CHECK_EQ(proc_maps__addr_of_offset(&m, exe, 0, &addr), 0);
	CHECK(addr == proc_maps__find_path(&m, exe)->start);
	CHECK(proc_maps__find_path(&m, "[stack]") != NULL);
	proc_maps__free(&m);
}

/* thousands of mappings: far more text than any single read returns */
TEST(proc_maps_read_large)
{
	enum { N = 3000 };
	long pg = sysconf(_SC_PAGESIZE);
	char *area = mmap(NULL, (size_t)pg * 2 * N, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct proc_maps m = { 0 };
	size_t found = 0;

	CHECK(area != MAP_FAILED);
	/* alternate protections so the kernel cannot merge neighbours */
	for (size_t i = 0; i < 2 * N; i += 2)
		CHECK(mprotect(area + i * pg, (size_t)pg, PROT_READ | PROT_WRITE) == 0);
	CHECK_EQ(proc_maps__read(getpid(), &m), 0);
	CHECK(m.n >= 2 * N);
	for (size_t i = 0; i < m.n; i++) {
		uint64_t s = m.v[i].start;

		if (s >= (uintptr_t)area && s < (uintptr_t)area + (size_t)pg * 2 * N)
			found++;
	}
	CHECK_EQ(found, 2 * N);
	/* the last one is there too */
	uint64_t last = (uintptr_t)area + (size_t)pg * (2 * N - 1);
	bool seen = false;
	for (size_t i = 0; i < m.n; i++)
		if (m.v[i].start == last && !strcmp(m.v[i].perms, "r--p"))
			seen = true;
	CHECK(seen);
	proc_maps__free(&m);
}

TEST(proc_maps_read_no_such_process)
{
	struct proc_maps m = { 0 };
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	CHECK(pid > 0);
	CHECK(waitpid(pid, NULL, 0) == pid);
	/* reaped: the pid is free (barring immediate reuse) */
	CHECK_EQ(proc_maps__read(pid, &m), -ESRCH);
	CHECK_EQ(proc_maps__read(INT_MAX, &m), -ESRCH);
	CHECK_EQ(proc_maps__read(0, &m), -ESRCH);
	CHECK_EQ(proc_maps__read(-1, &m), -ESRCH);
	CHECK(m.v == NULL);
}
