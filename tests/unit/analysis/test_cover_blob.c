// SPDX-License-Identifier: MIT
/* The coverage bootstrap's hand-over: the blob parser (user/analysis/cover_blob.c)
 * and the command-line check of whether the bootstrap will load. */
#include <errno.h>
#include <string.h>
#include "unit.h"
#include "analysis/cover_blob.h"
#include "capture/cover_boot.h"
#include "tracer.h"

struct blob {
	unsigned char b[TR_BLOB_MAX];
	size_t len;
};

static void put(struct blob *bl, const void *p, size_t n)
{
	memcpy(bl->b + bl->len, p, n);
	bl->len += n;
}

static void put_le(struct blob *bl, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		bl->b[bl->len++] = (unsigned char)(v >> (8 * i));
}

static void blob_start(struct blob *bl, uint32_t seq)
{
	bl->len = 0;
	put(bl, TR_BLOB_MAGIC, sizeof(TR_BLOB_MAGIC));
	put(bl, "KEYKEYKE", 8);
	put_le(bl, seq, 4);
	put_le(bl, 0, 4);
}

static void blob_rec(struct blob *bl, char kind, const char *file, const char *name,
		     uint32_t first, uint32_t line, uint64_t count)
{
	put_le(bl, (unsigned char)kind, 1);
	put_le(bl, 0, 1);
	put_le(bl, strlen(file), 2);
	put_le(bl, strlen(name), 2);
	put_le(bl, 0, 2);
	put_le(bl, first, 4);
	put_le(bl, line, 4);
	put_le(bl, count, 8);
	put(bl, file, strlen(file));
	put(bl, name, strlen(name));
}

struct seen {
	int n;
	char kinds[8];
	char text[8][64];
	uint32_t first[8], line[8];
	uint64_t count[8];
};

static int collect(void *ctx, const struct cover_rec *r)
{
	struct seen *s = ctx;

	if (s->n >= 8)
		return -E2BIG;
	s->kinds[s->n] = r->kind;
	snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s|%.*s", (int)r->file_len, r->file,
		 (int)r->name_len, r->name);
	s->first[s->n] = r->firstlineno;
	s->line[s->n] = r->line;
	s->count[s->n] = r->count;
	s->n++;
	return 0;
}

TEST(cover_blob_records)
{
	struct blob bl;
	struct seen s = {};
	uint32_t seq = 0;

	blob_start(&bl, 7);
	blob_rec(&bl, 'A', "", "", 0, 0, 0);
	blob_rec(&bl, 'C', "/src/w.py", "K.m", 12, 0, 70000000000ULL);
	blob_rec(&bl, 'L', "/src/w.py", "<module>", 1, 4, 0);
	blob_rec(&bl, 'E', "", "", 0, 0, 0);
	CHECK_EQ(cover_blob__parse(bl.b, bl.len, &seq, collect, &s), 0);
	CHECK_EQ(seq, 7);
	CHECK_EQ(s.n, 4);
	CHECK(!memcmp(s.kinds, "ACLE", 4));
	CHECK(!strcmp(s.text[1], "/src/w.py|K.m"));
	CHECK_EQ(s.first[1], 12);
	CHECK_EQ(s.count[1], 70000000000ULL);
	CHECK(!strcmp(s.text[2], "/src/w.py|<module>"));
	CHECK_EQ(s.line[2], 4);
	/* a header alone: no records */
	s.n = 0;
	blob_start(&bl, 1);
	CHECK_EQ(cover_blob__parse(bl.b, bl.len, &seq, collect, &s), 0);
	CHECK_EQ(s.n, 0);
}

TEST(cover_blob_rejects)
{
	struct blob bl;
	struct seen s = {};
	uint32_t seq;

	blob_start(&bl, 1);
	CHECK_EQ(cover_blob__parse(bl.b, bl.len - 1, &seq, collect, &s), -EINVAL);
	bl.b[0] = 'X';	/* not the magic */
	CHECK_EQ(cover_blob__parse(bl.b, bl.len, &seq, collect, &s), -EINVAL);
	/* a record cut in its header, then in its strings */
	blob_start(&bl, 1);
	blob_rec(&bl, 'C', "/src/w.py", "f", 1, 0, 1);
	CHECK_EQ(cover_blob__parse(bl.b, COVER_BLOB_HEADER + 10, &seq, collect, &s), -EINVAL);
	CHECK_EQ(cover_blob__parse(bl.b, bl.len - 1, &seq, collect, &s), -EINVAL);
	/* an unknown kind, after a good record (which was delivered) */
	s.n = 0;
	blob_rec(&bl, 'Z', "", "", 0, 0, 0);
	CHECK_EQ(cover_blob__parse(bl.b, bl.len, &seq, collect, &s), -EINVAL);
	CHECK_EQ(s.n, 1);
	/* string lengths past the end */
	blob_start(&bl, 1);
	blob_rec(&bl, 'L', "f", "g", 1, 2, 0);
	bl.b[COVER_BLOB_HEADER + 2] = 0xff;
	CHECK_EQ(cover_blob__parse(bl.b, bl.len, &seq, collect, &s), -EINVAL);
	/* an event whose data is shorter than its length says */
	static struct tr_ev_blob ev;
	blob_start(&bl, 3);
	blob_rec(&bl, 'A', "", "", 0, 0, 0);
	memcpy(ev.data, bl.b, bl.len);
	ev.len = bl.len;
	s.n = 0;
	CHECK_EQ(cover_blob__parse_event(&ev, 32 + bl.len, &seq, collect, &s), 0);
	CHECK_EQ(seq, 3);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(cover_blob__parse_event(&ev, 32 + bl.len - 1, &seq, collect, &s), -EINVAL);
	CHECK_EQ(cover_blob__parse_event(&ev, 31, &seq, collect, &s), -EINVAL);
	/* the callback's error stops the walk */
	s.n = 8;
	blob_start(&bl, 1);
	blob_rec(&bl, 'A', "", "", 0, 0, 0);
	CHECK_EQ(cover_blob__parse(bl.b, bl.len, &seq, collect, &s), -E2BIG);
}

static bool loads(const char *args, size_t len, const char *why_want)
{
	char why[64] = "";
	bool r = cover_boot__argv_loads(args, len, why, sizeof(why));

	return r ? !why_want : why_want && !strcmp(why, why_want);
}

#define ARGS(s) s, sizeof(s)	/* with the last NUL */

TEST(cover_boot_command_lines)
{
	CHECK(loads(ARGS("python3\0w.py"), NULL));
	CHECK(loads(ARGS("python3\0-u\0-X\0dev\0w.py\0-I"), NULL));	/* the script's -I */
	CHECK(loads(ARGS("python3\0-c\0pass\0-S"), NULL));
	CHECK(loads(ARGS("python3\0-m\0mod\0-E"), NULL));
	CHECK(loads(ARGS("python3\0-Wignore\0-X\0importtime\0w.py"), NULL));
	CHECK(loads(ARGS("python3\0-W\0-I\0w.py"), NULL));	/* -I is -W's value */
	CHECK(loads(ARGS("python3\0--check-hash-based-pycs\0-I\0w.py"), NULL));
	CHECK(loads(ARGS("python3\0--\0-I"), NULL));
	CHECK(loads(ARGS("python3\0-cimport sys\0-I"), NULL));	/* -c's value attached */
	CHECK(loads(ARGS("python3\0-I\0w.py"), "python -I ignores the bootstrap"));
	CHECK(loads(ARGS("python3\0-uIs\0w.py"), "python -I ignores the bootstrap"));
	CHECK(loads(ARGS("python3\0-bES\0w.py"), "python -E ignores the bootstrap"));
	CHECK(loads(ARGS("python3\0-O\0-S\0-c\0pass"), "python -S ignores the bootstrap"));
	CHECK(loads(ARGS("python3"), NULL));
	CHECK(loads("python3", 7, NULL));	/* no NUL at the end: no options seen */
}
