// SPDX-License-Identifier: MIT
/* sink_chrome: a small session through the ops, checked as JSON and text. */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "output/sinks.h"

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
	/* the array form: one event a line, the tool and clock first */
	{
		static const char head[] = "[\n{\"name\":\"tracer_start\",\"ph\":\"M\",\"pid\":0,"
			"\"tid\":0,\"args\":{\"tracer\":\"tracer 0.1\",\"clock\":\"CLOCK_MONOTONIC\"}},\n{";
		size_t n = strlen(out);

		CHECK(!strncmp(out, head, sizeof(head) - 1));
		CHECK(n > 6 && !strcmp(out + n - 6, "]}}\n]\n"));
	}
	CHECK(strstr(out, "\"args\":{\"name\":\"python3.11 3.11.2 [pid 100]\"}"));
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
		 "ev = json.load(open(sys.argv[1], encoding=\"utf-8\"))\n"
		 "assert isinstance(ev, list) and len(ev) == 7, ev\n"
		 "assert [e[\"ph\"] for e in ev] == [\"M\", \"M\", \"M\", \"X\", \"X\", \"X\", \"M\"]\n"
		 "assert ev[0][\"name\"] == \"tracer_start\" and ev[-1][\"name\"] == \"tracer_session\"\n"
		 "assert ev[1][\"name\"] == \"process_name\" and ev[1][\"pid\"] == 100\n"
		 "x = [e for e in ev if e[\"ph\"] == \"X\"]\n"
		 "assert [e[\"name\"] for e in x] == [\"helper \\\"q\\\" \\u00e9\"] * 2 + [\"Outer.run\"]\n"
		 "assert [e[\"ts\"] for e in x] == [5000001.234, 5000005.0, 4000000.001]\n"
		 "assert [e[\"dur\"] for e in x] == [2.766, 0.999, 1999999.999]\n"
		 "assert x[0][\"args\"] == {\"file\": \"/w/b\\\\.py\", \"line\": 3}\n"
		 "o = ev[-1][\"args\"]\n"
		 "assert o[\"tracer\"] == \"tracer 0.1\" and o[\"clock\"] == \"CLOCK_MONOTONIC\"\n"
		 "assert o[\"events\"] == 10 and o[\"inferred_returns\"] == 1\n"
		 "assert o[\"lost\"] == {\"total\": 10, \"ringbuf_full\": 1, \"map_full\": 2,"
		 " \"read_failed\": 3, \"no_config\": 4, \"foreign_thread_state\": 0}, o\n"
		 "assert o[\"unmatched_returns\"] == 5 and o[\"open_at_end\"] == 1\n"
		 "assert o[\"truncated_names\"] == 6\n"
		 "p = o[\"processes\"]\n"
		 "assert p[0][\"strategy\"] == \"usdt\" and p[0][\"pid\"] == 100, p\n"
		 "assert p[0][\"warnings\"] == [\"no \\\"line\\\" probe\"], p\n"
		 "assert p[0][\"end\"] == \"running\" and \"ns_pid\" not in p[0], p\n"
		 "' %s", path);
	CHECK_EQ(system(cmd), 0);
	unlink(path);
}

/*
 * A thread told again (user/capture/feed.c: its Python name, read after its
 * first event, or a rename) gets another thread_name event, the last one
 * being what viewers show; its name, from the target, escaped: quotes,
 * backslash, controls, U+2028, a byte that is not UTF-8 (U+FFFD), HTML.
 */
TEST(out_chrome_thread_renamed_escaped)
{
	const char *path = chrome_tmp();
	struct sink *s = sink_chrome.open(path);
	struct in_process p = { .pid = 100, .version_hex = 0x030b02f0,
				.strategy = TR_STRATEGY_USDT, .exe = "/usr/bin/python3.11",
				.lib = "/usr/bin/python3.11" };
	struct in_thread t = { .pid = 100, .tid = 101, .name = "python3.11" };
	struct in_thread py = { .pid = 100, .tid = 101,
				.name = "w\xc3\xb6rker \"q\" \\ \x01\t\xe2\x80\xa8\xff</script>" };
	struct session_stats st = { .first_ts = 1, .last_ts = 2 };
	char cmd[2048], *out;

	CHECK(s);
	CHECK_EQ(s->ops->process(s, &p), 0);
	CHECK_EQ(s->ops->thread(s, &t), 0);
	CHECK_EQ(s->ops->thread(s, &py), 0);
	CHECK_EQ(s->ops->finish(s, &st), 0);
	sink_chrome.free(s);
	out = chrome_slurp(path);
	CHECK(strstr(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":100,\"tid\":101,"
			  "\"args\":{\"name\":\"python3.11\"}}"));
	/* nothing raw: no control byte, no U+2028, no malformed byte */
	for (const unsigned char *c = (const unsigned char *)out; *c; c++)
		CHECK(*c != 0x01 && *c != '\t' && *c != 0xff);
	CHECK(!strstr(out, "\xe2\x80\xa8"));
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c '\n"
		 "import json, sys\n"
		 "ev = json.load(open(sys.argv[1], encoding=\"utf-8\"))\n"
		 "n = [e[\"args\"][\"name\"] for e in ev if e[\"name\"] == \"thread_name\"]\n"
		 "want = \"w\\u00f6rker \\\"q\\\" \\\\ \\u0001\\t\\u2028\\ufffd</script>\"\n"
		 "assert n == [\"python3.11\", want], n\n"
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
		 "ev = json.load(open(sys.argv[1])); "
		 "assert [e[\"name\"] for e in ev] == [\"tracer_start\", \"tracer_session\"]' %s",
		 path);
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

/*
 * A system-wide session's processes: pid 200 (ns pid 1 in a container's
 * cgroup) exits with a call open, pid 200 again (another instance) runs
 * to the end, pid 300's exit was not seen. Each is named by pid, ns pid
 * and cgroup; the call open at the exit says so; otherData tells each
 * process's end.
 */
TEST(out_chrome_processes_and_exits)
{
	const char *path = chrome_tmp();
	struct sink *s = sink_chrome.open(path);
	struct in_process p1 = { .pid = 200, .instance = 3, .ns_pid = 1,
				 .cgroup = "/system.slice/docker-ab.scope",
				 .version_hex = 0x030c01f0, .strategy = TR_STRATEGY_DISPATCH,
				 .exe = "/usr/local/bin/python3.12" };
	struct in_process p2 = { .pid = 200, .instance = 4, .ns_pid = 200, .version_hex = 0x030b00f0,
				 .strategy = TR_STRATEGY_USDT, .exe = "/usr/bin/python3.11" };
	struct in_process p3 = { .pid = 300, .instance = 5, .version_hex = 0x030b00f0,
				 .strategy = TR_STRATEGY_USDT, .exe = "" };
	struct func_info f = { .id = 0, .qualname = "main", .file = "/w/a.py", .line = 1 };
	struct call_rec c = { .pid = 200, .tid = 200, .start_ns = 1000, .end_ns = 3000,
			      .flags = CALL_END_AT_EXIT };
	struct proc_end_rec e1 = { .pid = 200, .instance = 3, .ts = 3000, .flags = PROC_END_EXEC };
	struct proc_end_rec e3 = { .pid = 300, .instance = 5, .ts = 3500,
				   .flags = PROC_END_UNSEEN };
	struct session_stats st = { .processes = 3, .exits = 1, .exits_unseen = 1,
				    .open_at_exit = 1, .events_stale = 2 };
	char cmd[2048], *out;

	CHECK(s);
	CHECK_EQ(s->ops->process(s, &p1), 0);
	CHECK_EQ(s->ops->process(s, &p3), 0);
	CHECK_EQ(s->ops->process(s, &p3), 0);	/* described again: the same one */
	CHECK_EQ(s->ops->func(s, &f), 0);
	CHECK_EQ(s->ops->call(s, &c), 0);
	CHECK_EQ(s->ops->process_end(s, &e1), 0);
	CHECK_EQ(s->ops->process(s, &p2), 0);
	CHECK_EQ(s->ops->process_end(s, &e3), 0);
	CHECK_EQ(s->ops->finish(s, &st), 0);
	sink_chrome.free(s);
	out = chrome_slurp(path);
	CHECK(strstr(out, "\"args\":{\"name\":\"python3.12 3.12.1 [pid 200, ns pid 1, "
			  "cgroup /system.slice/docker-ab.scope]\"}"));
	CHECK(strstr(out, "\"args\":{\"name\":\"python3.11 3.11.0 [pid 200]\"}"));
	CHECK(strstr(out, "\"args\":{\"name\":\"python 3.11.0 [pid 300]\"}"));
	CHECK(strstr(out, "\"line\":1,\"end_at_exit\":true}}"));
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c '\n"
		 "import json, sys\n"
		 "o = json.load(open(sys.argv[1], encoding=\"utf-8\"))[-1][\"args\"]\n"
		 "assert (o[\"processes_traced\"], o[\"exits\"], o[\"exits_unseen\"], o[\"open_at_exit\"],"
		 " o[\"events_stale\"]) == (3, 1, 1, 1, 2), o\n"
		 "p = o[\"processes\"]\n"
		 "assert [(q[\"pid\"], q.get(\"instance\"), q[\"end\"], q.get(\"end_ts_ns\")) for q in p] == "
		 "[(200, 3, \"exec\", 3000), (300, 5, \"exit_not_seen\", 3500), (200, 4, \"running\", None)], p\n"
		 "assert p[0][\"ns_pid\"] == 1 and p[0][\"cgroup\"] == \"/system.slice/docker-ab.scope\", p\n"
		 "assert \"cgroup\" not in p[1] and \"ns_pid\" not in p[1], p\n"
		 "' %s", path);
	CHECK_EQ(system(cmd), 0);
	unlink(path);
}

/* The way catapult's trace viewer and speedscope read a JSON array that
 * was cut short: trailing blanks and comma stripped, `]` appended. */
#define CHROME_CUT_READER \
	"import json, sys\n" \
	"t = open(sys.argv[1], encoding=\"utf-8\").read().rstrip()\n" \
	"assert t[0] == \"[\", t[:20]\n" \
	"t = t.rstrip(\",\").rstrip()\n" \
	"ev = json.loads(t if t.endswith(\"]\") else t + \"]\")\n"

/* feed N calls of one function (a process and a thread before) */
static void chrome_feed_calls(struct sink *s, int from, int n)
{
	struct in_process p = { .pid = 7, .version_hex = 0x030b02f0, .exe = "/usr/bin/python3" };
	struct in_thread t = { .pid = 7, .tid = 7, .name = "main" };
	struct func_info f = { .id = 0, .qualname = "work", .file = "/w/a.py", .line = 2 };

	if (!from) {
		CHECK_EQ(s->ops->process(s, &p), 0);
		CHECK_EQ(s->ops->thread(s, &t), 0);
		CHECK_EQ(s->ops->func(s, &f), 0);
	}
	for (int i = from; i < from + n; i++) {
		struct call_rec c = { .pid = 7, .tid = 7, .func = 0,
				      .start_ns = 1000000ull * i, .end_ns = 1000000ull * i + 500 };

		if (s->ops->call(s, &c))
			return;
	}
}

/* the one NAME.tracer-partial-* in DIR, into PATH */
static int chrome_partial(const char *dir, char *path, size_t size)
{
	char cmd[512];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls %s/x.json.tracer-partial-* 2>/dev/null", dir);
	p = popen(cmd, "r");
	CHECK(p);
	while (fgets(path, size, p))
		n++;
	pclose(p);
	if (n == 1)
		path[strcspn(path, "\n")] = 0;
	return n;
}

/*
 * The tracer killed with SIGKILL mid-session: its partial file holds every
 * event written before the last write, readable as a cut JSON array (the
 * object form was not: a cut {"traceEvents":[... has no reading).
 */
TEST(out_chrome_kill_9_leaves_a_readable_array)
{
	char dir[] = "/tmp/chrome_kill_XXXXXX", path[256], cmd[1024];
	pid_t pid;
	int status;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.json", dir);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct sink *s = sink_chrome.open(path);

		if (!s)
			_exit(1);
		chrome_feed_calls(s, 0, 3000);	/* ~ 300 KiB: written in 64 KiB steps */
		usleep(150000);			/* more than CUT_STREAM_NS */
		chrome_feed_calls(s, 3000, 1);	/* written, with all before it */
		chrome_feed_calls(s, 3001, 5);	/* pending: lost */
		raise(SIGKILL);
		_exit(2);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ(chrome_partial(dir, path, sizeof(path)), 1);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '\n" CHROME_CUT_READER
		 "assert ev[0][\"name\"] == \"tracer_start\", ev[0]\n"
		 "assert not [e for e in ev if e[\"name\"] == \"tracer_session\"]\n"
		 "x = [e[\"ts\"] for e in ev if e[\"ph\"] == \"X\"]\n"
		 "assert x == [1000.0 * i for i in range(3001)], (len(x), x[-3:])\n"
		 "' %s", path);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

/*
 * A write failing part-way (a full disk; the file size limit here): the
 * file is cut back to its last whole event and kept under its name,
 * readable the same way; the session's error is returned.
 */
TEST(out_chrome_write_error_keeps_whole_events)
{
	struct rlimit lim = { .rlim_cur = 200000, .rlim_max = RLIM_INFINITY };
	char dir[] = "/tmp/chrome_full_XXXXXX", path[256], cmd[1024];
	struct session_stats st = { 0 };
	struct sink *s;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.json", dir);
	s = sink_chrome.open(path);
	CHECK(s);
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	chrome_feed_calls(s, 0, 5000);	/* ~ 500 KiB */
	CHECK_EQ(sink_chrome.finish(s, &st), -EFBIG);
	sink_chrome.free(s);
	CHECK_EQ(chrome_partial(dir, cmd, sizeof(cmd)), 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '\n" CHROME_CUT_READER
		 "x = [e[\"ts\"] for e in ev if e[\"ph\"] == \"X\"]\n"
		 "assert 1000 < len(x) < 5000 and x == [1000.0 * i for i in range(len(x))], len(x)\n"
		 "' %s", path);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}
