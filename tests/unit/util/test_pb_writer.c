// SPDX-License-Identifier: MIT
/*
 * pb_writer: byte-exact encodings (the examples of the protobuf encoding
 * guide among them), nested messages short and long, packed fields; and
 * the two sinks built on it, sink_pprof and sink_pftrace, fed a small
 * session through their ops and decoded back here (a reader of a few
 * lines), plus their behaviour on a full disk.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>
#include "unit.h"
#include "util/pb_writer.h"
#include "output/sinks.h"

extern const struct sink_ops sink_pprof;
extern const struct sink_ops sink_pftrace;

/* W's bytes == the N bytes of EXP */
static bool pb_is(const struct pb_writer *w, const char *exp, size_t n)
{
	if (w->len == n && !memcmp(w->buf, exp, n))
		return true;
	fprintf(stderr, "  got %zu bytes:", w->len);
	for (size_t i = 0; i < w->len && i < 64; i++)
		fprintf(stderr, " %02x", w->buf[i]);
	fprintf(stderr, "\n");
	return false;
}
#define PB_IS(w, lit) pb_is(w, lit, sizeof(lit) - 1)

TEST(pb_varint_encodings)
{
	struct pb_writer w;

	pb_writer__init(&w);
	pb__varint(&w, 0);
	pb__varint(&w, 1);
	pb__varint(&w, 127);
	pb__varint(&w, 128);
	pb__varint(&w, 300);
	CHECK(PB_IS(&w, "\x00\x01\x7f\x80\x01\xac\x02"));
	pb_writer__reset(&w);
	pb__varint(&w, UINT64_MAX);
	CHECK(PB_IS(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"));
	CHECK_EQ(pb__varint_size(0), 1);
	CHECK_EQ(pb__varint_size(127), 1);
	CHECK_EQ(pb__varint_size(128), 2);
	CHECK_EQ(pb__varint_size(16383), 2);
	CHECK_EQ(pb__varint_size(16384), 3);
	CHECK_EQ(pb__varint_size(UINT64_MAX), 10);
	CHECK_EQ(pb_writer__error(&w), 0);
	pb_writer__free(&w);
}

TEST(pb_scalar_fields)
{
	struct pb_writer w;

	pb_writer__init(&w);
	pb__uint(&w, 1, 150);			/* the guide's first example */
	CHECK(PB_IS(&w, "\x08\x96\x01"));
	pb_writer__reset(&w);
	pb__int(&w, 2, -1);			/* int64 -1: ten bytes */
	CHECK(PB_IS(&w, "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"));
	pb_writer__reset(&w);
	pb__sint(&w, 1, -1);
	pb__sint(&w, 1, 1);
	pb__sint(&w, 1, -2);
	pb__sint(&w, 1, 2147483647);
	CHECK(PB_IS(&w, "\x08\x01\x08\x02\x08\x03\x08\xfe\xff\xff\xff\x0f"));
	CHECK(pb__zigzag(INT64_MIN) == UINT64_MAX);
	CHECK(pb__zigzag(INT64_MAX) == UINT64_MAX - 1);
	pb_writer__reset(&w);
	pb__fixed64(&w, 1, 0x0102030405060708ull);
	CHECK(PB_IS(&w, "\x09\x08\x07\x06\x05\x04\x03\x02\x01"));
	pb_writer__reset(&w);
	pb__uint(&w, 58, 3);			/* a two-byte tag */
	pb__uint(&w, 16, 1);
	CHECK(PB_IS(&w, "\xd0\x03\x03\x80\x01\x01"));
	pb_writer__free(&w);
}

TEST(pb_strings_and_bytes)
{
	struct pb_writer w;

	pb_writer__init(&w);
	pb__string(&w, 2, "testing");
	CHECK(PB_IS(&w, "\x12\x07testing"));
	pb_writer__reset(&w);
	pb__string(&w, 2, "");
	pb__string(&w, 2, NULL);
	pb__bytes(&w, 3, "a\0b", 3);
	CHECK(PB_IS(&w, "\x12\x00\x12\x00\x1a\x03" "a\0b"));
	pb_writer__free(&w);
}

TEST(pb_nested_short)
{
	struct pb_writer w;
	size_t m;

	pb_writer__init(&w);
	m = pb__begin(&w, 3);			/* the guide's embedded message */
	pb__uint(&w, 1, 150);
	pb__end(&w, m);
	CHECK(PB_IS(&w, "\x1a\x03\x08\x96\x01"));
	pb_writer__reset(&w);
	m = pb__begin(&w, 3);			/* empty */
	pb__end(&w, m);
	CHECK(PB_IS(&w, "\x1a\x00"));
	pb_writer__free(&w);
}

TEST(pb_nested_long_moves_body)
{
	struct pb_writer w;
	char big[300], exp[400];
	size_t m, in, n = 0;

	memset(big, 'a', sizeof(big));
	pb_writer__init(&w);
	/* outer { 1: 7, inner { 300 bytes }, 2: 9 }: both lengths need 2 bytes */
	m = pb__begin(&w, 5);
	pb__uint(&w, 1, 7);
	in = pb__begin(&w, 4);
	pb__bytes(&w, 1, big, sizeof(big));
	pb__end(&w, in);
	pb__uint(&w, 2, 9);
	pb__end(&w, m);
	CHECK_EQ(pb_writer__error(&w), 0);
	/* inner body: 0a ac 02 + 300 = 303 bytes; outer: 08 07 + 22 af 02 + 303
	 * + 10 09 = 2 + 3 + 303 + 2 = 310 */
	exp[n++] = 0x2a;
	exp[n++] = (char)0xb6;
	exp[n++] = 0x02;
	exp[n++] = 0x08;
	exp[n++] = 0x07;
	exp[n++] = 0x22;
	exp[n++] = (char)0xaf;
	exp[n++] = 0x02;
	exp[n++] = 0x0a;
	exp[n++] = (char)0xac;
	exp[n++] = 0x02;
	memcpy(exp + n, big, sizeof(big));
	n += sizeof(big);
	exp[n++] = 0x10;
	exp[n++] = 0x09;
	CHECK(pb_is(&w, exp, n));
	pb_writer__free(&w);
}

TEST(pb_packed_varints)
{
	struct pb_writer w;
	uint64_t v[] = { 3, 270, 86942 };

	pb_writer__init(&w);
	pb__packed_uint(&w, 4, v, 3);		/* the guide's packed example */
	CHECK(PB_IS(&w, "\x22\x06\x03\x8e\x02\x9e\xa7\x05"));
	pb_writer__reset(&w);
	pb__packed_uint(&w, 4, v, 0);		/* nothing at all */
	CHECK_EQ(w.len, 0);
	pb_writer__free(&w);
}

TEST(pb_grows_and_resets)
{
	struct pb_writer w;
	size_t n = 0;

	pb_writer__init(&w);
	for (uint64_t i = 0; i < 100000; i++) {
		pb__uint(&w, 1, i);
		n += 1 + pb__varint_size(i);
	}
	CHECK_EQ(pb_writer__len(&w), n);
	CHECK_EQ(pb_writer__error(&w), 0);
	pb_writer__reset(&w);
	CHECK_EQ(pb_writer__len(&w), 0);
	pb__uint(&w, 1, 1);
	CHECK(PB_IS(&w, "\x08\x01"));
	pb_writer__free(&w);
	CHECK(w.buf == NULL && w.len == 0);
}

/* ---- a reader, to check what the sinks wrote ------------------------- */

struct pbr {
	const uint8_t *p, *end;
	uint32_t field;
	unsigned wire;
	uint64_t v;		/* varint / fixed64 value, or length */
	const uint8_t *data;	/* a length-delimited field's bytes */
};

static uint64_t pbr_varint(struct pbr *r)
{
	uint64_t v = 0;

	for (int s = 0; r->p < r->end && s < 64; s += 7) {
		uint8_t b = *r->p++;

		v |= (uint64_t)(b & 0x7f) << s;
		if (b < 0x80)
			return v;
	}
	CHECK(!"truncated varint");
	return 0;
}

static bool pbr_next(struct pbr *r)
{
	uint64_t tag;

	if (r->p >= r->end)
		return false;
	tag = pbr_varint(r);
	r->field = tag >> 3;
	r->wire = tag & 7;
	CHECK(r->field != 0);
	switch (r->wire) {
	case PB_VARINT:
		r->v = pbr_varint(r);
		break;
	case PB_FIXED64:
		CHECK(r->end - r->p >= 8);
		r->v = 0;
		for (int i = 0; i < 8; i++)
			r->v |= (uint64_t)r->p[i] << (8 * i);
		r->p += 8;
		break;
	case PB_LEN:
		r->v = pbr_varint(r);
		CHECK((uint64_t)(r->end - r->p) >= r->v);
		r->data = r->p;
		r->p += r->v;
		break;
	default:
		CHECK(!"unexpected wire type");
	}
	return true;
}

static struct pbr pbr_sub(const struct pbr *r)
{
	return (struct pbr){ .p = r->data, .end = r->data + r->v };
}

static char *tmp_path(const char *suffix)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/pb_test_XXXXXX%s", suffix);
	fd = mkstemps(path, strlen(suffix));
	CHECK(fd >= 0);
	close(fd);
	return path;
}

static uint8_t *slurp(const char *path, size_t *n, bool gunzip)
{
	static uint8_t buf[1 << 20];
	gzFile g = gunzip ? gzopen(path, "rb") : NULL;
	FILE *f = gunzip ? NULL : fopen(path, "rb");
	int r;

	CHECK(gunzip ? g != NULL : f != NULL);
	if (gunzip) {
		r = gzread(g, buf, sizeof(buf));
		CHECK(r >= 0);
		*n = r;
		gzclose(g);
	} else {
		*n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	return buf;
}

/* A session: process 100, thread 101; f0 calls f1 twice, then a call of
 * f1 running since before the attach ends at the end (its begin comes
 * late, with an earlier time). Stacks: 1 = f0, 2 = f0>f1, 3 = f1. */
static int pb_feed(struct sink *s, struct session_stats *st)
{
	const struct sink_ops *o = s->ops;
	struct in_process p = { .pid = 100, .version_hex = 0x030b02f0, .strategy = TR_STRATEGY_USDT,
				.attach_ts = 1000, .exe = "/usr/bin/python3.11", .n_warnings = 1,
				.warnings = { "a warning" } };
	struct in_thread t = { .pid = 100, .tid = 101, .name = "main" };
	struct func_info f0 = { .id = 0, .qualname = "outer", .file = "/w/a.py", .line = 10 };
	struct func_info f1 = { .id = 1, .qualname = "inner", .file = "/w/a.py", .line = 3 };
	struct stack_node n1 = { .id = 1, .parent = 0, .func = 0, .depth = 0 };
	struct stack_node n2 = { .id = 2, .parent = 1, .func = 1, .depth = 1 };
	struct stack_node n3 = { .id = 3, .parent = 0, .func = 1, .depth = 0 };
	struct call_rec b0 = { .pid = 100, .tid = 101, .func = 0, .stack = 1, .start_ns = 2000 };
	struct call_rec b1 = { .pid = 100, .tid = 101, .func = 1, .depth = 1, .stack = 2,
			       .start_ns = 2100 };
	struct call_rec c1 = b1;
	struct call_rec b2 = b1, c2;
	struct call_rec c0 = b0;
	struct call_rec b3 = { .pid = 100, .tid = 101, .func = 1, .stack = 3, .start_ns = 1000,
			       .flags = CALL_BEGAN_BEFORE_ATTACH };
	struct call_rec c3 = b3;
	int err;

	c1.end_ns = 2300;
	b2.start_ns = 2400;
	c2 = b2;
	c2.end_ns = 2450;
	c2.flags = CALL_END_INFERRED;
	c0.end_ns = 3000;
	c0.child_ns = 250;
	c3.end_ns = 400000;
	c3.child_ns = 1000;
	c3.flags |= CALL_END_AT_SESSION_END;
	*st = (struct session_stats){ .first_ts = 1000, .last_ts = 400000, .events = 9,
				      .calls = 4, .drops = { 2 }, .lost_total = 2 };
	if ((err = o->process(s, &p)) || (o->thread && (err = o->thread(s, &t))) ||
	    (err = o->func(s, &f0)) || (err = o->func(s, &f1)))
		return err;
	if (o->stack && ((err = o->stack(s, &n1)) || (err = o->stack(s, &n2)) ||
			 (err = o->stack(s, &n3))))
		return err;
#define B(c) (o->begin ? o->begin(s, &(c)) : 0)
	if ((err = B(b0)) || (err = B(b1)) || (err = o->call(s, &c1)) || (err = B(b2)) ||
	    (err = o->call(s, &c2)) || (err = o->call(s, &c0)) || (err = B(b3)) ||
	    (err = o->call(s, &c3)))
		return err;
#undef B
	return 0;
}

/* protoc, when installed, decodes FILE (after gunzip -c when GZ) */
static void protoc_decodes(const char *path, bool gz)
{
	char cmd[256];

	if (access("/usr/bin/protoc", X_OK))
		return;
	snprintf(cmd, sizeof(cmd), "%s %s | /usr/bin/protoc --decode_raw > /dev/null",
		 gz ? "gunzip -c" : "cat", path);
	CHECK_EQ(system(cmd), 0);
}

TEST(pb_sink_pprof_small_session)
{
	const char *path = tmp_path(".pprof");
	struct sink *s = sink_pprof.open(path);
	struct session_stats st;
	struct pbr r, m, l;
	const char *strs[64];
	size_t n, n_strs = 0;
	uint64_t value_sum = 0, samples = 0, sample_type = 0, locs = 0, funcs = 0;
	uint64_t fname[3] = { 0 }, leaf_of_value[3] = { 0 }, mappings = 0, calls_sum = 0;

	CHECK(s);
	CHECK_EQ(pb_feed(s, &st), 0);
	CHECK_EQ(sink_pprof.finish(s, &st), 0);
	sink_pprof.free(s);
	protoc_decodes(path, true);
	r = (struct pbr){ .p = slurp(path, &n, true) };
	r.end = r.p + n;
	/* strings first (indices are referred to by everything else) */
	for (struct pbr a = r; pbr_next(&a);)
		if (a.field == 6 && n_strs < 64)
			strs[n_strs++] = strndup((const char *)a.data, a.v);
	CHECK(n_strs > 4);
	CHECK_STR(strs[0], "");
	while (pbr_next(&r)) {
		switch (r.field) {
		case 1:	/* sample_type: wall (ns), then calls (count) */
			sample_type++;
			m = pbr_sub(&r);
			CHECK(pbr_next(&m) && m.field == 1);
			CHECK_STR(strs[m.v], sample_type == 1 ? "wall" : "calls");
			CHECK(pbr_next(&m) && m.field == 2);
			CHECK_STR(strs[m.v], sample_type == 1 ? "nanoseconds" : "count");
			break;
		case 3: {	/* the mapping: the interpreter, symbolized */
			uint64_t flags = 0;

			mappings++;
			m = pbr_sub(&r);
			while (pbr_next(&m))
				if (m.field == 1)
					CHECK_EQ(m.v, 1);
				else if (m.field == 5)
					CHECK_STR(strs[m.v], "/usr/bin/python3.11");
				else if (m.field >= 7 && m.field <= 9 && m.v == 1)
					flags++;
			CHECK_EQ(flags, 3);
			break;
		}
		case 2: {	/* sample: packed location ids, values, labels */
			uint64_t ids[8], nid = 0, val = 0, ncalls = 0, labels = 0;

			samples++;
			m = pbr_sub(&r);
			while (pbr_next(&m)) {
				l = pbr_sub(&m);
				if (m.field == 1)
					while (l.p < l.end && nid < 8)
						ids[nid++] = pbr_varint(&l);
				if (m.field == 2) {
					val = pbr_varint(&l);
					ncalls = pbr_varint(&l);
				}
				if (m.field == 3) {	/* label: key, then str or num */
					struct pbr k = l;
					const char *key = NULL;

					labels++;
					while (pbr_next(&k))
						if (k.field == 1)
							key = strs[k.v];
						else if (k.field == 2)
							CHECK(key && !strcmp(key, "thread_name") &&
							      !strcmp(strs[k.v], "main"));
						else if (k.field == 3)
							CHECK(key && ((!strcmp(key, "pid") && k.v == 100) ||
								      (!strcmp(key, "thread") && k.v == 101)));
				}
			}
			CHECK_EQ(labels, 3);
			CHECK(ncalls >= 1);
			calls_sum += ncalls;
			value_sum += val;
			CHECK(nid >= 1 && ids[0] <= 2);
			leaf_of_value[ids[0]] += val;
			if (nid == 2)	/* f0 > f1: leaf first */
				CHECK(ids[0] == 2 && ids[1] == 1);
			break;
		}
		case 4:
			locs++;
			break;
		case 5: {	/* function */
			uint64_t id = 0, name = 0, file = 0, line = 0;

			funcs++;
			m = pbr_sub(&r);
			while (pbr_next(&m))
				if (m.field == 1)
					id = m.v;
				else if (m.field == 2)
					name = m.v;
				else if (m.field == 4)
					file = m.v;
				else if (m.field == 5)
					line = m.v;
			CHECK(id >= 1 && id <= 2);
			fname[id] = name;
			CHECK_STR(strs[file], "/w/a.py");
			CHECK_EQ(line, id == 1 ? 10 : 3);
			break;
		}
		}
	}
	CHECK_EQ(sample_type, 2);
	CHECK_EQ(mappings, 1);
	CHECK_EQ(calls_sum, 4);
	CHECK_EQ(samples, 3);
	CHECK_EQ(locs, 2);
	CHECK_EQ(funcs, 2);
	CHECK_STR(strs[fname[1]], "outer");
	CHECK_STR(strs[fname[2]], "inner");
	/* self times: outer 1000 - 250, inner 200 + 50 (+ 399000 - 1000) */
	CHECK_EQ(leaf_of_value[1], 750);
	CHECK_EQ(leaf_of_value[2], 250 + 398000);
	CHECK_EQ(value_sum, 750 + 250 + 398000);
	unlink(path);
}

TEST(pb_sink_pftrace_small_session)
{
	const char *path = tmp_path(".pftrace");
	struct sink *s = sink_pftrace.open(path);
	struct session_stats st;
	struct pbr r, p, m;
	size_t n;
	uint64_t clock[8] = { 0 }, begins[8], nb = 0, ends[8], ne = 0;
	uint64_t names[8], flagged = 0;
	bool warned = false, session = false;

	CHECK(s);
	CHECK_EQ(pb_feed(s, &st), 0);
	CHECK_EQ(sink_pftrace.finish(s, &st), 0);
	sink_pftrace.free(s);
	protoc_decodes(path, false);
	r = (struct pbr){ .p = slurp(path, &n, false) };
	r.end = r.p + n;
	/* replay the thread's incremental clock: every packet of the thread
	 * (sequence 2) is a delta, except one absolute (the late begin) */
	while (pbr_next(&r)) {
		uint64_t seq = 0, ts = 0, clock_id = 0, type = 0, name = 0;
		bool has_ts = false, has_te = false, is_snapshot = false, arg = false;

		CHECK_EQ(r.field, 1);
		p = pbr_sub(&r);
		while (pbr_next(&p)) {
			if (p.field == 10)
				seq = p.v;
			if (p.field == 8) {
				ts = p.v;
				has_ts = true;
			}
			if (p.field == 58)
				clock_id = p.v;
			if (p.field == 6)
				is_snapshot = true;
			if (p.field == 6 && seq == 2) {
				/* its first clock: 64, incremental, at the first begin */
				struct pbr c = pbr_sub(&p), k;

				CHECK(pbr_next(&c) && c.field == 1);
				k = pbr_sub(&c);
				CHECK(pbr_next(&k) && k.field == 1 && k.v == 64);
				CHECK(pbr_next(&k) && k.field == 2 && k.v == 2000);
				clock[2] = 2000;
			}
			if (p.field == 11) {
				has_te = true;
				m = pbr_sub(&p);
				while (pbr_next(&m)) {
					if (m.field == 9)
						type = m.v;
					if (m.field == 10)
						name = m.v;
					if (m.field == 4)
						arg = true;
					if (m.field == 23 && m.v >= 8 &&
					    !memcmp(m.data, "tracer: ", 8)) {
						warned |= memmem(m.data, m.v, "1 warning", 9) != NULL;
						session |= memmem(m.data, m.v, "2 lost", 6) != NULL;
					}
				}
			}
		}
		CHECK(seq == 1 || seq == 2);
		if (seq != 2 || is_snapshot || !has_te)
			continue;
		CHECK(has_ts);
		if (clock_id == 3) {		/* absolute */
			CHECK(type == 1 && ts == 1000);
		} else {
			CHECK_EQ(clock_id, 0);
			clock[2] += ts;
			ts = clock[2];
		}
		flagged += arg;
		if (type == 1 && nb < 8) {
			names[nb] = name;
			begins[nb++] = ts;
		}
		if (type == 2 && ne < 8)
			ends[ne++] = ts;
	}
	CHECK_EQ(nb, 4);
	CHECK_EQ(ne, 4);
	CHECK_EQ(begins[0], 2000);
	CHECK_EQ(begins[1], 2100);
	CHECK_EQ(begins[2], 2400);
	CHECK_EQ(begins[3], 1000);
	CHECK(names[0] == 1 && names[1] == 2 && names[2] == 2 && names[3] == 2);
	CHECK_EQ(ends[0], 2300);
	CHECK_EQ(ends[1], 2450);
	CHECK_EQ(ends[2], 3000);
	CHECK_EQ(ends[3], 400000);
	CHECK_EQ(flagged, 3);	/* end_inferred, began_before_attach, end_at_session_end */
	CHECK(warned);
	CHECK(session);
	unlink(path);
}

/* a full disk: finish says so */
static void pb_sink_full_disk(const struct sink_ops *ops)
{
	struct sink *s = ops->open("/dev/full");
	struct session_stats st;

	CHECK(s);
	CHECK_EQ(pb_feed(s, &st), 0);
	CHECK_EQ(ops->finish(s, &st), -ENOSPC);
	ops->free(s);
}

TEST(pb_sink_pprof_full_disk)
{
	pb_sink_full_disk(&sink_pprof);
}

TEST(pb_sink_pftrace_full_disk)
{
	pb_sink_full_disk(&sink_pftrace);
}

TEST(pb_sinks_chosen_by_suffix)
{
	CHECK(sinks__for_path("x.pprof") == &sink_pprof);
	CHECK(sinks__for_path("/a/b.pftrace") == &sink_pftrace);
	CHECK_STR(sink_pprof.name, "pprof");
	CHECK_STR(sink_pftrace.name, "pftrace");
}
