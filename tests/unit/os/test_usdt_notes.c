// SPDX-License-Identifier: MIT
/*
 * usdt_notes__parse on note bytes built here by hand (ELF note layout:
 * namesz, descsz, type as 32-bit LE words, name and descriptor each padded
 * to 4 bytes), and on the real .note.stapsdt of Debian's python3.11.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include "unit.h"
#include "os/elf_file.h"

struct usdt_notes_buf {
	unsigned char b[4096];
	size_t len;
};

static void usdt_notes_put(struct usdt_notes_buf *nb, const void *p, size_t n)
{
	CHECK(nb->len + n <= sizeof(nb->b));
	memcpy(nb->b + nb->len, p, n);
	nb->len += n;
}

static void usdt_notes_put32(struct usdt_notes_buf *nb, uint32_t v)
{
	v = htole32(v);
	usdt_notes_put(nb, &v, 4);
}

static void usdt_notes_pad(struct usdt_notes_buf *nb)
{
	static const unsigned char zero[4];

	usdt_notes_put(nb, zero, (4 - nb->len % 4) % 4);
}

/* a raw note; NAMESZ/DESCSZ are written as given (may lie) */
static void usdt_notes_raw(struct usdt_notes_buf *nb, uint32_t namesz, const char *name,
			   size_t name_bytes, uint32_t type, uint32_t descsz,
			   const void *desc, size_t desc_bytes)
{
	usdt_notes_put32(nb, namesz);
	usdt_notes_put32(nb, descsz);
	usdt_notes_put32(nb, type);
	usdt_notes_put(nb, name, name_bytes);
	usdt_notes_pad(nb);
	usdt_notes_put(nb, desc, desc_bytes);
	usdt_notes_pad(nb);
}

/* a descriptor: 3 LE u64 then STRS (STRS_LEN bytes, NULs included by caller) */
static size_t usdt_notes_desc(unsigned char *d, uint64_t pc, uint64_t base,
			      uint64_t sema, const char *strs, size_t strs_len)
{
	uint64_t v[3] = { htole64(pc), htole64(base), htole64(sema) };

	memcpy(d, v, 24);
	memcpy(d + 24, strs, strs_len);
	return 24 + strs_len;
}

static void usdt_notes_sdt(struct usdt_notes_buf *nb, uint64_t pc, uint64_t base,
			   uint64_t sema, const char *strs, size_t strs_len)
{
	unsigned char d[512];
	size_t n = usdt_notes_desc(d, pc, base, sema, strs, strs_len);

	usdt_notes_raw(nb, 8, "stapsdt", 8, 3, (uint32_t)n, d, n);
}

#define STRS(s) s, sizeof(s)	/* the literal with its final NUL */

struct usdt_notes_seen {
	int n;
	struct usdt_note last;
	char names[8][64];
	int stop_at;		/* return 42 at this call (1-based), 0: never */
};

static int usdt_notes_cb(const struct usdt_note *n, void *ctx)
{
	struct usdt_notes_seen *s = ctx;

	if (s->n < 8)
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s:%s", n->provider, n->name);
	s->n++;
	s->last = *n;
	return s->stop_at == s->n ? 42 : 0;
}

/* parse from an exactly-sized heap copy, so an overread is an overread */
static int usdt_notes_run(const struct usdt_notes_buf *nb, size_t len,
			  struct usdt_notes_seen *s)
{
	void *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, nb->b, len);
	r = usdt_notes__parse(copy, len, usdt_notes_cb, s);
	free(copy);
	return r;
}

TEST(usdt_notes_single_good)
{
	struct usdt_notes_buf nb = { .len = 0 };
	struct usdt_notes_seen s = { 0 };

	usdt_notes_sdt(&nb, 0x4f20a1, 0x8cc5a0, 0xa84260,
		       STRS("python\0function__entry\08@%rbp 8@%r12 -4@%eax"));
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), 0);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.last.pc, 0x4f20a1);
	CHECK_EQ(s.last.base, 0x8cc5a0);
	CHECK_EQ(s.last.sema, 0xa84260);
	CHECK_STR(s.names[0], "python:function__entry");
	/* the callback's strings point into the buffer: copied above, so
	 * only check args through a second run on the stack buffer */
	struct usdt_notes_seen s2 = { 0 };
	CHECK_EQ(usdt_notes__parse(nb.b, nb.len, usdt_notes_cb, &s2), 0);
	CHECK_STR(s2.last.args, "8@%rbp 8@%r12 -4@%eax");
}

TEST(usdt_notes_empty_args_and_no_semaphore)
{
	struct usdt_notes_buf nb = { .len = 0 };
	struct usdt_notes_seen s = { 0 };

	usdt_notes_sdt(&nb, 0x1000, 0, 0, STRS("p\0n\0"));
	CHECK_EQ(usdt_notes__parse(nb.b, nb.len, usdt_notes_cb, &s), 0);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.last.sema, 0);
	CHECK_STR(s.last.args, "");
	CHECK_STR(s.names[0], "p:n");
}

TEST(usdt_notes_multiple_and_foreign)
{
	struct usdt_notes_buf nb = { .len = 0 };
	struct usdt_notes_seen s = { 0 };
	unsigned char gnu_desc[20] = { 1, 2, 3 };

	usdt_notes_sdt(&nb, 1, 2, 3, STRS("a\0b\0x"));
	/* a GNU build-id note (type 3 too!) and an odd-sized owner in between */
	usdt_notes_raw(&nb, 4, "GNU", 4, 3, 20, gnu_desc, 20);
	usdt_notes_raw(&nb, 6, "abcde", 6, 3, 3, gnu_desc, 3);
	/* stapsdt owner with another type is not a probe */
	usdt_notes_raw(&nb, 8, "stapsdt", 8, 1, 3, gnu_desc, 3);
	usdt_notes_sdt(&nb, 4, 5, 6, STRS("prov\0name\0args"));
	CHECK_EQ(usdt_notes__parse(nb.b, nb.len, usdt_notes_cb, &s), 0);
	CHECK_EQ(s.n, 2);
	CHECK_STR(s.names[0], "a:b");
	CHECK_STR(s.names[1], "prov:name");
	CHECK_EQ(s.last.pc, 4);
	CHECK_EQ(s.last.base, 5);
	CHECK_EQ(s.last.sema, 6);

	/* the callback's non-zero value stops the walk and is returned */
	struct usdt_notes_seen stop = { .stop_at = 1 };
	CHECK_EQ(usdt_notes__parse(nb.b, nb.len, usdt_notes_cb, &stop), 42);
	CHECK_EQ(stop.n, 1);
}

TEST(usdt_notes_empty_section)
{
	struct usdt_notes_seen s = { 0 };
	unsigned char dummy = 0;

	CHECK_EQ(usdt_notes__parse(&dummy, 0, usdt_notes_cb, &s), 0);
	CHECK_EQ(s.n, 0);
	CHECK_EQ(usdt_notes__parse(NULL, 0, usdt_notes_cb, &s), 0);
	CHECK_EQ(usdt_notes__parse(NULL, 4, usdt_notes_cb, &s), -EINVAL);
}

TEST(usdt_notes_truncated_descriptor)
{
	struct usdt_notes_buf nb = { .len = 0 };
	struct usdt_notes_seen s = { 0 };
	unsigned char d[64];
	size_t n = usdt_notes_desc(d, 1, 2, 3, STRS("p\0n\0a"));

	/* descsz claims 8 more bytes than the section has */
	usdt_notes_raw(&nb, 8, "stapsdt", 8, 3, (uint32_t)n + 8, d, n);
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	CHECK_EQ(s.n, 0);

	/* a descriptor too short for the three addresses */
	nb.len = 0;
	usdt_notes_raw(&nb, 8, "stapsdt", 8, 3, 20, d, 20);
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);

	/* the header itself cut short */
	nb.len = 0;
	usdt_notes_sdt(&nb, 1, 2, 3, STRS("p\0n\0a"));
	CHECK_EQ(usdt_notes_run(&nb, 8, &s), -EINVAL);
	CHECK_EQ(usdt_notes_run(&nb, 14, &s), -EINVAL);
	CHECK_EQ(s.n, 0);
}

TEST(usdt_notes_missing_nul)
{
	struct usdt_notes_buf nb = { .len = 0 };
	struct usdt_notes_seen s = { 0 };

	/* args not NUL-terminated inside descsz (the padding after it is
	 * zero, but it is outside the descriptor) */
	usdt_notes_sdt(&nb, 1, 2, 3, "p\0n\0argsx", 9);
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	/* only the provider */
	nb.len = 0;
	usdt_notes_sdt(&nb, 1, 2, 3, STRS("p"));
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	/* no strings at all */
	nb.len = 0;
	usdt_notes_sdt(&nb, 1, 2, 3, "", 0);
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	CHECK_EQ(s.n, 0);
}

TEST(usdt_notes_bad_namesz)
{
	struct usdt_notes_buf nb = { .len = 0 };
	struct usdt_notes_seen s = { 0 };
	unsigned char d[64];
	size_t n = usdt_notes_desc(d, 1, 2, 3, STRS("p\0n\0a"));

	usdt_notes_raw(&nb, 0xfffffff0u, "stapsdt", 8, 3, (uint32_t)n, d, n);
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	nb.len = 0;
	usdt_notes_raw(&nb, 0xffffffffu, "stapsdt", 8, 3, (uint32_t)n, d, n);
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	/* huge descsz */
	nb.len = 0;
	usdt_notes_raw(&nb, 8, "stapsdt", 8, 3, 0xffffffffu, d, n);
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	CHECK_EQ(s.n, 0);
}

TEST(usdt_notes_malformed_after_good_gives_no_callback)
{
	struct usdt_notes_buf nb = { .len = 0 };
	struct usdt_notes_seen s = { 0 };

	usdt_notes_sdt(&nb, 1, 2, 3, STRS("p\0n\0a"));
	usdt_notes_sdt(&nb, 1, 2, 3, "p\0n\0a", 5);	/* args lacks its NUL */
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), -EINVAL);
	CHECK_EQ(s.n, 0);
}

/* every prefix of a valid section: 0 or -EINVAL, never a read past it */
TEST(usdt_notes_every_truncation)
{
	struct usdt_notes_buf nb = { .len = 0 };

	usdt_notes_sdt(&nb, 1, 2, 3, STRS("python\0line\0a b c"));
	usdt_notes_sdt(&nb, 4, 5, 6, STRS("x\0yy\0"));
	for (size_t len = 0; len < nb.len; len++) {
		struct usdt_notes_seen s = { 0 };
		int r = usdt_notes_run(&nb, len, &s);

		CHECK(r == 0 || r == -EINVAL);
		if (r == 0)
			CHECK(s.n <= 2);
		else
			CHECK_EQ(s.n, 0);
	}
	struct usdt_notes_seen s = { 0 };
	CHECK_EQ(usdt_notes_run(&nb, nb.len, &s), 0);
	CHECK_EQ(s.n, 2);
}

/* readelf -SW /usr/bin/python3.11: [29] .note.stapsdt NOTE off 0x683278
 * size 0x290; readelf -n lists 8 python probes there */
TEST(usdt_notes_python311_section)
{
	const char *path = "/usr/bin/python3.11";
	const size_t off = 0x683278, len = 0x290;
	struct usdt_notes_seen s = { 0 };
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("SKIP: %s not present\n", path);
		return;
	}
	buf = malloc(len);
	CHECK(pread(fd, buf, len, off) == (ssize_t)len);
	close(fd);
	CHECK_EQ(usdt_notes__parse(buf, len, usdt_notes_cb, &s), 0);
	CHECK_EQ(s.n, 8);
	/* readelf -n order: audit, gc__done, gc__start, line, import..start,
	 * import..done, function__entry, function__return (last) */
	CHECK_STR(s.names[0], "python:audit");
	CHECK_STR(s.names[3], "python:line");
	CHECK_STR(s.names[6], "python:function__entry");
	CHECK_STR(s.names[7], "python:function__return");
	CHECK_EQ(s.last.pc, 0x4f20d4);
	CHECK_EQ(s.last.base, 0x8cc5a0);
	CHECK_EQ(s.last.sema, 0xa84262);
	CHECK_STR(s.last.args, "8@%rbp 8@%r12 -4@%eax");
	free(buf);
}
