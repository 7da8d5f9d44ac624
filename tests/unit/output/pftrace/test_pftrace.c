// SPDX-License-Identifier: MIT
/*
 * sink_pftrace: processes of a system-wide session, a pid reused. The file
 * is decoded by protoc (--decode_raw: field numbers, no schema needed).
 */
#include <errno.h>
#include <unistd.h>
#include "unit.h"
#include "output/sinks.h"

static char pf_path[64];

/* the trace decoded by protoc, as text */
static char *pf_decode(const char *path)
{
	static char buf[1 << 16];
	char cmd[256];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "protoc --decode_raw < %s", path);
	f = popen(cmd, "r");
	CHECK(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	CHECK_EQ(pclose(f), 0);
	return buf;
}

/* TEXT has the lines LINES (consecutive, their indentation left out) */
static bool pf_has(const char *text, const char *const *lines, int n)
{
	for (const char *at = strstr(text, lines[0]); at; at = strstr(at + 1, lines[0])) {
		const char *p = at + strlen(lines[0]);
		int i = 1;

		for (; i < n; i++) {
			if (*p++ != '\n')
				break;
			while (*p == ' ')
				p++;
			if (strncmp(p, lines[i], strlen(lines[i])))
				break;
			p += strlen(lines[i]);
		}
		if (i == n)
			return true;
	}
	return false;
}
/* a .pftrace sink on a new temporary file, pf_path */
static struct sink *pf_open(void)
{
	struct sink *s;
	int fd;

	strcpy(pf_path, "/tmp/pftrace_test_XXXXXX");
	fd = mkstemp(pf_path);
	CHECK(fd >= 0);
	close(fd);
	s = sink_pftrace.open(pf_path);
	CHECK(s);
	return s;
}

#define HAS(text, ...) pf_has(text, (const char *const[]){ __VA_ARGS__ }, \
			      sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

/*
 * pid 200 runs f, exits with it open (end_at_exit); a new process with pid
 * 200 (ns pid 7, a cgroup) runs f on a thread with the same tid: its
 * tracks are new ones (uuids from 2^63), its thread's under its process's.
 */
TEST(out_pftrace_reused_pid_gets_new_tracks)
{
	struct sink *s;
	struct in_process p1 = { .pid = 200, .instance = 1, .version_hex = 0x030b00f0,
				 .strategy = TR_STRATEGY_USDT, .attach_ts = 1000,
				 .exe = "/usr/bin/python3.11" };
	struct in_process p2 = { .pid = 200, .instance = 2, .ns_pid = 7, .cgroup = "/a.slice",
				 .version_hex = 0x030b00f0, .strategy = TR_STRATEGY_USDT,
				 .attach_ts = 5000, .exe = "/usr/bin/python3.11" };
	struct in_thread t = { .pid = 200, .tid = 200, .name = "main" };
	struct func_info f = { .id = 0, .qualname = "f", .file = "/a.py", .line = 1 };
	struct call_rec c1 = { .pid = 200, .tid = 200, .start_ns = 2000 };
	struct call_rec c2 = { .pid = 200, .tid = 200, .start_ns = 6000 };
	struct proc_end_rec e = { .pid = 200, .instance = 1, .ts = 3000 };
	struct session_stats st = { .first_ts = 1000, .last_ts = 9000, .processes = 2,
				    .exits = 1, .open_at_exit = 1 };
	char *out;

	s = pf_open();
	CHECK_EQ(s->ops->process(s, &p1), 0);
	CHECK_EQ(s->ops->thread(s, &t), 0);
	CHECK_EQ(s->ops->func(s, &f), 0);
	CHECK_EQ(s->ops->begin(s, &c1), 0);
	c1.end_ns = 3000;
	c1.flags = CALL_END_AT_EXIT;
	CHECK_EQ(s->ops->call(s, &c1), 0);
	CHECK_EQ(s->ops->process_end(s, &e), 0);
	CHECK_EQ(s->ops->process(s, &p2), 0);
	CHECK_EQ(s->ops->thread(s, &t), 0);
	CHECK_EQ(s->ops->begin(s, &c2), 0);
	c2.end_ns = 9000;
	c2.flags = CALL_END_AT_SESSION_END;
	CHECK_EQ(s->ops->call(s, &c2), 0);
	CHECK_EQ(s->ops->finish(s, &st), 0);
	sink_pftrace.free(s);
	out = pf_decode(pf_path);
	unlink(pf_path);

	/* TracePacket.track_descriptor (60): uuid 1, process 3 {pid 1, name 6},
	 * thread 4 {pid 1, tid 2, name 5}, parent_uuid 5 */
	CHECK(HAS(out, "60 {", "1: 858993459200", "3 {", "1: 200",
		  "6: \"python3.11 3.11.0 [pid 200]\""));
	CHECK(HAS(out, "60 {", "1: 858993459400", "5: 858993459200", "4 {", "1: 200", "2: 200"));
	CHECK(HAS(out, "60 {", "1: 9223372036854775808", "3 {", "1: 200",
		  "6: \"python3.11 3.11.0 [pid 200, ns pid 7, cgroup /a.slice]\""));
	CHECK(HAS(out, "60 {", "1: 9223372036854775809", "5: 9223372036854775808", "4 {",
		  "1: 200", "2: 200"));
	/* the flag's debug annotation name (interned: InternedData 12,
	 * debug_annotation_names 3 {iid 1, name 2}) */
	CHECK(HAS(out, "3 {", "1: 5", "2: \"end_at_exit\""));
	CHECK(strstr(out, "\"tracer: exit\""));
	CHECK(HAS(out, "10: \"cgroup\"", "6: \"/a.slice\""));	/* DebugAnnotation name, string */
	/* each thread its own sequence (10: trusted_packet_sequence_id) */
	CHECK(strstr(out, "10: 2\n"));
	CHECK(strstr(out, "10: 3\n"));
}

/*
 * A thread told again under its Python name (user/capture/feed.c: a
 * rename) is described again, the same track (uuid), the new name; a name
 * that is not UTF-8 is written repaired (U+FFFD for the malformed byte),
 * so that the string field stays valid.
 */
TEST(out_pftrace_thread_renamed_name_repaired)
{
	struct sink *s;
	struct in_process p = { .pid = 300, .instance = 1, .version_hex = 0x030d00f0,
				.strategy = TR_STRATEGY_USDT, .attach_ts = 1000,
				.exe = "/usr/bin/python3.13" };
	struct in_thread t = { .pid = 300, .tid = 301, .name = "python3.13" };
	struct in_thread py = { .pid = 300, .tid = 301,
				.name = "w\xc3\xb6rker \"q\" \\ \xff\n</script>" };
	struct session_stats st = { .first_ts = 1000, .last_ts = 9000, .processes = 1 };
	char *out;

	s = pf_open();
	CHECK_EQ(s->ops->process(s, &p), 0);
	CHECK_EQ(s->ops->thread(s, &t), 0);
	CHECK_EQ(s->ops->thread(s, &py), 0);
	CHECK_EQ(s->ops->finish(s, &st), 0);
	sink_pftrace.free(s);
	out = pf_decode(pf_path);
	unlink(pf_path);

	/* uuids: pid << 32 | ... as in the test above; protoc --decode_raw
	 * prints the bytes C-escaped, in octal */
	CHECK(HAS(out, "60 {", "1: 1288490189101", "5: 1288490188800", "4 {", "1: 300", "2: 301",
		  "5: \"python3.13\""));
	CHECK(HAS(out, "60 {", "1: 1288490189101", "5: 1288490188800", "4 {", "1: 300", "2: 301",
		  "5: \"w\\303\\266rker \\\"q\\\" \\\\ \\357\\277\\275\\n</script>\""));
}
