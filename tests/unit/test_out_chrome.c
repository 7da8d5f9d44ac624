// SPDX-License-Identifier: MIT
/* sink_chrome: a small session through the ops, checked as JSON and text. */
#include <errno.h>
#include <unistd.h>
#include "unit.h"
#include "sinks.h"

static char chrome_path[64];

static const char *chrome_tmp(void)
{
	int fd;

	strcpy(chrome_path, "/tmp/chrome_test_XXXXXX.json");
	fd = mkstemps(chrome_path, 5);
	CHECK(fd >= 0);
	close(fd);
	return chrome_path;
}

static char *chrome_slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	CHECK(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* feed a process, a thread, 2 functions, 3 calls; 0 or the first error */
static int chrome_feed(struct sink *s)
{
	const struct sink_ops *ops = s->ops;
	struct in_process p = { .pid = 100, .version_hex = 0x030b02f0,
				.strategy = TR_STRATEGY_USDT, .attach_ts = 4500000000ull,
				.exe = "/usr/bin/python3.11",
				.lib = "/usr/bin/python3.11", .n_warnings = 1 };
	struct in_thread t = { .pid = 100, .tid = 101, .name = "main" };
	struct func_info f0 = { .id = 0, .qualname = "Outer.run", .file = "/w/a.py", .line = 10 };
	struct func_info f1 = { .id = 1, .qualname = "helper \"q\" \xc3\xa9",
				.file = "/w/b\\.py", .line = 3 };
	struct call_rec c1 = { .pid = 100, .tid = 101, .func = 1, .depth = 1,
			       .start_ns = 5000001234ull, .end_ns = 5000004000ull };
	struct call_rec c2 = { .pid = 100, .tid = 101, .func = 1, .depth = 1,
			       .start_ns = 5000005000ull, .end_ns = 5000005999ull,
			       .flags = CALL_END_INFERRED };
	struct call_rec c3 = { .pid = 100, .tid = 101, .func = 0, .depth = 0,
			       .start_ns = 4000000001ull, .end_ns = 6000000000ull,
			       .child_ns = 3765,
			       .flags = CALL_BEGAN_BEFORE_ATTACH | CALL_END_AT_SESSION_END };
	struct session_stats st = { .first_ts = 4500000000ull, .last_ts = 6000000000ull,
				    .events = 10, .calls = 3, .drops = { 1, 2, 3, 4 },
				    .lost_total = 10, .inferred_returns = 1,
				    .unmatched_returns = 5, .open_at_end = 1,
				    .truncated_names = 6 };
	int err;

	strcpy(p.warnings[0], "no \"line\" probe");
	if ((err = ops->process(s, &p)) || (err = ops->thread(s, &t)) ||
	    (err = ops->func(s, &f0)) || (err = ops->func(s, &f1)) ||
	    (err = ops->call(s, &c1)) || (err = ops->call(s, &c2)) ||
	    (err = ops->call(s, &c3)))
		return err;
	return ops->finish(s, &st);
}

TEST(out_chrome_small_session)
{
	const char *path = chrome_tmp();
	struct sink *s = sink_chrome.open(path);
	char cmd[2048], *out;

	CHECK(s);
	CHECK(s->ops == &sink_chrome);
	CHECK_EQ(chrome_feed(s), 0);
	sink_chrome.free(s);
	out = chrome_slurp(path);

	/* the exact text of the values, computed from the inputs above */
	CHECK(strstr(out, "{\"traceEvents\":["));
	CHECK(strstr(out, "\"args\":{\"name\":\"python 3.11.2 (pid 100) /usr/bin/python3.11\"}"));
	CHECK(strstr(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":100,\"tid\":101,"
			  "\"args\":{\"name\":\"main\"}}"));
	CHECK(strstr(out, "{\"name\":\"helper \\\"q\\\" \xc3\xa9\",\"cat\":\"python\",\"ph\":\"X\","
			  "\"pid\":100,\"tid\":101,\"ts\":5000001.234,\"dur\":2.766,"
			  "\"args\":{\"file\":\"/w/b\\\\.py\",\"line\":3}}"));
	CHECK(strstr(out, "\"ts\":5000005.000,\"dur\":0.999,\"args\":{\"file\":\"/w/b\\\\.py\","
			  "\"line\":3,\"end_inferred\":true}}"));
	CHECK(strstr(out, "{\"name\":\"Outer.run\",\"cat\":\"python\",\"ph\":\"X\",\"pid\":100,"
			  "\"tid\":101,\"ts\":4000000.001,\"dur\":1999999.999,\"args\":{\"file\":"
			  "\"/w/a.py\",\"line\":10,\"began_before_attach\":true,"
			  "\"end_at_session_end\":true}}"));
	CHECK(!strstr(out, "began_before_attach\":false"));

	/* valid JSON with the structure and numbers a viewer reads */
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c '\n"
		 "import json, sys\n"
		 "d = json.load(open(sys.argv[1], encoding=\"utf-8\"))\n"
		 "ev = d[\"traceEvents\"]\n"
		 "assert len(ev) == 5, ev\n"
		 "assert [e[\"ph\"] for e in ev] == [\"M\", \"M\", \"X\", \"X\", \"X\"]\n"
		 "assert ev[0][\"name\"] == \"process_name\" and ev[0][\"pid\"] == 100\n"
		 "x = [e for e in ev if e[\"ph\"] == \"X\"]\n"
		 "assert [e[\"name\"] for e in x] == [\"helper \\\"q\\\" \\u00e9\"] * 2 + [\"Outer.run\"]\n"
		 "assert [e[\"ts\"] for e in x] == [5000001.234, 5000005.0, 4000000.001]\n"
		 "assert [e[\"dur\"] for e in x] == [2.766, 0.999, 1999999.999]\n"
		 "assert x[0][\"args\"] == {\"file\": \"/w/b\\\\.py\", \"line\": 3}\n"
		 "assert d[\"displayTimeUnit\"] == \"ms\"\n"
		 "o = d[\"otherData\"]\n"
		 "assert o[\"tracer\"] == \"tracer 0.1\" and o[\"clock\"] == \"CLOCK_MONOTONIC\"\n"
		 "assert o[\"events\"] == 10 and o[\"inferred_returns\"] == 1\n"
		 "assert o[\"lost\"] == {\"total\": 10, \"ringbuf_full\": 1, \"map_full\": 2,"
		 " \"read_failed\": 3, \"no_config\": 4, \"foreign_thread_state\": 0}, o\n"
		 "assert o[\"unmatched_returns\"] == 5 and o[\"open_at_end\"] == 1\n"
		 "assert o[\"truncated_names\"] == 6\n"
		 "p = o[\"processes\"]\n"
		 "assert p[0][\"strategy\"] == \"usdt\" and p[0][\"pid\"] == 100, p\n"
		 "assert p[0][\"warnings\"] == [\"no \\\"line\\\" probe\"], p\n"
		 "' %s", path);
	CHECK_EQ(system(cmd), 0);
	unlink(path);
}

TEST(out_chrome_empty_session_valid_json)
{
	const char *path = chrome_tmp();
	struct sink *s = sink_chrome.open(path);
	struct session_stats st = { 0 };
	char cmd[512];

	CHECK(s);
	CHECK_EQ(sink_chrome.finish(s, &st), 0);
	sink_chrome.free(s);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import json,sys; "
		 "d = json.load(open(sys.argv[1])); assert d[\"traceEvents\"] == []' %s", path);
	CHECK_EQ(system(cmd), 0);
	unlink(path);
}

TEST(out_chrome_disk_full_error)
{
	struct sink *s = sink_chrome.open("/dev/full");

	CHECK(s);
	CHECK_EQ(chrome_feed(s), -ENOSPC);
	sink_chrome.free(s);
}

TEST(out_chrome_open_error)
{
	errno = 0;
	CHECK(!sink_chrome.open("/nonexistent-dir/x.json"));
	CHECK_EQ(errno, ENOENT);
}

TEST(out_chrome_sinks_for_path)
{
	CHECK(sinks__for_path("out.json") == &sink_chrome);
	CHECK(sinks__for_path("/a/b.c/trace.json") == &sink_chrome);
	CHECK(!sinks__for_path("out.JSON"));
	CHECK(!sinks__for_path("out.json.gz"));
	CHECK(!sinks__for_path("out.trace"));
	CHECK(!sinks__for_path("json"));
	CHECK(sinks__at(0) == &sink_chrome);
	/* every format once, each found by its own suffix (the longest wins) */
	for (size_t i = 0; sinks__at(i); i++) {
		char path[64];
		snprintf(path, sizeof(path), "x%s", sinks__at(i)->suffix);
		CHECK(sinks__for_path(path) == sinks__at(i));
		for (size_t k = 0; k < i; k++)
			CHECK(sinks__at(k) != sinks__at(i));
	}
}
