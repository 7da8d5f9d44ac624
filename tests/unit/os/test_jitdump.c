// SPDX-License-Identifier: MIT
/* jitdump: the header's checks, code loads into TR_EV_JIT records, records
 * being written (left for the next read), malformed records, unknown ids,
 * resuming from the offset reached at every byte of a growing file, reads
 * of a buffer shorter than a record, times; and the file found through the
 * maps, opened through map_files, refused when not the process user's. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "os/jitdump.h"
#include "os/jitdump_file.h"

#define PID 4242

/* a jitdump being built */
struct vec {
	unsigned char b[1 << 18];
	size_t n;
};

static void put(struct vec *v, const void *p, size_t n)
{
	CHECK(v->n + n <= sizeof(v->b));
	memcpy(v->b + v->n, p, n);
	v->n += n;
}

static void put32(struct vec *v, uint32_t x)
{
	put(v, &x, 4);
}

static void put64(struct vec *v, uint64_t x)
{
	put(v, &x, 8);
}

static void zeros(struct vec *v, size_t n)
{
	CHECK(v->n + n <= sizeof(v->b));
	memset(v->b + v->n, 0, n);
	v->n += n;
}

static void header(struct vec *v, uint32_t magic, uint32_t version, uint32_t size, uint32_t pid,
		   uint64_t flags)
{
	put32(v, magic);
	put32(v, version);
	put32(v, size);
	put32(v, 62);		/* EM_X86_64 */
	put32(v, 0);
	put32(v, pid);
	put64(v, 1700000000000000ull);	/* wall-clock µs, as CPython writes */
	put64(v, flags);
	if (size > 40)
		zeros(v, size - 40);
}

/* a code load of NAME (NAME_LEN bytes, then NUL when NUL) and CODE bytes
 * of code, claiming TOTAL bytes (0: its real size) */
static void load_ex(struct vec *v, uint64_t ts, uint32_t pid, uint32_t tid, uint64_t addr,
		    uint64_t size, const char *name, size_t name_len, bool nul, size_t code,
		    uint32_t total)
{
	size_t real = JITDUMP_LOAD_FIXED + name_len + nul + code;

	put32(v, JITDUMP_CODE_LOAD);
	put32(v, total ? total : real);
	put64(v, ts);
	put32(v, pid);
	put32(v, tid);
	put64(v, addr);		/* vma */
	put64(v, addr);		/* code_addr */
	put64(v, size);
	put64(v, 7);		/* code_index */
	put(v, name, name_len);
	if (nul)
		zeros(v, 1);
	for (size_t i = 0; i < code; i++)
		put(v, "\xc3", 1);
}

static void load(struct vec *v, uint64_t ts, uint64_t addr, uint64_t size, const char *name)
{
	load_ex(v, ts, PID, PID + 1, addr, size, name, strlen(name), true, size, 0);
}

/* another record: ID, BODY bytes after the prefix */
static void other(struct vec *v, uint32_t id, size_t body)
{
	put32(v, id);
	put32(v, JITDUMP_PREFIX_SIZE + body);
	put64(v, 1000);
	zeros(v, body);
}

/* the records handed over, kept */
struct kept {
	struct tr_ev_jit ev[16];
	size_t n;
};

static int keep(void *ctx, void *rec, size_t len)
{
	struct kept *k = ctx;

	if (k->n == 16 || len > sizeof(k->ev[0]))
		return -E2BIG;
	memcpy(&k->ev[k->n++], rec, len);
	return 0;
}

static struct jitdump_emit emit(struct kept *k)
{
	return (struct jitdump_emit){
		.pid = PID, .not_before = 1000000, .now = 9000000, .fn = keep, .ctx = k,
	};
}

/* all of V at once */
static int parse_all(struct jitdump *d, const struct vec *v, struct kept *k)
{
	struct jitdump_emit e = emit(k);

	memset(d, 0, sizeof(*d));
	return jitdump__parse(d, v->b, v->n, v->n, &e);
}

TEST(jitdump_header_checks)
{
	static struct vec v;
	static struct kept k;
	struct jitdump d;

	/* accepted: a header alone (longer than the fields known) */
	header(&v, JITDUMP_MAGIC, 1, 48, PID, 0);
	CHECK_EQ(parse_all(&d, &v, &k), 0);
	CHECK(d.header && !d.broken);
	CHECK_EQ(d.offset, 48);
	CHECK_EQ(d.pid, PID);
	CHECK_EQ(d.elf_mach, 62);
	/* not all there yet: nothing read, nothing refused */
	memset(&d, 0, sizeof(d));
	struct jitdump_emit e = emit(&k);
	CHECK_EQ(jitdump__parse(&d, v.b, 39, 39, &e), 0);
	CHECK(!d.header && !d.broken);
	CHECK_EQ(d.offset, 0);
	CHECK_EQ(jitdump__parse(&d, v.b, 47, 47, &e), 0);
	CHECK(!d.header);
	/* refused, with the reason */
	static const struct {
		uint32_t magic, version, size;
		uint64_t flags;
		const char *why;
	} bad[] = {
		{ JITDUMP_MAGIC_SWAPPED, 1, 40, 0, "other byte order" },
		{ 0x7f454c46, 1, 40, 0, "not a jitdump" },
		{ JITDUMP_MAGIC, 2, 40, 0, "version 2" },
		{ JITDUMP_MAGIC, 0, 40, 0, "version 0" },
		{ JITDUMP_MAGIC, 1, 39, 0, "a header of 39 bytes" },
		{ JITDUMP_MAGIC, 1, 5000, 0, "a header of 5000 bytes" },
		{ JITDUMP_MAGIC, 1, 40, 0x2, "unknown header flags 0x2" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.n = 0;
		header(&v, bad[i].magic, bad[i].version, 40, PID, bad[i].flags);
		memcpy(v.b + 8, &bad[i].size, 4);
		CHECK_EQ(parse_all(&d, &v, &k), -EINVAL);
		CHECK(d.broken && !d.header);
		if (!strstr(d.why, bad[i].why))
			fprintf(stderr, "  case %zu: \"%s\"\n", i, d.why);
		CHECK(strstr(d.why, bad[i].why));
		/* and stays refused */
		CHECK_EQ(jitdump__parse(&d, v.b, v.n, v.n, &e), -EINVAL);
	}
	/* a byte-swapped magic is refused from its first 4 bytes */
	v.n = 0;
	put32(&v, JITDUMP_MAGIC_SWAPPED);
	memset(&d, 0, sizeof(d));
	CHECK_EQ(jitdump__parse(&d, v.b, 4, 4, &e), -EINVAL);
	CHECK(strstr(d.why, "byte order"));
	CHECK_EQ(k.n, 0);
}

TEST(jitdump_code_loads)
{
	static struct vec v;
	static struct kept k;
	struct jitdump d;

	header(&v, JITDUMP_MAGIC, 1, 40, PID, 0);
	other(&v, JITDUMP_CODE_UNWINDING_INFO, 100);
	load(&v, 2000000, 0x7f0000001000, 11, "py::f:/x.py");
	other(&v, JITDUMP_CODE_DEBUG_INFO, 24);
	other(&v, 99, 8);			/* unknown: skipped */
	other(&v, JITDUMP_CODE_MOVE, 40);	/* counted apart */
	load(&v, 500, 0x7f0000002000, 3, "early");	/* before the attach */
	load(&v, 99000000, 0x7f0000003000, 1, "late");	/* after the read?! */
	load(&v, 0, 0x7f0000004000, 1, "no time");
	other(&v, JITDUMP_CODE_CLOSE, 0);
	CHECK_EQ(parse_all(&d, &v, &k), 0);
	CHECK_EQ(d.offset, v.n);
	CHECK_EQ(d.records, 9);
	CHECK_EQ(d.loads, 4);
	CHECK_EQ(d.skipped, 4);
	CHECK_EQ(d.moves, 1);
	CHECK_EQ(d.malformed, 0);
	CHECK_EQ(k.n, 4);
	CHECK_EQ(k.ev[0].hdr.type, TR_EV_JIT);
	CHECK_EQ(k.ev[0].hdr.flags, TR_JIT_JITDUMP);
	CHECK_EQ(k.ev[0].hdr.pid, PID);
	CHECK_EQ(k.ev[0].hdr.tid, PID + 1);
	CHECK_EQ(k.ev[0].hdr.ts, 2000000);
	CHECK_EQ(k.ev[0].addr, 0x7f0000001000);
	CHECK_EQ(k.ev[0].size, 11);
	CHECK_EQ(k.ev[0].name_len, 11);
	CHECK_EQ(k.ev[0].hdr.size, TR_JIT_FIXED + 11);
	CHECK(!memcmp(k.ev[0].name, "py::f:/x.py", 11));
	/* times: clamped to [attach, read], none: the read's */
	CHECK_EQ(k.ev[1].hdr.flags, TR_JIT_JITDUMP | TR_JIT_BEFORE_ATTACH);
	CHECK_EQ(k.ev[1].hdr.ts, 1000000);
	CHECK_EQ(k.ev[2].hdr.flags, TR_JIT_JITDUMP);
	CHECK_EQ(k.ev[2].hdr.ts, 9000000);
	CHECK_EQ(k.ev[3].hdr.ts, 9000000);
	/* counting only */
	struct jitdump_emit e = { .pid = PID, .now = 1 };
	memset(&d, 0, sizeof(d));
	CHECK_EQ(jitdump__parse(&d, v.b, v.n, v.n, &e), 0);
	CHECK_EQ(d.loads, 4);
	/* a callback's error stops after the record it was given */
	k.n = 14;	/* room for two: the third load's record fails */
	CHECK_EQ(parse_all(&d, &v, &k), -E2BIG);
	CHECK_EQ(d.loads, 3);
	CHECK(d.offset > 40 && d.offset < v.n);
	CHECK(!d.broken);
}

TEST(jitdump_times_tids_names)
{
	static struct vec v;
	static struct kept k;
	static char longname[700];
	struct jitdump d;

	/* the CPU's counter: the read's time; at attach: the attach's */
	header(&v, JITDUMP_MAGIC, 1, 40, PID, JITDUMP_FLAG_ARCH_TIMESTAMP);
	load(&v, 5000000, 0x1000, 1, "a");
	CHECK_EQ(parse_all(&d, &v, &k), 0);
	CHECK_EQ(k.ev[0].hdr.ts, 9000000);
	struct jitdump_emit e = emit(&k);
	e.at_attach = true;
	memset(&d, 0, sizeof(d));
	CHECK_EQ(jitdump__parse(&d, v.b, v.n, v.n, &e), 0);
	CHECK_EQ(k.ev[1].hdr.ts, 1000000);
	CHECK_EQ(k.ev[1].hdr.flags, TR_JIT_JITDUMP | TR_JIT_BEFORE_ATTACH);
	/* a writer in another pid namespace (its pid is not ours): the
	 * thread ids are not the tracer's, the process's pid stands in */
	k.n = 0;
	v.n = 0;
	header(&v, JITDUMP_MAGIC, 1, 40, 7, 0);
	load_ex(&v, 2000000, 7, 8, 0x1000, 1, "a", 1, true, 1, 0);
	CHECK_EQ(parse_all(&d, &v, &k), 0);
	CHECK_EQ(k.ev[0].hdr.pid, PID);
	CHECK_EQ(k.ev[0].hdr.tid, PID);
	/* a name longer than a record carries: cut, flagged; an empty one */
	v.n = 0;
	header(&v, JITDUMP_MAGIC, 1, 40, PID, 0);
	memset(longname, 'n', sizeof(longname) - 1);
	load(&v, 2000000, 0x1000, 1, longname);
	load(&v, 2000000, 0x2000, 1, "");
	CHECK_EQ(parse_all(&d, &v, &k), 0);
	CHECK_EQ(k.ev[1].hdr.flags, TR_JIT_JITDUMP | TR_JIT_NAME_TRUNC);
	CHECK_EQ(k.ev[1].name_len, TR_JIT_NAME_MAX - 1);
	CHECK_EQ(k.ev[2].name_len, 0);
	CHECK_EQ(d.loads, 2);
}

TEST(jitdump_malformed_records)
{
	static struct vec v;
	static struct kept k;
	struct jitdump d;

	header(&v, JITDUMP_MAGIC, 1, 40, PID, 0);
	load(&v, 2000000, 0x1000, 4, "ok");
	/* a name without NUL in its record */
	load_ex(&v, 2000000, PID, PID, 0x2000, 0, "nonul", 5, false, 0, 0);
	/* name and code overrun total_size */
	load_ex(&v, 2000000, PID, PID, 0x3000, 64, "big", 3, true, 0, 0);
	/* too short for a load's fields */
	other(&v, JITDUMP_CODE_LOAD, 8);
	/* more code than 32 bits of size */
	load_ex(&v, 2000000, PID, PID, 0x4000, 1ull << 32, "huge", 4, true, 0, 0);
	/* wrapping around the address space */
	load_ex(&v, 2000000, PID, PID, ~0ull - 1, 4, "wrap", 4, true, 4, 0);
	load(&v, 2000000, 0x5000, 4, "ok2");
	CHECK_EQ(parse_all(&d, &v, &k), 0);
	CHECK_EQ(d.malformed, 5);
	CHECK_EQ(d.loads, 2);
	CHECK_EQ(d.records, 7);
	CHECK_EQ(d.offset, v.n);
	CHECK_EQ(k.n, 2);
	CHECK_EQ(k.ev[1].addr, 0x5000);
	/* a total_size below a record's prefix: nothing after can be framed */
	size_t at = v.n;
	put32(&v, JITDUMP_CODE_DEBUG_INFO);
	put32(&v, 15);
	put64(&v, 0);
	load(&v, 2000000, 0x6000, 4, "lost");
	CHECK_EQ(parse_all(&d, &v, &k), -EINVAL);
	CHECK(d.broken);
	CHECK_EQ(d.offset, at);
	CHECK(strstr(d.why, "a record of 15 bytes") && strstr(d.why, "cannot be told apart"));
	CHECK_EQ(d.malformed, 6);
	CHECK_EQ(d.loads, 2);
	/* a name not ended within 64 KiB, its record whole */
	v.n = 0;
	header(&v, JITDUMP_MAGIC, 1, 40, PID, 0);
	static char name[JITDUMP_NAME_MAX + 8];
	memset(name, 'x', sizeof(name));
	load_ex(&v, 2000000, PID, PID, 0x1000, 1, name, sizeof(name), true, 1, 0);
	CHECK_EQ(parse_all(&d, &v, &k), 0);
	CHECK_EQ(d.malformed, 1);
	CHECK_EQ(d.offset, v.n);
}

/* The file growing one byte at a time, read from the offset reached each
 * time: the same records as read at once, none counted malformed, the
 * record being written never handed over before it is whole. */
TEST(jitdump_resume_at_every_byte)
{
	static struct vec v;
	static struct kept all, grown;
	struct jitdump d1, d2 = {};
	struct jitdump_emit e = emit(&grown);

	size_t ends[3];		/* where each load ends in the file */

	header(&v, JITDUMP_MAGIC, 1, 40, PID, 0);
	other(&v, JITDUMP_CODE_UNWINDING_INFO, 61);
	load(&v, 2000000, 0x1000, 11, "py::first:<frozen importlib._bootstrap>");
	ends[0] = v.n;
	other(&v, 12, 3);
	load(&v, 3000000, 0x2000, 5, "second");
	ends[1] = v.n;
	load(&v, 4000000, 0x3000, 1, "third");
	ends[2] = v.n;
	CHECK_EQ(parse_all(&d1, &v, &all), 0);
	CHECK_EQ(all.n, 3);
	for (size_t size = 0; size <= v.n; size++) {
		size_t whole = 0;

		CHECK(d2.offset <= size);
		CHECK_EQ(jitdump__parse(&d2, v.b + d2.offset, size - d2.offset, size - d2.offset,
					&e), 0);
		/* a load handed over as soon as, and only once, it is whole */
		while (whole < 3 && ends[whole] <= size)
			whole++;
		CHECK_EQ(grown.n, whole);
	}
	CHECK_EQ(d2.offset, v.n);
	CHECK_EQ(d2.records, d1.records);
	CHECK_EQ(d2.malformed, 0);
	CHECK_EQ(grown.n, all.n);
	CHECK(!memcmp(grown.ev, all.ev, sizeof(all.ev[0]) * all.n));
	/* a last record reaching past the end of the file: left, not
	 * malformed, its start the offset */
	memset(&d2, 0, sizeof(d2));
	grown.n = 0;
	CHECK_EQ(jitdump__parse(&d2, v.b, v.n - 1, v.n - 1, &e), 0);
	CHECK_EQ(grown.n, 2);
	CHECK_EQ(d2.malformed, 0);
	CHECK_EQ(d2.offset, v.n - (JITDUMP_LOAD_FIXED + 6 + 1));
}

/* A buffer shorter than the file: a record the file holds whole but the
 * buffer does not is skipped when its bytes are not needed, read from the
 * buffer's part when that has the load's name, and read again otherwise. */
TEST(jitdump_short_buffer)
{
	static struct vec v;
	static struct kept k;
	struct jitdump d = {};
	struct jitdump_emit e = emit(&k);

	header(&v, JITDUMP_MAGIC, 1, 40, PID, 0);
	other(&v, JITDUMP_CODE_DEBUG_INFO, 1000);
	load(&v, 2000000, 0x1000, 2000, "named");
	/* the header and 20 bytes of the debug info: skipped by its size */
	CHECK_EQ(jitdump__parse(&d, v.b, 60, v.n, &e), 0);
	CHECK_EQ(d.offset, 40 + 1016);
	/* the load's prefix only: read again */
	CHECK_EQ(jitdump__parse(&d, v.b + d.offset, 30, v.n - d.offset, &e), 0);
	CHECK_EQ(d.offset, 40 + 1016);
	CHECK_EQ(k.n, 0);
	/* its name but not its code: enough */
	CHECK_EQ(jitdump__parse(&d, v.b + d.offset, 70, v.n - d.offset, &e), 0);
	CHECK_EQ(d.offset, v.n);
	CHECK_EQ(k.n, 1);
	CHECK_EQ(k.ev[0].size, 2000);
	CHECK_EQ(d.malformed, 0);
}

TEST(jitdump_names)
{
	CHECK(jitdump__is_name("/tmp/jit-123.dump"));
	CHECK(jitdump__is_name("jit-1.dump"));
	CHECK(jitdump__is_name("/home/u/app/jit-77.dump (deleted)"));
	CHECK(!jitdump__is_name("/tmp/jit-.dump"));
	CHECK(!jitdump__is_name("/tmp/jit-1.dump.bak"));
	CHECK(!jitdump__is_name("/tmp/perf-1.map"));
	CHECK(!jitdump__is_name("/tmp/jit-1.dump/x"));
	CHECK(!jitdump__is_name(""));
	CHECK(!jitdump__is_name("[heap]"));
}

/* Our own process maps a jitdump: found in the maps, opened through
 * map_files, followed as it grows, refused for another user. */
TEST(jitdump_file_found_opened_followed)
{
	uid_t me[4] = { getuid(), geteuid(), geteuid(), geteuid() };
	uid_t other_uids[4] = { 12345, 12345, 12345, 12345 };
	static struct vec v;
	static struct kept k;
	struct jitdump_file f;
	struct jitdump_emit e = emit(&k);
	char dir[64], path[128], found[512], err[400];
	uint64_t start, end;
	unsigned n;
	void *map;
	int fd;

	strcpy(dir, "/tmp/jitdump_test_XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/jit-%d.dump", dir, getpid());
	header(&v, JITDUMP_MAGIC, 1, 40, getpid(), 0);
	load(&v, 2000000, 0x1000, 4, "one");
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, v.b, v.n - 3) == (ssize_t)(v.n - 3));	/* "one" not whole */
	map = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK_EQ(jitdump_file__find(getpid(), found, sizeof(found), &start, &end, &n), 0);
	CHECK_STR(found, path);
	CHECK_EQ(n, 1);
	CHECK_EQ(start, (uintptr_t)map);
	/* another user's: refused, said */
	CHECK_EQ(jitdump_file__open(&f, getpid(), start, end, found, other_uids, err, sizeof(err)),
		 -EPERM);
	CHECK(strstr(err, "owned by uid") && strstr(err, "not read"));
	/* ours: read, then followed */
	CHECK_EQ(jitdump_file__open(&f, getpid(), start, end, found, me, err, sizeof(err)), 0);
	CHECK_EQ(jitdump_file__read(&f, 0, &e, err, sizeof(err)), 0);
	CHECK_EQ(k.n, 0);
	CHECK_EQ(jitdump_file__left(&f), JITDUMP_LOAD_FIXED + 4 + 4 - 3);
	CHECK(write(fd, v.b + v.n - 3, 3) == 3);
	load(&v, 3000000, 0x2000, 4, "two");
	CHECK(write(fd, v.b + v.n - (JITDUMP_LOAD_FIXED + 8), JITDUMP_LOAD_FIXED + 8) ==
	      JITDUMP_LOAD_FIXED + 8);	/* "two", NUL, 4 bytes of code */
	CHECK_EQ(jitdump_file__read(&f, 0, &e, err, sizeof(err)), 0);
	CHECK_EQ(k.n, 2);
	CHECK(!memcmp(k.ev[1].name, "two", 3));
	CHECK_EQ(jitdump_file__left(&f), 0);
	/* shrunk: said, not read any more */
	CHECK(ftruncate(fd, 10) == 0);
	CHECK_EQ(jitdump_file__read(&f, 0, &e, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "shrank"));
	jitdump_file__close(&f);
	munmap(map, 4096);
	close(fd);
	unlink(path);
	rmdir(dir);
}
