// SPDX-License-Identifier: MIT
/* sink_summary: recursion counted once, self time, ordering, counters. */
#include <errno.h>
#include <unistd.h>
#include "unit.h"
#include "output/sinks.h"

#define MS 1000000ull

static char summary_path[64];

static struct sink *summary_open_tmp(void)
{
	int fd;
	struct sink *s;

	strcpy(summary_path, "/tmp/summary_test_XXXXXX");
	fd = mkstemp(summary_path);
	CHECK(fd >= 0);
	close(fd);
	s = sink_summary.open(summary_path);
	CHECK(s);
	return s;
}

static char *summary_slurp(void)
{
	static char buf[65536];
	FILE *f = fopen(summary_path, "r");
	size_t n;

	CHECK(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	unlink(summary_path);
	return buf;
}

/* the table row ending in NAME: its calls, total and self columns */
static void summary_row(const char *out, const char *name, unsigned long long *calls,
			char *total, char *self)
{
	const char *end = strstr(out, name), *line;

	CHECK(end);
	for (line = end; line > out && line[-1] != '\n'; line--)
		;
	CHECK_EQ(sscanf(line, "%llu %31s %31s", calls, total, self), 3);
}

static void summary_func(struct sink *s, uint32_t id, const char *name, const char *file,
			 uint32_t line)
{
	struct func_info f = { .id = id, .qualname = name, .file = file, .line = line };

	CHECK_EQ(s->ops->func(s, &f), 0);
}

static void summary_call(struct sink *s, uint32_t func, uint64_t start, uint64_t end,
			 uint64_t child, uint32_t flags)
{
	struct call_rec c = { .pid = 7, .tid = 7, .func = func, .start_ns = start,
			      .end_ns = end, .child_ns = child, .flags = flags };

	CHECK_EQ(s->ops->call(s, &c), 0);
}

/*
 * f (10..100 ms) calls f again (20..50 ms), which calls g (30..40 ms).
 * f total: 90 ms, the inner call is inside it; f self: (90 - 30) + (30 - 10)
 * = 80 ms over 2 calls; g: 1 call, 10 ms, self 10 ms. g (10 ms) lists after f.
 */
TEST(out_summary_recursion_counted_once)
{
	struct sink *s = summary_open_tmp();
	struct in_process p = { .pid = 7, .version_hex = 0x030a0df0, /* 3.10.13 final, as Py_Version has it */
				.strategy = TR_STRATEGY_EVAL, .exe = "/opt/py/bin/python3.10",
				.lib = "/opt/py/lib/libpython3.10.so.1.0", .n_warnings = 1,
				.warnings = { "generators: resumes count as calls" } };
	struct session_stats st = { .events = 6, .calls = 3 };
	unsigned long long calls;
	char total[32], self[32], *out;

	CHECK_EQ(sink_summary.process(s, &p), 0);
	summary_func(s, 0, "f", "/r.py", 1);
	summary_func(s, 1, "g", "/r.py", 5);
	summary_call(s, 1, 30 * MS, 40 * MS, 0, 0);
	summary_call(s, 0, 20 * MS, 50 * MS, 10 * MS, CALL_NESTED_SAME_FUNC);
	summary_call(s, 0, 10 * MS, 100 * MS, 30 * MS, 0);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();

	CHECK(strstr(out, "process 7: Python 3.10.13 /opt/py/bin/python3.10\n"
			  "  strategy: eval ("));
	CHECK(strstr(out, "  warning: generators: resumes count as calls\n"));
	summary_row(out, "f (/r.py:1)\n", &calls, total, self);
	CHECK_EQ(calls, 2);
	CHECK_STR(total, "90.000");
	CHECK_STR(self, "80.000");
	summary_row(out, "g (/r.py:5)\n", &calls, total, self);
	CHECK_EQ(calls, 1);
	CHECK_STR(total, "10.000");
	CHECK_STR(self, "10.000");
	CHECK(strstr(out, "f (/r.py:1)") < strstr(out, "g (/r.py:5)"));
	/* counters always shown, no warning when nothing was lost */
	CHECK(strstr(out, "events: 6 seen, 0 lost (ringbuf full 0, map full 0, "
			  "read failed 0, no config 0, foreign thread state 0)\n"));
	CHECK(strstr(out, "calls: 3 completed, 0 returns inferred (not probed), "
			  "0 unmatched returns, 0 still running at end\n"));
	CHECK(strstr(out, "truncated names: 0\n"));
	CHECK(!strstr(out, "WARNING"));
}

TEST(out_summary_sub_ms_and_warning)
{
	struct sink *s = summary_open_tmp();
	struct session_stats st = { .events = 9, .calls = 1, .drops = { 1, 0, 2, 0 },
				    .lost_total = 3, .unmatched_returns = 4,
				    .inferred_returns = 5, .open_at_end = 6,
				    .truncated_names = 7 };
	unsigned long long calls;
	char total[32], self[32], *out;

	summary_func(s, 0, "h", "/x.py", 2);
	/* 1.234567 ms long, 0.000999 ms in callees */
	summary_call(s, 0, 1000, 1000 + 1234567, 999, CALL_END_INFERRED);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();
	summary_row(out, "h (/x.py:2)\n", &calls, total, self);
	CHECK_EQ(calls, 1);
	CHECK_STR(total, "1.234");
	CHECK_STR(self, "1.233");
	CHECK(strstr(out, "events: 9 seen, 3 lost (ringbuf full 1, map full 0, "
			  "read failed 2, no config 0, foreign thread state 0)\n"));
	CHECK(strstr(out, "calls: 1 completed, 5 returns inferred (not probed), "
			  "4 unmatched returns, 6 still running at end\n"));
	CHECK(strstr(out, "truncated names: 7\n"));
	CHECK(strstr(out, "\nWARNING: "));
}

TEST(out_summary_top_50)
{
	struct sink *s = summary_open_tmp();
	struct session_stats st = { 0 };
	char name[32], *out;

	/* function i runs i+1 ms: fn59 first, fn10 last shown, fn9 not */
	for (uint32_t i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "fn%u", i);
		summary_func(s, i, name, "/m.py", i);
		summary_call(s, i, 0, (i + 1) * MS, 0, 0);
	}
	summary_func(s, 60, "never_called", "/m.py", 99);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();
	CHECK(strstr(out, " fn59 (/m.py:59)\n"));
	CHECK(strstr(out, " fn10 (/m.py:10)\n"));
	CHECK(!strstr(out, " fn9 (/m.py:9)\n"));
	CHECK(strstr(out, " fn59 (") < strstr(out, " fn10 ("));
	CHECK(strstr(out, "\n... 10 more functions\n"));
	CHECK(!strstr(out, "never_called"));
}

TEST(out_summary_disk_full_error)
{
	struct sink *s = sink_summary.open("/dev/full");
	struct session_stats st = { 0 };

	CHECK(s);
	CHECK_EQ(sink_summary.finish(s, &st), -ENOSPC);
	sink_summary.free(s);
}

static void summary_proc(struct sink *s, uint32_t pid, uint32_t instance, uint32_t ns_pid,
			 const char *cgroup)
{
	struct in_process p = { .pid = pid, .instance = instance, .ns_pid = ns_pid,
				.version_hex = 0x030b04f0, .strategy = TR_STRATEGY_USDT,
				.exe = "/usr/bin/python3.11", .lib = "/usr/bin/python3.11" };

	snprintf(p.cgroup, sizeof(p.cgroup), "%s", cgroup);
	CHECK_EQ(s->ops->process(s, &p), 0);
}

static void summary_pid_call(struct sink *s, uint32_t pid, uint32_t func, uint64_t start,
			     uint64_t end, uint64_t child)
{
	struct call_rec c = { .pid = pid, .tid = pid, .func = func, .start_ns = start,
			      .end_ns = end, .child_ns = child };

	CHECK_EQ(s->ops->call(s, &c), 0);
}

static void summary_proc_end(struct sink *s, uint32_t pid, uint64_t ts, uint32_t flags)
{
	struct proc_end_rec e = { .pid = pid, .ts = ts, .flags = flags };

	CHECK_EQ(s->ops->process_end(s, &e), 0);
}

/*
 * A system-wide session: pid 7 (ns pid 1 in cgroup /c) runs f and g and
 * exits at +1.5 s; pid 8 runs 12 functions; pid 7 again (a new process)
 * runs f; pid 9's exit was not seen. Each process has its section: its
 * identity, end and own top functions (10 at most); the session's table
 * adds them up; the counters account for every process.
 */
TEST(out_summary_processes_each_their_own)
{
	struct sink *s = summary_open_tmp();
	struct session_stats st = { .first_ts = 1000 * MS, .events = 30, .calls = 16,
				    .processes = 4, .exits = 1, .exits_unseen = 1,
				    .open_at_exit = 1 };
	unsigned long long calls;
	char total[32], self[32], name[32], *out, *p7, *p8, *p7b, *p9;

	summary_func(s, 0, "f", "/a.py", 1);
	summary_func(s, 1, "g", "/a.py", 5);
	summary_proc(s, 7, 1, 1, "/c");
	summary_pid_call(s, 7, 1, 1000 * MS, 1004 * MS, 0);
	summary_pid_call(s, 7, 0, 1000 * MS, 1010 * MS, 4 * MS);
	summary_proc(s, 8, 2, 8, "");
	for (uint32_t i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "h%u", i);
		summary_func(s, 2 + i, name, "/b.py", 10 + i);
		summary_pid_call(s, 8, 2 + i, 0, (i + 1) * MS, 0);
	}
	summary_proc_end(s, 7, 2500 * MS, 0);
	summary_proc(s, 7, 3, 0, "");
	summary_pid_call(s, 7, 0, 3000 * MS, 3005 * MS, 0);
	summary_proc(s, 9, 4, 0, "");
	summary_proc_end(s, 9, 2000 * MS, PROC_END_UNSEEN);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();

	p7 = strstr(out, "process 7: Python 3.11.4 /usr/bin/python3.11 [ns pid 1, cgroup /c]\n"
			 "  strategy: usdt (");
	p8 = strstr(out, "process 8: Python 3.11.4 /usr/bin/python3.11\n");
	p7b = strstr(out, "process 7: Python 3.11.4 /usr/bin/python3.11\n");
	p9 = strstr(out, "process 9: Python 3.11.4 /usr/bin/python3.11\n");
	CHECK(p7 && p8 && p7b && p9);
	CHECK(p7 < p8 && p8 < p7b && p7b < p9);
	CHECK(strstr(p7, "  end: exit at +1.500 s\n"
			 "  calls: 2 completed; by total time:\n"
			 "    f (/a.py:1): 1 calls, 10.000 ms total, 6.000 ms self\n"
			 "    g (/a.py:5): 1 calls, 4.000 ms total, 4.000 ms self\n"
			 "process 8"));
	CHECK(strstr(p8, "  end: running at the end of the session\n"
			 "  calls: 12 completed; by total time:\n"
			 "    h11 (/b.py:21): 1 calls, 12.000 ms total, 12.000 ms self\n"));
	CHECK(strstr(p8, "    h2 (/b.py:12): 1 calls, 3.000 ms total, 3.000 ms self\n"
			 "    ... 2 more functions\n"
			 "process 7:"));
	CHECK(strstr(p7b, "  end: running at the end of the session\n"
			  "  calls: 1 completed; by total time:\n"
			  "    f (/a.py:1): 1 calls, 5.000 ms total, 5.000 ms self\n"
			  "process 9"));
	CHECK(strstr(p9, "  end: exit not seen (its pid was reused); last seen at +1.000 s\n"
			 "  calls: 0 completed\n"));
	/* the session's table: every process's calls */
	summary_row(out, "f (/a.py:1)\n", &calls, total, self);
	CHECK_EQ(calls, 2);
	CHECK_STR(total, "15.000");
	CHECK_STR(self, "11.000");
	CHECK(strstr(out, "processes: 4 traced, 1 exited, 1 exits not seen, 2 running at end; "
			  "1 calls still running at their process's exit; 0 events and 0 exits "
			  "of no live process skipped\n"));
}

/* one process: as it always was, its end said when it ended */
TEST(out_summary_one_process_that_exited)
{
	struct sink *s = summary_open_tmp();
	struct session_stats st = { .first_ts = 1000 * MS, .processes = 1, .exits = 1 };
	char *out;

	summary_func(s, 0, "f", "/a.py", 1);
	summary_proc(s, 7, 1, 0, "");
	summary_pid_call(s, 7, 0, 1000 * MS, 1010 * MS, 0);
	summary_proc_end(s, 7, 1250 * MS, PROC_END_EXEC);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();
	CHECK(strstr(out, "process 7: Python 3.11.4 /usr/bin/python3.11\n"
			  "  strategy: usdt (USDT"));
	CHECK(strstr(out, "  end: exec at +0.250 s\n"));
	CHECK(!strstr(out, "by total time"));
	CHECK(strstr(out, "processes: 1 traced, 1 exited, 0 exits not seen, 0 running at end"));
}

/* a traced program's names and paths reach the terminal escaped: no
 * escape sequence, no forged line, in the table and per process */
TEST(out_summary_escapes_target_text)
{
	struct sink *s = summary_open_tmp();
	struct in_process p = { .pid = 7, .version_hex = 0x030b0000, .strategy = TR_STRATEGY_EVAL,
				.exe = "/tmp/\x1b]0;pwned\x07py", .lib = "/tmp/lib\x1b[2J.so",
				.n_warnings = 1, .warnings = { "file /tmp/\x9b" "31m" } };
	struct in_process q = { .pid = 8, .version_hex = 0x030b0000, .exe = "/usr/bin/python3" };
	struct session_stats st = { .events = 2, .calls = 2 };
	char *out;

	CHECK_EQ(sink_summary.process(s, &p), 0);
	CHECK_EQ(sink_summary.process(s, &q), 0);
	summary_func(s, 0, "f\n    1 forged row", "/t\x1b[2J.py", 1);
	summary_call(s, 0, 10 * MS, 20 * MS, 0, 0);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();
	CHECK(!strchr(out, 0x1b));
	CHECK(!strchr(out, 0x07));
	CHECK(!strchr(out, (char)0x9b));
	CHECK(!strstr(out, "\n    1 forged row"));
	CHECK(strstr(out, "process 7: Python 3.11 /tmp/\\x1b]0;pwned\\x07py\n"));
	CHECK(strstr(out, "/tmp/lib\\x1b[2J.so)"));
	CHECK(strstr(out, "  warning: file /tmp/\\x9b31m\n"));
	/* the table and the process's own rows */
	CHECK(strstr(out, "  f\\x0a    1 forged row (/t\\x1b[2J.py:1)\n"));
	CHECK(strstr(out, "    f\\x0a    1 forged row (/t\\x1b[2J.py:1): 1 calls"));
}

/* --sort calls: the table by calls; --top 2: two rows and the rest said */
TEST(out_summary_sort_calls_top_2)
{
	struct sink *s = summary_open_tmp();
	struct session_stats st = { 0 };
	char *out;

	summary_func(s, 0, "slow", "/m.py", 1);
	summary_func(s, 1, "often", "/m.py", 2);
	summary_func(s, 2, "mid", "/m.py", 3);
	summary_call(s, 0, 0, 50 * MS, 0, 0);
	for (int i = 0; i < 5; i++)
		summary_call(s, 1, 0, MS, 0, 0);
	for (int i = 0; i < 3; i++)
		summary_call(s, 2, 0, 2 * MS, 0, 0);
	summary__configure(s, SUMMARY_SORT_CALLS, 2);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();
	CHECK(strstr(out, " often (/m.py:2)\n") && strstr(out, " mid (/m.py:3)\n"));
	CHECK(strstr(out, " often (") < strstr(out, " mid ("));
	CHECK(!strstr(out, " slow ("));
	CHECK(strstr(out, "\n... 1 more functions\n"));
	CHECK_EQ(summary__parse_sort("self"), SUMMARY_SORT_SELF);
	CHECK_EQ(summary__parse_sort("Total"), -1);
}

/* a sampling session (no strategy, no call): no call counters, GC,
 * imports or strategy line, which it did not measure */
TEST(out_summary_sampling_prints_only_what_it_measured)
{
	struct sink *s = summary_open_tmp();
	struct in_process p = { .pid = 7, .version_hex = 0x030b0000, .strategy = TR_STRATEGY_NONE,
				.exe = "/usr/bin/python3.11", .lib = "/usr/bin/python3.11" };
	struct session_stats st = { .samples = 1, .sample_period_ns = 10 * MS };
	const uint32_t funcs[] = { 0 };
	struct sample_rec r = { .pid = 7, .tid = 7, .funcs = funcs, .n_funcs = 1,
				.period_ns = 10 * MS };
	char *out;

	CHECK_EQ(s->ops->process(s, &p), 0);
	summary_func(s, 0, "spin", "/m.py", 1);
	CHECK_EQ(s->ops->sample(s, &r), 0);
	CHECK_EQ(sink_summary.finish(s, &st), 0);
	sink_summary.free(s);
	out = summary_slurp();
	CHECK(strstr(out, " spin (/m.py:1)\n"));
	CHECK(strstr(out, "samples: 1 of "));
	CHECK(!strstr(out, "calls: "));
	CHECK(!strstr(out, "GC: "));
	CHECK(!strstr(out, "imports: "));
	CHECK(!strstr(out, "strategy: "));
}
