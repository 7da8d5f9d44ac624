// SPDX-License-Identifier: MIT
/* perf_map: the line parser (malformed lines), the whole-file parser into
 * TR_EV_JIT records, and the safe open (symlink, FIFO, owner). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "os/perf_map.h"

static int parse(const char *line, uint64_t *start, uint64_t *size, char *name)
{
	const char *n;
	size_t len;
	int ret = perf_map__parse_line(line, strlen(line), start, size, &n, &len);

	if (!ret) {
		memcpy(name, n, len);
		name[len] = 0;
	}
	return ret;
}

TEST(perf_map_line_cpython)
{
	uint64_t start, size;
	char name[128];

	CHECK_EQ(parse("7f8c6dec1000 b py::_find_and_load:<frozen importlib._bootstrap>",
		       &start, &size, name), 0);
	CHECK_EQ(start, 0x7f8c6dec1000ull);
	CHECK_EQ(size, 0xb);
	CHECK_STR(name, "py::_find_and_load:<frozen importlib._bootstrap>");
	/* 0x prefixes, upper case, spaces inside the name, a CR at the end */
	CHECK_EQ(parse("0x7F00 0X10 a name with spaces\r", &start, &size, name), 0);
	CHECK_EQ(start, 0x7f00);
	CHECK_EQ(size, 0x10);
	CHECK_STR(name, "a name with spaces");
	CHECK_EQ(parse("ffffffffffffffff 0 x", &start, &size, name), 0);
}

TEST(perf_map_line_malformed)
{
	static const char *const bad[] = {
		"",				/* empty */
		"7f00",				/* no size */
		"7f00 10",			/* no name */
		"7f00 10 ",			/* empty name */
		"7f00  10 name",		/* two spaces */
		"7f00\t10 name",		/* a tab */
		"xyz 10 name",			/* not hex */
		"7f00 1g name",			/* bad digit in the size */
		"0x 10 name",			/* a prefix without digits */
		"10000000000000000 1 name",	/* 17 digits: more than 64 bits */
		"ffffffffffffffff 2 name",	/* wraps around */
		" 7f00 10 name",		/* a leading space */
		"-7f00 10 name",		/* a sign */
	};
	uint64_t start, size;
	char name[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &start, &size, name) != -EINVAL) {
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	/* a NUL inside the name */
	const char *n;
	size_t len;
	CHECK_EQ(perf_map__parse_line("1 2 a\0b", 7, &start, &size, &n, &len), -EINVAL);
	/* the length is respected: nothing is read past it */
	CHECK_EQ(perf_map__parse_line("1 2 abc", 5, &start, &size, &n, &len), 0);
	CHECK_EQ(len, 1);
	CHECK_EQ(perf_map__parse_line("1 2 abc", 3, &start, &size, &n, &len), -EINVAL);
}

/* the records perf_map__parse hands over, kept */
struct kept {
	struct tr_ev_jit ev[8];
	size_t n;
};

static int keep(void *ctx, void *rec, size_t len)
{
	struct kept *k = ctx;

	if (k->n == 8 || len > sizeof(k->ev[0]))
		return -E2BIG;
	memcpy(&k->ev[k->n++], rec, len);
	return 0;
}

TEST(perf_map_parse_file)
{
	static char text[2048];
	static struct kept ev;
	uint64_t ranges = 0, malformed = 0;
	int n = 0;

	n += snprintf(text + n, sizeof(text) - n, "1000 10 first\n\ngarbage\n2000 20 second\n");
	/* a name longer than an event carries: cut, flagged */
	n += snprintf(text + n, sizeof(text) - n, "3000 30 ");
	memset(text + n, 'x', 600);
	n += 600;
	n += snprintf(text + n, sizeof(text) - n, "\n4000 100000000 too big\n5000 50 last");
	CHECK_EQ(perf_map__parse(text, n, 77, 555, keep, &ev, &ranges, &malformed), 0);
	CHECK_EQ(ev.n, 4);
	CHECK_EQ(ranges, 4);
	CHECK_EQ(malformed, 2);	/* garbage, a size over 32 bits */
	CHECK_EQ(ev.ev[0].hdr.type, TR_EV_JIT);
	CHECK_EQ(ev.ev[0].hdr.flags, TR_JIT_PERF_MAP);
	CHECK_EQ(ev.ev[0].hdr.pid, 77);
	CHECK_EQ(ev.ev[0].hdr.tid, 77);
	CHECK_EQ(ev.ev[0].hdr.ts, 555);
	CHECK_EQ(ev.ev[0].addr, 0x1000);
	CHECK_EQ(ev.ev[0].size, 0x10);
	CHECK_EQ(ev.ev[0].name_len, 5);
	CHECK_EQ(ev.ev[0].hdr.size, TR_JIT_FIXED + 5);
	CHECK(!memcmp(ev.ev[0].name, "first", 5));
	CHECK_EQ(ev.ev[2].hdr.flags, TR_JIT_PERF_MAP | TR_JIT_NAME_TRUNC);
	CHECK_EQ(ev.ev[2].name_len, TR_JIT_NAME_MAX - 1);
	CHECK_EQ(ev.ev[3].addr, 0x5000);	/* a last line without newline */
	CHECK(!memcmp(ev.ev[3].name, "last", 4));
	/* counting only; a callback's error stops the parse */
	ranges = malformed = 0;
	CHECK_EQ(perf_map__parse(text, n, 77, 555, NULL, NULL, &ranges, &malformed), 0);
	CHECK_EQ(ranges, 4);
	CHECK_EQ(malformed, 2);
	ev.n = 8;
	CHECK_EQ(perf_map__parse(text, n, 77, 555, keep, &ev, NULL, NULL), -E2BIG);
}

/* a directory of our own to plant things in */
static void tmp_dir(char *dir)
{
	strcpy(dir, "/tmp/perfmap_test_XXXXXX");
	CHECK(mkdtemp(dir));
}

static void path_of(char *buf, const char *dir, int pid)
{
	sprintf(buf, "%s/perf-%d.map", dir, pid);
}

TEST(perf_map_open_checks)
{
	uid_t me[4] = { getuid(), geteuid(), geteuid(), geteuid() };
	uid_t other[4] = { 12345, 12345, 12345, 12345 };
	char dir[64], p[128], link[160], err[256];
	int fd;

	tmp_dir(dir);
	/* none */
	CHECK_EQ(perf_map__open(dir, 42, me, err, sizeof(err)), -ENOENT);
	/* a regular file of ours: opened; of another uid: refused, said */
	path_of(p, dir, 42);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "1 2 x\n", 6) == 6);
	close(fd);
	fd = perf_map__open(dir, 42, me, err, sizeof(err));
	CHECK(fd >= 0);
	close(fd);
	err[0] = 0;
	CHECK_EQ(perf_map__open(dir, 42, other, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "owned by uid") && strstr(err, "not read"));
	/* a symlink planted at the name: not followed */
	path_of(link, dir, 43);
	CHECK(symlink(p, link) == 0);
	CHECK_EQ(perf_map__open(dir, 43, me, err, sizeof(err)), -ELOOP);
	CHECK(strstr(err, "symbolic link"));
	/* a FIFO: not opened for reading with blocking, refused */
	path_of(link, dir, 44);
	CHECK(mkfifo(link, 0600) == 0);
	CHECK_EQ(perf_map__open(dir, 44, me, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "not a regular file"));
	/* the directory itself through a symlink: not followed */
	sprintf(link, "%s/sub", dir);
	CHECK(symlink(dir, link) == 0);
	/* (O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR) */
	fd = perf_map__open(link, 42, me, err, sizeof(err));
	CHECK(fd == -ELOOP || fd == -ENOTDIR);
	/* cleanup */
	path_of(link, dir, 43);
	unlink(link);
	path_of(link, dir, 44);
	unlink(link);
	sprintf(link, "%s/sub", dir);
	unlink(link);
	unlink(p);
	rmdir(dir);
}

TEST(perf_map_age_from_times)
{
	const uint64_t s = 1000ull * 1000000000ull, slack = PERF_MAP_CLOCK_SLACK_NS;

	/* created and written after the start, or no birth time known */
	CHECK_EQ(perf_map__age(s + 1, s + 2, s), PERF_MAP_OWN);
	CHECK_EQ(perf_map__age(0, s + 2, s), PERF_MAP_OWN);
	/* within the leeway for a clock set since */
	CHECK_EQ(perf_map__age(s - slack, s - slack, s), PERF_MAP_OWN);
	/* created before, written since: some lines may be another's */
	CHECK_EQ(perf_map__age(s - slack - 1, s + 5, s), PERF_MAP_PREDATES);
	/* last written before: none is this process's */
	CHECK_EQ(perf_map__age(s - 2 * slack, s - slack - 1, s), PERF_MAP_STALE);
	CHECK_EQ(perf_map__age(0, s - slack - 1, s), PERF_MAP_STALE);
}

/* the perf map of this very process: read when written since it started,
 * refused (-ESTALE, said) when last written long before */
TEST(perf_map_read_refuses_an_earlier_process_s)
{
	char path[64], err[256] = "";
	struct perf_map m;
	struct timespec old[2] = { { 1000000, 0 }, { 1000000, 0 } };	/* 1970 */
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "1000 10 f\n", 10), 10);
	CHECK_EQ(perf_map__read(getpid(), &m, err, sizeof(err)), 0);
	CHECK_EQ(m.n, 1);
	CHECK(!m.predates);
	perf_map__free(&m);
	CHECK_EQ(futimens(fd, old), 0);
	CHECK_EQ(perf_map__read(getpid(), &m, err, sizeof(err)), -ESTALE);
	CHECK(strstr(err, "before PID") && strstr(err, "not read"));
	close(fd);
	unlink(path);
}
