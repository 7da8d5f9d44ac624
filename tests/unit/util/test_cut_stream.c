// SPDX-License-Identifier: MIT
/* cut_stream: records reach the file whole, a failed write cuts it back. */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "util/cut_stream.h"

static FILE *cut_tmp(char *path)
{
	int fd;

	strcpy(path, "/tmp/cut_stream_XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	return fdopen(fd, "w+");
}

static long long cut_size(const char *path)
{
	struct stat st;

	CHECK(stat(path, &st) == 0);
	return st.st_size;
}

/* a record of LEN bytes, written in pieces as a JSON writer would */
static void cut_record(FILE *f, int i, int len)
{
	fprintf(f, "{%06d", i);
	for (int k = 7; k < len - 1; k++)
		fputc('a' + k % 26, f);
	fputc('}', f);
}

TEST(cut_stream_keeps_records_in_memory_until_enough)
{
	char path[32];
	FILE *out = cut_tmp(path);
	struct cut_stream *cs = cut_stream__new(out);
	FILE *f;
	int i;

	CHECK(cs);
	f = cut_stream__file(cs);
	/* small records: nothing on disk before CUT_STREAM_BYTES of them
	 * (written within CUT_STREAM_NS: 100 of 100 bytes take microseconds) */
	for (i = 0; i < 100; i++) {
		cut_record(f, i, 100);
		CHECK_EQ(cut_stream__end_record(cs), 0);
	}
	CHECK_EQ(cut_size(path), 0);
	/* a record left open is not written by a flush */
	cut_record(f, i, 50);
	CHECK_EQ(cut_stream__flush(cs), 0);
	CHECK_EQ(cut_size(path), 100 * 100 + 50);	/* it was completed by the flush */
	/* enough bytes: written at the record's end, whole */
	for (i = 0; i < 700; i++) {
		cut_record(f, i, 100);
		CHECK_EQ(cut_stream__end_record(cs), 0);
	}
	CHECK(cut_size(path) >= CUT_STREAM_BYTES);
	CHECK_EQ((cut_size(path) - 50) % 100, 0);
	CHECK_EQ(cut_stream__kept(cs), cut_size(path));
	/* a record in the making at close is dropped, the complete ones not */
	fputs("{half", f);
	CHECK_EQ(cut_stream__close(cs), 0);
	CHECK_EQ(cut_size(path), 800 * 100 + 50);
	fclose(out);
	unlink(path);
}

TEST(cut_stream_writes_after_a_pause)
{
	char path[32];
	FILE *out = cut_tmp(path);
	struct cut_stream *cs = cut_stream__new(out);

	CHECK(cs);
	cut_record(cut_stream__file(cs), 0, 100);
	CHECK_EQ(cut_stream__end_record(cs), 0);
	CHECK_EQ(cut_size(path), 0);
	usleep(CUT_STREAM_NS / 1000 + 20000);
	cut_record(cut_stream__file(cs), 1, 100);
	CHECK_EQ(cut_stream__end_record(cs), 0);
	CHECK_EQ(cut_size(path), 200);
	cut_stream__close(cs);
	fclose(out);
	unlink(path);
}

/*
 * A write that fails part-way (the file size limit here, as a full disk
 * would): the file is cut back to its last whole record, the error stays,
 * later records are dropped.
 */
TEST(cut_stream_failed_write_cuts_back_to_a_record)
{
	struct rlimit lim = { .rlim_cur = 150000, .rlim_max = RLIM_INFINITY };
	char path[32];
	FILE *out = cut_tmp(path);
	struct cut_stream *cs = cut_stream__new(out);
	int err = 0, i;

	CHECK(cs);
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	for (i = 0; i < 5000 && !err; i++) {
		cut_record(cut_stream__file(cs), i, 333);
		err = cut_stream__end_record(cs);
	}
	CHECK_EQ(err, -EFBIG);
	CHECK(cut_stream__kept(cs) > 0 && cut_stream__kept(cs) < 150000);
	CHECK_EQ(cut_stream__kept(cs) % 333, 0);
	CHECK_EQ(cut_size(path), cut_stream__kept(cs));
	cut_record(cut_stream__file(cs), i, 333);
	CHECK_EQ(cut_stream__end_record(cs), -EFBIG);
	CHECK_EQ(cut_stream__close(cs), -EFBIG);
	CHECK_EQ(cut_size(path) % 333, 0);
	fclose(out);
	unlink(path);
}
