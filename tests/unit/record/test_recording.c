// SPDX-License-Identifier: MIT
/* recording: round trip, compact CODE events, truncation, corruption, errors. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "record/recording.h"

static char rec_path[64];

static const char *rec_tmp(void)
{
	int fd;

	strcpy(rec_path, "/tmp/rec_test_XXXXXX");
	fd = mkstemp(rec_path);
	CHECK(fd >= 0);
	close(fd);
	return rec_path;
}

static long long rec_file_size(const char *path)
{
	struct stat sb;

	CHECK(stat(path, &sb) == 0);
	return sb.st_size;
}

static void rec_sample_process(struct in_process *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = 4242;
	p->version_hex = 0x030b02f0;
	p->strategy = TR_STRATEGY_USDT;
	p->attach_ts = 123456789012345ull;
	memset(p->exe, 'e', sizeof(p->exe) - 1);	/* longest possible */
	strcpy(p->lib, "/usr/lib/libpython3.11.so.1.0");
	p->n_warnings = 2;
	strcpy(p->warnings[0], "first warning");
	strcpy(p->warnings[1], "second \xc3\xa9");
	p->instance = 7;
	p->ns_pid = 12;
	strcpy(p->cgroup, "/system.slice/app.service");
}

static void rec_sample_call(struct tr_ev_call *c, uint64_t ts)
{
	memset(c, 0, sizeof(*c));
	c->hdr = (struct tr_ev_hdr){ .type = TR_EV_CALL, .flags = TR_CALL_RET_UNPROBED,
				     .size = sizeof(*c), .pid = 4242, .tid = 4243,
				     .instance = 1, .ts = ts };
	c->frame = 0x7f0000001000ull;
	c->parent = 0x7f0000000f00ull;
	c->code = 0x7f0000abc000ull;
}

/* CODE event: EXPECT as the reader must give it back, SRC with garbage in
 * the bytes that are not part of the strings */
static void rec_sample_code(struct tr_ev_code *expect, struct tr_ev_code *src, bool maximal)
{
	memset(expect, 0, sizeof(*expect));
	expect->hdr = (struct tr_ev_hdr){ .type = TR_EV_CODE, .size = sizeof(*expect),
					  .pid = 4242, .tid = 4243, .ts = 99 };
	expect->code = 0x7f0000abc000ull;
	expect->firstlineno = 17;
	if (!maximal) {
		/* "éā€" as UCS-2 (kind 2): 3 characters, 6 bytes */
		expect->name_len = 3;
		expect->name_enc = 2;
		memcpy(expect->name, "\xe9\x00\x01\x01\xac\x20", 6);
		expect->file_len = 5;
		expect->file_enc = 1 | TR_STR_ASCII;
		memcpy(expect->file, "/a.py", 5);
	} else {
		/* longer than what the event carries: 256 name, 1024 file bytes */
		expect->hdr.flags = TR_CODE_NAME_TRUNC | TR_CODE_FILE_TRUNC;
		expect->name_len = 1000;
		expect->name_enc = 1 | TR_STR_ASCII;
		memset(expect->name, 'n', TR_NAME_MAX);
		expect->file_len = 300;
		expect->file_enc = 4;
		memset(expect->file, 'f', TR_FILE_MAX);
	}
	memcpy(src, expect, sizeof(*src));
	if (!maximal) {
		memset(src->name + 6, 0xaa, TR_NAME_MAX - 6);
		memset(src->file + 5, 0xbb, TR_FILE_MAX - 5);
	}
}

TEST(recording_roundtrip_all_kinds)
{
	const char *path = rec_tmp();
	struct rec_writer *w = rec_writer__open(path);
	struct in_process p;
	struct in_thread t = { .pid = 4242, .tid = 4243, .name = "worker-\xc3\xa9" };
	struct in_thread t63;
	struct tr_ev_call call;
	struct tr_ev_return ret = { .hdr = { .type = TR_EV_RETURN, .size = sizeof(ret),
					     .pid = 4242, .tid = 4243, .instance = 0, .ts = 200 },
				    .frame = 0, .code = 0 };
	struct tr_ev_code code1, src1, code2, src2;
	struct tr_ev_exit ex = { .hdr = { .type = TR_EV_EXIT, .flags = TR_EXIT_EXEC,
					  .size = sizeof(ex), .pid = 4242, .tid = 4242,
					  .instance = 7, .ts = 4000 } };
	struct in_end e = { .end_ts = 5000, .drops = { 1, 2, 3, 4 }, .ringbuf_events = 77,
			    .exit_code = 3, .flags = IN_END_RECORDING_TRUNCATED,
			    .launch = { .pid = 4242, .how = LAUNCH_END_SIGNAL, .value = 9,
					.core = 1 },
			    .n_warnings = 2, .warnings = { "first", "jit: second \xc3\xa9" },
			    .realtime_offset_ns = -1234567890123LL,
			    .probe_cost = { .measured = true, .trap_entry_ns = 6160.5,
					    .trap_return_ns = 1430.25, .bpf_entry_ns = 770.125,
					    .bpf_return_ns = 610, .bpf_entry_runs = 206717,
					    .bpf_return_runs = 206729, .line_runs = 3,
					    .line_ns = 7000.5, .return_kind = "uretprobe",
					    .note = "2 sites" } };
	struct rec_record r;
	struct rec_reader *rd;

	rec_sample_process(&p);
	rec_sample_call(&call, 100);
	rec_sample_code(&code1, &src1, false);
	rec_sample_code(&code2, &src2, true);
	memset(&t63, 0, sizeof(t63));
	t63.pid = 1;
	t63.tid = 2;
	memset(t63.name, 'x', 63);	/* the longest name (version 9: Python's) */

	CHECK(w);
	CHECK_EQ(rec_writer__process(w, &p), 0);
	CHECK_EQ(rec_writer__thread(w, &t), 0);
	CHECK_EQ(rec_writer__thread(w, &t63), 0);
	CHECK_EQ(rec_writer__event(w, &call, sizeof(call)), 0);
	CHECK_EQ(rec_writer__event(w, &ret, sizeof(ret)), 0);
	CHECK_EQ(rec_writer__event(w, &src1, sizeof(src1)), 0);
	CHECK_EQ(rec_writer__event(w, &src2, sizeof(src2)), 0);
	CHECK_EQ(rec_writer__event(w, &ex, sizeof(ex)), 0);
	CHECK_EQ(rec_writer__end(w, &e), 0);
	CHECK_EQ(rec_writer__close(w), 0);

	/* sizes by hand: file header 16; each record 8 + payload */
	long long expect = 16;
	expect += 8 + 4 + 4 + 4 + 8 + (2 + 511) + (2 + 29) + 2 + (2 + 13) + (2 + 9) +
		  4 + 4 + (2 + 25);
	expect += 8 + 24;				/* EXIT: its header */
	expect += 8 + 4 + 4 + 2 + 9;			/* "worker-é" is 9 bytes */
	expect += 8 + 4 + 4 + 2 + 63;
	expect += 8 + 48 + 8 + 40;
	expect += 8 + 48 + 6 + 5;			/* compact CODE */
	expect += 8 + 48 + 256 + 1024;
	expect += 8 + 8 + 8 + 4 + 4 + 2 + TR_DROP__COUNT * 8 + 2 + (2 + 5) + (2 + 14) +
		  8 +					/* version 8: realtime offset */
		  4 + 8 * 8 + (2 + 9) + (2 + 7) +	/* version 10: probe cost */
		  4 * 4 +				/* version 11: the launch's end */
		  8 * 3 + 4 + 8 + 8;			/* version 12: probe cost's rest */
	CHECK_EQ(rec_file_size(path), expect);

	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_PROCESS);
	CHECK(!memcmp(&r.process, &p, sizeof(p)));
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_THREAD);
	CHECK(!memcmp(&r.thread, &t, sizeof(t)));
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK(!memcmp(&r.thread, &t63, sizeof(t63)));
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_EVENT);
	CHECK(!memcmp(&r.call, &call, sizeof(call)));
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK(!memcmp(&r.ret, &ret, sizeof(ret)));
	memset(&r, 0x55, sizeof(r));	/* the reader must zero the unused bytes */
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.hdr.type, TR_EV_CODE);
	CHECK(!memcmp(&r.code, &code1, sizeof(code1)));
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK(!memcmp(&r.code, &code2, sizeof(code2)));
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_EVENT);
	CHECK(!memcmp(&r.exit, &ex, sizeof(ex)));
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_END);
	CHECK(!memcmp(&r.end, &e, sizeof(e)));
	CHECK_EQ(rec_reader__next(rd, &r), 0);
	CHECK_EQ(rec_reader__next(rd, &r), 0);
	rec_reader__close(rd);
	unlink(path);
}

/* a recording of N CALL events with ts 0..N-1: 56-byte records from 16 */
static void rec_write_calls(const char *path, int n)
{
	struct rec_writer *w = rec_writer__open(path);
	struct tr_ev_call c;

	CHECK(w);
	for (int i = 0; i < n; i++) {
		rec_sample_call(&c, i);
		CHECK_EQ(rec_writer__event(w, &c, sizeof(c)), 0);
	}
	CHECK_EQ(rec_writer__close(w), 0);
	CHECK_EQ(rec_file_size(path), 16 + 56 * n);
}

/* read PATH: events seen before the result, which is returned */
static int rec_read_all(const char *path, int *n)
{
	struct rec_reader *rd = rec_reader__open(path);
	struct rec_record r;
	int ret;

	CHECK(rd);
	*n = 0;
	while ((ret = rec_reader__next(rd, &r)) == 1) {
		CHECK_EQ(r.call.hdr.ts, *n);
		(*n)++;
	}
	rec_reader__close(rd);
	return ret;
}

TEST(recording_truncated_file_epipe)
{
	const char *path = rec_tmp();
	int n;

	rec_write_calls(path, 3);
	CHECK_EQ(rec_read_all(path, &n), 0);
	CHECK_EQ(n, 3);
	CHECK(truncate(path, 16 + 56 * 3 - 5) == 0);	/* inside a payload */
	CHECK_EQ(rec_read_all(path, &n), -EPIPE);
	CHECK_EQ(n, 2);
	CHECK(truncate(path, 16 + 56 * 2 + 3) == 0);	/* inside a header */
	CHECK_EQ(rec_read_all(path, &n), -EPIPE);
	CHECK_EQ(n, 2);
	unlink(path);
}

/* overwrite LEN bytes at OFF of PATH */
static void rec_patch(const char *path, long off, const void *b, size_t len)
{
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0);
	CHECK(pwrite(fd, b, len, off) == (ssize_t)len);
	close(fd);
}

TEST(recording_corrupt_length_einval)
{
	const char *path = rec_tmp();
	struct in_thread t = { .pid = 1, .tid = 2, .name = "abc" };
	struct rec_writer *w;
	int n;

	/* a huge length must be refused before anything is read */
	rec_write_calls(path, 3);
	rec_patch(path, 16 + 56 + 4, "\xff\xff\xff\x7f", 4);
	CHECK_EQ(rec_read_all(path, &n), -EINVAL);
	CHECK_EQ(n, 1);
	/* a CALL shorter than the struct */
	rec_write_calls(path, 3);
	rec_patch(path, 16 + 4, "\x2f\x00\x00\x00", 4);
	CHECK_EQ(rec_read_all(path, &n), -EINVAL);
	CHECK_EQ(n, 0);
	/* unknown record kind, nonzero reserved bytes, unknown event type */
	rec_write_calls(path, 2);
	rec_patch(path, 16 + 56, "\x09", 1);
	CHECK_EQ(rec_read_all(path, &n), -EINVAL);
	CHECK_EQ(n, 1);
	rec_write_calls(path, 2);
	rec_patch(path, 16 + 2, "\x01", 1);
	CHECK_EQ(rec_read_all(path, &n), -EINVAL);
	rec_write_calls(path, 2);
	rec_patch(path, 16 + 8, "\x07", 1);
	CHECK_EQ(rec_read_all(path, &n), -EINVAL);

	/* a string length larger than its field (name[16]) or its record */
	w = rec_writer__open(path);
	CHECK(w);
	CHECK_EQ(rec_writer__thread(w, &t), 0);
	CHECK_EQ(rec_writer__close(w), 0);
	rec_patch(path, 16 + 8 + 8, "\x10\x00", 2);
	struct rec_reader *rd = rec_reader__open(path);
	struct rec_record r;
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), -EINVAL);
	CHECK_EQ(rec_reader__next(rd, &r), -EINVAL);	/* sticky */
	rec_reader__close(rd);
	rec_patch(path, 16 + 8 + 8, "\x04\x00", 2);	/* 4 > the 3 bytes there */
	rd = rec_reader__open(path);
	CHECK_EQ(rec_reader__next(rd, &r), -EINVAL);
	rec_reader__close(rd);
	unlink(path);
}

TEST(recording_corrupt_code_lengths_einval)
{
	const char *path = rec_tmp();
	struct tr_ev_code code, src;
	struct rec_writer *w = rec_writer__open(path);
	struct rec_record r;
	struct rec_reader *rd;

	rec_sample_code(&code, &src, false);
	CHECK_EQ(rec_writer__event(w, &src, sizeof(src)), 0);
	CHECK_EQ(rec_writer__close(w), 0);
	/* name_len (offset 36 of the event) now claims 4 UCS-2 characters:
	 * the payload no longer matches the bytes the lengths announce */
	rec_patch(path, 16 + 8 + 36, "\x04", 1);
	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), -EINVAL);
	rec_reader__close(rd);
	unlink(path);
}

TEST(recording_bad_file_header)
{
	const char *path = rec_tmp();
	FILE *f = fopen(path, "w");

	fputs("not a recording at all", f);
	fclose(f);
	errno = 0;
	CHECK(!rec_reader__open(path));
	CHECK_EQ(errno, EINVAL);
	rec_write_calls(path, 1);
	char newer = REC_FORMAT_VERSION + 1;

	rec_patch(path, 8, &newer, 1);	/* a newer format version */
	errno = 0;
	CHECK(!rec_reader__open(path));
	CHECK_EQ(errno, ENOTSUP);
	f = fopen(path, "w");	/* empty file */
	fclose(f);
	CHECK(!rec_reader__open(path));
	CHECK_EQ(errno, EINVAL);
	unlink(path);
}

TEST(recording_dev_full_enospc)
{
	struct rec_writer *w = rec_writer__open("/dev/full");
	struct tr_ev_call c;
	int err = 0, i;

	CHECK(w);
	rec_sample_call(&c, 1);
	/* the buffer holds 1 MiB: the error shows when it is written */
	for (i = 0; i < 100000 && !err; i++)
		err = rec_writer__event(w, &c, sizeof(c));
	CHECK_EQ(err, -ENOSPC);
	CHECK(i > 1000);
	CHECK_EQ(rec_writer__error(w), -ENOSPC);
	CHECK_EQ(rec_writer__event(w, &c, sizeof(c)), -ENOSPC);
	CHECK_EQ(rec_writer__close(w), -ENOSPC);

	w = rec_writer__open("/dev/full");	/* error found at close */
	CHECK_EQ(rec_writer__event(w, &c, sizeof(c)), 0);
	CHECK_EQ(rec_writer__close(w), -ENOSPC);
}

/* a write error in the middle of the stdio buffer: the file is cut back to
 * the last whole record and reads without error */
TEST(recording_error_keeps_whole_records)
{
	const char *path = rec_tmp();
	const rlim_t limit = (1 << 20) + 1000 + 3;
	struct rlimit old, rl;
	struct tr_ev_call c;
	struct rec_writer *w;
	int err = 0, i, n;

	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	rl = old;
	rl.rlim_cur = limit;
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	w = rec_writer__open(path);
	CHECK(w);
	for (i = 0; i < 100000 && !err; i++) {
		rec_sample_call(&c, i);
		err = rec_writer__event(w, &c, sizeof(c));
	}
	CHECK_EQ(err, -EFBIG);
	CHECK_EQ(rec_writer__close(w), -EFBIG);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	/* whole records only: (limit - 16) / 56 of them fit under the limit */
	CHECK_EQ(rec_file_size(path), 16 + 56 * ((limit - 16) / 56));
	CHECK_EQ(rec_read_all(path, &n), 0);
	CHECK_EQ(n, (limit - 16) / 56);
	unlink(path);
}

TEST(recording_rejects_bad_events)
{
	struct rec_writer *w = rec_writer__open("/dev/null");
	struct tr_ev_call c;

	rec_sample_call(&c, 1);
	CHECK_EQ(rec_writer__event(w, &c, 10), -EINVAL);
	CHECK_EQ(rec_writer__event(w, &c, sizeof(c) - 1), -EINVAL);
	c.hdr.type = 99;
	CHECK_EQ(rec_writer__event(w, &c, sizeof(c)), -EINVAL);
	/* the session's own records are not the analyzer's: never recorded */
	c.hdr.type = TR_EV_PROC;
	CHECK_EQ(rec_writer__event(w, &c, sizeof(c)), -EINVAL);
	c.hdr.type = TR_EV_EXEC;
	CHECK_EQ(rec_writer__event(w, &c, sizeof(c)), -EINVAL);
	c.hdr.type = TR_EV_EXIT;
	CHECK_EQ(rec_writer__event(w, &c, sizeof(struct tr_ev_exit) - 1), -EINVAL);
	CHECK_EQ(rec_writer__error(w), 0);	/* not a write error */
	CHECK_EQ(rec_writer__close(w), 0);
}

/* format 2: GC/import events, with a C-string name, a str name, and none;
 * a version-1 file (no such events) still reads */
TEST(recording_runtime_events_v2)
{
	const char *path = rec_tmp();
	struct rec_writer *w = rec_writer__open(path);
	struct tr_ev_runtime ev[3];
	struct rec_record r;
	struct rec_reader *rd;

	for (int i = 0; i < 3; i++) {
		memset(&ev[i], 0xcc, sizeof(ev[i]));	/* garbage past the name */
		ev[i].hdr = (struct tr_ev_hdr){ .type = TR_EV_RUNTIME, .size = sizeof(ev[i]),
						.pid = 7, .tid = 8, .ts = 1000 + i };
		ev[i].pad = 0;
		ev[i].value = i - 1;
	}
	ev[0].kind = TR_RT_IMPORT;
	ev[0].name_enc = TR_STR_UTF8;
	ev[0].name_len = 7;
	memcpy(ev[0].name, "pkg.sub", 7);
	ev[1].kind = TR_RT_IMPORT;
	ev[1].hdr.flags = TR_RT_STATEMENT;
	ev[1].name_enc = 2;			/* UCS-2: 2 characters, 4 bytes */
	ev[1].name_len = 2;
	memcpy(ev[1].name, "\xe9\x00\x01\x01", 4);
	ev[2].kind = TR_RT_GC;
	ev[2].hdr.flags = TR_RT_END;
	ev[2].name_enc = 0;
	ev[2].name_len = 0;
	CHECK(w);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(rec_writer__event(w, &ev[i], sizeof(ev[i])), 0);
	CHECK_EQ(rec_writer__close(w), 0);
	CHECK_EQ(rec_file_size(path), 16 + (8 + 40 + 7) + (8 + 40 + 4) + (8 + 40));

	rd = rec_reader__open(path);
	CHECK(rd);
	for (int i = 0; i < 3; i++) {
		size_t n = i == 0 ? 7 : i == 1 ? 4 : 0;
		CHECK_EQ(rec_reader__next(rd, &r), 1);
		CHECK_EQ(r.kind, REC_EVENT);
		CHECK_EQ(r.runtime.hdr.ts, 1000 + i);
		CHECK_EQ(r.runtime.kind, ev[i].kind);
		CHECK_EQ(r.runtime.hdr.flags, ev[i].hdr.flags);
		CHECK_EQ(r.runtime.value, i - 1);
		CHECK(!memcmp(r.runtime.name, ev[i].name, n));
		CHECK_EQ(r.runtime.name[n], 0);		/* the rest is zero */
	}
	CHECK_EQ(rec_reader__next(rd, &r), 0);
	rec_reader__close(rd);

	/* a kind no event has (damage): refused, not shown as a GC */
	rec_patch(path, 16 + 8 + offsetof(struct tr_ev_runtime, kind), "\x07", 1);
	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), -EINVAL);
	rec_reader__close(rd);

	rec_write_calls(path, 1);
	rec_patch(path, 8, "\x01", 1);	/* version 1 reads */
	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	rec_reader__close(rd);
	unlink(path);
}

TEST(recording_blob_roundtrip)
{
	const char *path = rec_tmp();
	struct rec_writer *w = rec_writer__open(path);
	static struct tr_ev_blob b, big;
	struct rec_record r;
	struct rec_reader *rd;

	b.hdr = (struct tr_ev_hdr){ .type = TR_EV_BLOB, .size = 32 + 40, .pid = 7, .tid = 8,
				    .ts = 300 };
	b.len = 40;
	for (int i = 0; i < 40; i++)
		b.data[i] = (tr_u8)(i * 7);
	big = b;
	big.len = TR_BLOB_MAX + 1;
	CHECK(w);
	CHECK_EQ(rec_writer__event(w, &b, 32 + 40), 0);
	CHECK_EQ(rec_writer__event(w, &b, 32 + 39), -EINVAL);	/* shorter than its length */
	CHECK_EQ(rec_writer__event(w, &big, sizeof(big)), -EINVAL);
	CHECK_EQ(rec_writer__close(w), 0);
	CHECK_EQ(rec_file_size(path), 16 + 8 + 32 + 40);	/* only the data carried */
	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_EVENT);
	CHECK_EQ(r.blob.len, 40);
	CHECK(!memcmp(&r.blob, &b, 32 + 40));
	rec_reader__close(rd);
	unlink(path);
}

TEST(recording_jit_roundtrip)
{
	const char *path = rec_tmp();
	struct rec_writer *w = rec_writer__open(path);
	static struct tr_ev_jit j, bad;
	struct rec_record r;
	struct rec_reader *rd;

	j.hdr = (struct tr_ev_hdr){ .type = TR_EV_JIT, .flags = TR_JIT_PERF_MAP,
				    .size = TR_JIT_FIXED + 7, .pid = 7, .tid = 8, .ts = 300 };
	j.addr = 0x7f0012345000ull;
	j.size = 11;
	j.name_len = 7;
	memcpy(j.name, "py::f:x", 7);
	memset(j.name + 7, 0xaa, 10);	/* not carried */
	bad = j;
	bad.name_len = 8;	/* disagrees with the size */
	CHECK(w);
	CHECK_EQ(rec_writer__event(w, &j, sizeof(j)), 0);
	CHECK_EQ(rec_writer__event(w, &bad, sizeof(bad)), -EINVAL);
	CHECK_EQ(rec_writer__event(w, &j, TR_JIT_FIXED + 6), -EINVAL);	/* shorter than its size */
	CHECK_EQ(rec_writer__close(w), 0);
	CHECK_EQ(rec_file_size(path), 16 + 8 + TR_JIT_FIXED + 7);
	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_EVENT);
	CHECK(!memcmp(&r.jit, &j, TR_JIT_FIXED + 7));
	CHECK_EQ(r.jit.name[7], 0);
	CHECK_EQ(rec_reader__next(rd, &r), 0);
	rec_reader__close(rd);
	unlink(path);
}

/* an end record of version 5 (no warnings after the drops) still reads */
TEST(recording_end_without_warnings_v5)
{
	const char *path = rec_tmp();
	struct rec_writer *w = rec_writer__open(path);
	struct in_end e = { .end_ts = 5000, .drops = { 1, 2 }, .exit_code = 3 };
	long end_at = 16;	/* the end record follows the file header */
	uint32_t len = 8 + 8 + 4 + 4 + 2 + TR_DROP__COUNT * 8;
	struct rec_record r;
	struct rec_reader *rd;

	CHECK(w);
	CHECK_EQ(rec_writer__end(w, &e), 0);
	CHECK_EQ(rec_writer__close(w), 0);
	/* + warnings (none), realtime offset, probe cost (nothing measured),
	 * the launch's end, the probe cost's rest (version 12) */
	CHECK_EQ(rec_file_size(path), end_at + 8 + len + 2 + 8 + 4 + 8 * 8 + 2 + 2 + 16 + 44);
	CHECK(truncate(path, end_at + 8 + len) == 0);
	rec_patch(path, end_at + 4, &len, 4);
	rec_patch(path, 8, "\x05", 1);
	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_END);
	CHECK(!memcmp(&r.end, &e, sizeof(e)));
	CHECK_EQ(r.end.n_warnings, 0);
	CHECK_EQ(rec_reader__next(rd, &r), 0);
	rec_reader__close(rd);
	unlink(path);
}

/* PATH: a recording of the end record E alone */
static void end_written(const char *path, const struct in_end *e)
{
	struct rec_writer *w = rec_writer__open(path);

	CHECK(w);
	CHECK_EQ(rec_writer__end(w, e), 0);
	CHECK_EQ(rec_writer__close(w), 0);
}

/* the first record of the recording PATH, in R: rec_reader__next's result */
static int first_record(const char *path, struct rec_record *r)
{
	struct rec_reader *rd = rec_reader__open(path);
	int ret;

	CHECK(rd);
	ret = rec_reader__next(rd, r);
	rec_reader__close(rd);
	return ret;
}

/* version 11: the launched command's end reads back; a version-10 end
 * (without it) reads with it unknown */
TEST(recording_end_launch_v11_and_v10)
{
	const char *path = rec_tmp();
	struct in_end e = { .end_ts = 5000, .exit_code = 3,
			    .launch = { .pid = 77, .how = LAUNCH_END_EXIT, .value = 3 } };
	long size;
	uint32_t len;
	struct rec_record r;

	end_written(path, &e);
	CHECK_EQ(first_record(path, &r), 1);
	CHECK(r.end.launch.pid == 77 && r.end.launch.how == LAUNCH_END_EXIT &&
	      r.end.launch.value == 3 && !r.end.launch.core);
	size = rec_file_size(path);
	len = size - 16 - 8 - 16 - 44;
	CHECK(truncate(path, size - 16 - 44) == 0);
	rec_patch(path, 16 + 4, &len, 4);
	rec_patch(path, 8, "\x0a", 1);
	CHECK_EQ(first_record(path, &r), 1);
	CHECK(r.end.exit_code == 3 && !r.end.launch.pid && r.end.launch.how == LAUNCH_END_NONE);
	unlink(path);
}

/* bytes of a record of KIND (its payload B, N bytes) appended to F */
static void rec_raw(FILE *f, unsigned kind, const void *b, uint32_t n)
{
	unsigned char h[8] = { kind, 0, 0, 0, n, n >> 8, n >> 16, n >> 24 };

	CHECK(fwrite(h, 1, 8, f) == 8 && fwrite(b, 1, n, f) == n);
}

/*
 * A version-6 file as that version wrote it (a process record without
 * instance, ns_pid and cgroup; a code map without instance) reads with
 * them unknown; the same bytes marked version 7 are corrupt; an EXIT
 * event of the wrong length is corrupt, so is a TR_EV_PROC.
 */
TEST(recording_v6_process_and_codemap_read)
{
	const char *path = rec_tmp();
	static const unsigned char proc6[] = {
		0x92, 0x10, 0, 0,		/* pid 4242 */
		0xf0, 0x02, 0x0b, 0x03,		/* 3.11.2 */
		TR_STRATEGY_USDT, 0, 0, 0,
		8, 7, 6, 5, 4, 3, 2, 1,		/* attach_ts */
		3, 0, '/', 'p', 'y',		/* exe */
		0, 0,				/* lib "" */
		1, 0, 2, 0, 'w', '!',		/* one warning */
	};
	static const unsigned char map6[] = {
		0x92, 0x10, 0, 0,		/* pid */
		1, 0, 0, 0,			/* lines */
		1, 0, 'n',			/* note */
		3, 0, 0, 0, 'a', 'b', 'c',	/* text */
	};
	static const unsigned char exit7[] = {
		TR_EV_EXIT, 0, 25, 0, 0x92, 0x10, 0, 0, 0x92, 0x10, 0, 0, 1, 0, 0, 0,
		0, 1, 0, 0, 0, 0, 0, 0, 0,	/* one byte too many */
	};
	unsigned char proc_ev[48] = { TR_EV_PROC, 0, 48 };
	struct rec_record r;
	struct rec_reader *rd;
	FILE *f;

	for (int version = 6; version <= 7; version++) {
		f = fopen(path, "w");
		CHECK(f);
		fwrite("PYTRACER", 1, 8, f);
		fwrite((uint32_t[]){ version, 16 }, 4, 2, f);
		rec_raw(f, REC_PROCESS, proc6, sizeof(proc6));
		rec_raw(f, REC_CODEMAP, map6, sizeof(map6));
		fclose(f);
		rd = rec_reader__open(path);
		CHECK(rd);
		if (version == 7) {	/* the fields of version 7 are missing */
			CHECK_EQ(rec_reader__next(rd, &r), -EINVAL);
			rec_reader__close(rd);
			break;
		}
		CHECK_EQ(rec_reader__next(rd, &r), 1);
		CHECK_EQ(r.kind, REC_PROCESS);
		CHECK_EQ(r.process.pid, 4242);
		CHECK_EQ(r.process.version_hex, 0x030b02f0);
		CHECK_EQ(r.process.attach_ts, 0x0102030405060708ull);
		CHECK_STR(r.process.exe, "/py");
		CHECK_STR(r.process.warnings[0], "w!");
		CHECK_EQ(r.process.instance, 0);
		CHECK_EQ(r.process.ns_pid, 0);
		CHECK_STR(r.process.cgroup, "");
		CHECK_EQ(rec_reader__next(rd, &r), 1);
		CHECK_EQ(r.kind, REC_CODEMAP);
		CHECK_EQ(r.codemap.pid, 4242);
		CHECK_EQ(r.codemap.instance, 0);
		CHECK_EQ(r.codemap.lines, 1);
		CHECK_STR(r.codemap.note, "n");
		CHECK_EQ(r.codemap.len, 3);
		CHECK(!memcmp(r.codemap.text, "abc", 3));
		CHECK_EQ(rec_reader__next(rd, &r), 0);
		rec_reader__close(rd);
	}

	for (int i = 0; i < 2; i++) {
		f = fopen(path, "w");
		CHECK(f);
		fwrite("PYTRACER", 1, 8, f);
		fwrite((uint32_t[]){ 7, 16 }, 4, 2, f);
		if (i == 0)
			rec_raw(f, REC_EVENT, exit7, sizeof(exit7));
		else
			rec_raw(f, REC_EVENT, proc_ev, sizeof(proc_ev));
		fclose(f);
		rd = rec_reader__open(path);
		CHECK(rd);
		CHECK_EQ(rec_reader__next(rd, &r), -EINVAL);
		rec_reader__close(rd);
	}
	unlink(path);
}

/* version 7: a code map's instance round-trips */
TEST(recording_codemap_instance_v7)
{
	const char *path = rec_tmp();
	struct rec_writer *w = rec_writer__open(path);
	struct in_codemap m = { .pid = 5, .instance = 9, .lines = 1, .note = "usdt",
				.text = "xyz", .len = 3 };
	struct rec_record r;
	struct rec_reader *rd;

	CHECK(w);
	CHECK_EQ(rec_writer__codemap(w, &m), 0);
	CHECK_EQ(rec_writer__close(w), 0);
	CHECK_EQ(rec_file_size(path), 16 + 8 + 4 + 4 + 4 + (2 + 4) + 4 + 3);
	rd = rec_reader__open(path);
	CHECK(rd);
	CHECK_EQ(rec_reader__next(rd, &r), 1);
	CHECK_EQ(r.kind, REC_CODEMAP);
	CHECK_EQ(r.codemap.pid, 5);
	CHECK_EQ(r.codemap.instance, 9);
	CHECK_STR(r.codemap.note, "usdt");
	CHECK_EQ(r.codemap.len, 3);
	CHECK(!memcmp(r.codemap.text, "xyz", 3));
	rec_reader__close(rd);
	unlink(path);
}

/* version 10: the end's probe cost reads back; one that is not a finite
 * number >= 0 makes the record invalid (the outputs compute with it) */
TEST(recording_end_probe_cost_nan_einval)
{
	const char *path = rec_tmp();
	struct in_end e = { .end_ts = 5000, .probe_cost = { .measured = true,
							    .trap_entry_ns = 5000 } };
	/* file header, record header, the end's fields before the probe cost,
	 * its `measured` */
	long at = 16 + 8 + (8 + 8 + 4 + 4 + 2 + TR_DROP__COUNT * 8) + 2 + 8 + 4;
	const uint64_t nan_bits = 0x7ff8000000000000ull;
	struct rec_record r;

	end_written(path, &e);
	CHECK_EQ(first_record(path, &r), 1);
	CHECK(r.end.probe_cost.measured && r.end.probe_cost.trap_entry_ns == 5000);
	rec_patch(path, at, &nan_bits, 8);
	CHECK_EQ(first_record(path, &r), -EINVAL);
	unlink(path);
}

/* version 12: the probe cost's split, single-step and silent hits read
 * back; a split larger than its trap is corrupt */
TEST(recording_end_probe_cost_v12)
{
	const char *path = rec_tmp();
	struct in_end e = { .end_ts = 5000, .probe_cost = {
		.measured = true, .trap_entry_ns = 6000, .trap_return_ns = 6500,
		.trap_entry_before_ns = 5100, .trap_return_before_ns = 5500,
		.slow_extra_ns = 17000, .slow_sites = 1, .silent_hits = 42, .silent_ns = 6100,
	} };
	struct rec_record r;

	end_written(path, &e);
	CHECK_EQ(first_record(path, &r), 1);
	CHECK(r.end.probe_cost.trap_entry_before_ns == 5100 &&
	      r.end.probe_cost.trap_return_before_ns == 5500 &&
	      r.end.probe_cost.slow_extra_ns == 17000 && r.end.probe_cost.slow_sites == 1 &&
	      r.end.probe_cost.silent_hits == 42 && r.end.probe_cost.silent_ns == 6100);
	unlink(path);

	e.probe_cost.trap_entry_before_ns = 7000;
	end_written(path, &e);
	CHECK(first_record(path, &r) < 0);
	unlink(path);
}
