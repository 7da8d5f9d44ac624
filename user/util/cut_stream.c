// SPDX-License-Identifier: MIT
/*
 * Records gathered in memory, written to the file only whole (see
 * cut_stream.h). The FILE* handed to the writer is a glibc cookie stream
 * whose write callback appends to a growable buffer: stdio may call it at
 * any point of a record, but nothing reaches the file before
 * cut_stream__end_record() says where the record ends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/array.h"
#include "util/cut_stream.h"
#include "util/mono_clock.h"

struct cut_stream {
	FILE *out;		/* the file (unbuffered) */
	FILE *in;		/* what the writer writes into */
	char *buf;		/* bytes taken from IN, not written to OUT yet */
	size_t len, cap;
	size_t complete;	/* of LEN, the bytes of complete records */
	uint64_t kept;		/* bytes written whole to OUT */
	uint64_t last_write_ns;
	int err;		/* first error (-errno) */
};

static ssize_t cut_stream__take(void *cookie, const char *p, size_t n)
{
	struct cut_stream *cs = cookie;

	if (cs->err || !n)
		return n;	/* (after an error: dropped, the file was cut) */
	if (array__grow((void **)&cs->buf, &cs->cap, cs->len + n - 1, 1)) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(cs->buf + cs->len, p, n);
	cs->len += n;
	return n;
}

struct cut_stream *cut_stream__new(FILE *out)
{
	cookie_io_functions_t io = { .write = cut_stream__take };
	struct cut_stream *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->out = out;
	cs->in = fopencookie(cs, "w", io);
	if (!cs->in || setvbuf(out, NULL, _IONBF, 0)) {
		int e = errno ? errno : ENOMEM;

		if (cs->in)
			fclose(cs->in);
		free(cs);
		errno = e;
		return NULL;
	}
	cs->last_write_ns = mono_clock__ns();
	return cs;
}

FILE *cut_stream__file(struct cut_stream *cs)
{
	return cs->in;
}

/* OUT failed: cut it back to the last whole record, keep the error */
static void cut_stream__fail(struct cut_stream *cs, int err)
{
	int fd = fileno(cs->out);

	cs->err = err;
	/* a FIFO or a device cannot be cut: what went out is out */
	if (ftruncate(fd, (off_t)cs->kept) == 0)
		lseek(fd, (off_t)cs->kept, SEEK_SET);
	cs->len = cs->complete = 0;
}

/* write the complete records to OUT in one write (unbuffered OUT: glibc
 * loops on short writes itself) */
static int cut_stream__write(struct cut_stream *cs)
{
	size_t n = cs->complete;

	cs->last_write_ns = mono_clock__ns();
	if (cs->err || !n)
		return cs->err;
	errno = 0;
	if (fwrite_unlocked(cs->buf, 1, n, cs->out) != n) {
		cut_stream__fail(cs, errno ? -errno : -EIO);
		clearerr(cs->out);
		return cs->err;
	}
	cs->kept += n;
	memmove(cs->buf, cs->buf + n, cs->len - n);
	cs->len -= n;
	cs->complete = 0;
	return 0;
}

int cut_stream__end_record(struct cut_stream *cs)
{
	if (cs->err)
		return cs->err;
	if (fflush(cs->in)) {
		cs->err = errno ? -errno : -EIO;
		return cs->err;
	}
	cs->complete = cs->len;
	if (cs->complete >= CUT_STREAM_BYTES ||
	    mono_clock__ns() - cs->last_write_ns >= CUT_STREAM_NS)
		return cut_stream__write(cs);
	return 0;
}

int cut_stream__flush(struct cut_stream *cs)
{
	return cut_stream__end_record(cs) ? cs->err : cut_stream__write(cs);
}

uint64_t cut_stream__kept(const struct cut_stream *cs)
{
	return cs->kept;
}

int cut_stream__close(struct cut_stream *cs)
{
	int err;

	if (!cs)
		return 0;
	err = cs->err ? cs->err : cut_stream__write(cs);
	fclose(cs->in);
	free(cs->buf);
	free(cs);
	return err;
}
