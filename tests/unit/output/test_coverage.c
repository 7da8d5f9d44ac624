// SPDX-License-Identifier: MIT
/* Code maps (parser) and the coverage writers (LCOV, Cobertura) fed through
 * the coverage sink as the analyzer feeds it. */
#include <stdlib.h>
#include <unistd.h>
#include "unit.h"
#include "analysis/codemap.h"
#include "output/coverage.h"
#include "output/sinks.h"

static struct in_codemap cm_in(uint32_t pid, uint32_t lines, const char *text)
{
	struct in_codemap m = { .pid = pid, .lines = lines, .text = (char *)text,
				.len = strlen(text) };

	snprintf(m.note, sizeof(m.note), "test");
	return m;
}

static const char CM_TEXT[] =
	"tracer-codemap 1\n"
	"python 3.12.1\n"
	"file measured w.py\n"
	"abs /src/w.py\n"
	"func 1 1,2,5,9 <module>\n"
	"func 2 3,4 f\n"
	"func 5 6 K\n"
	"func 6 7 K.m\n"
	"func 9 9 <lambda>\n"
	"func 9 9 <lambda>\n"	/* two on one line: one identity, one function */
	"func 12 - <lambda>\n"
	/* its text (the HTML report shows it), markup in it */
	"source import os\\ndef f():\\n    x = \"<script>&'\"\\n    return x\\nclass K:\\n"
	"    def m(self):\\n        pass\\n# comment\\ng = lambda: 1\\n\\n\\nh = lambda: 2\\n\n"
	"file stdlib /usr/lib/python3.12/os.py\n"
	"file no-source <frozen abc>\n"
	"file error /src/bad\\nname.py\n"
	"error SyntaxError: invalid syntax (line 3)\n"
	"file measured /src/pkg/sub/m.py\n"
	"abs /src/pkg/sub/m.py\n"
	"func 1 - <module>\n";

TEST(codemap_parse)
{
	struct in_codemap in = cm_in(7, 1, CM_TEXT);
	char err[128];
	struct codemap *m = codemap__parse(&in, err, sizeof(err));

	CHECK(m);
	if (!m)
		return;
	CHECK_EQ(m->pid, 7);
	CHECK(m->lines);
	CHECK_STR(m->python, "3.12.1");
	CHECK_EQ(m->n_files, 5);
	CHECK_EQ(m->files[0].status, COV_MEASURED);
	CHECK_STR(m->files[0].abs, "/src/w.py");
	CHECK_EQ(m->files[0].n_funcs, 7);
	CHECK_EQ(m->files[0].funcs[0].n_lines, 4);
	CHECK_EQ(m->files[0].funcs[0].lines[3], 9);
	CHECK_STR(m->files[0].funcs[3].qualname, "K.m");
	CHECK_EQ(m->files[1].status, COV_STDLIB);
	CHECK_EQ(m->files[2].status, COV_NO_SOURCE);
	CHECK_EQ(m->files[3].status, COV_ERROR);
	CHECK_STR(m->files[3].file, "/src/bad\nname.py");
	CHECK_STR(m->files[3].error, "SyntaxError: invalid syntax (line 3)");
	CHECK_EQ(m->files[4].funcs[0].n_lines, 0);
	CHECK(m->files[0].source && !strncmp(m->files[0].source,
					      "import os\ndef f():\n    x = \"<script>&'\"\n", 40));
	CHECK(!m->files[4].source);
	codemap__free(m);
}

TEST(codemap_rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"tracer-codemap 2\n",
		"tracer-codemap 1\nfile bogus x.py\n",
		"tracer-codemap 1\nfile measured x.py\nfunc 1 1 f\n",	/* no abs */
		"tracer-codemap 1\nfile measured x.py\n",		/* no abs at all */
		"tracer-codemap 1\nfile measured x.py\nabs /x.py\nfunc 1 3,2 f\n", /* order */
		"tracer-codemap 1\nfile measured x.py\nabs /x.py\nfunc 1 1,,2 f\n",
		"tracer-codemap 1\nfile measured x.py\nabs /x.py\nfunc x 1 f\n",
		"tracer-codemap 1\nfile measured x.py\nabs /x.py\nfunc 1 99999999999 f\n",
		"tracer-codemap 1\nfile measured x\\q.py\n",		/* bad escape */
		"tracer-codemap 1\nfile stdlib x.py\nabs /x.py\n",
		"tracer-codemap 1\nfile stdlib x.py\nerror no\n",
		"tracer-codemap 1\nwhat\n",
		"tracer-codemap 1\nfile stdlib x.py\nsource a\n",	/* not measured */
		"tracer-codemap 1\nfile measured x.py\nsource a\n",	/* before abs */
		"tracer-codemap 1\nfile measured x.py\nabs /x.py\nsource a\nsource b\n",
		"tracer-codemap 1\nfile measured x.py\nabs /x.py\nsource a\\q\n",
	};
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct in_codemap in = cm_in(1, 0, bad[i]);
		struct codemap *m = codemap__parse(&in, err, sizeof(err));

		if (m)
			fprintf(stderr, "  accepted bad code map %zu\n", i);
		CHECK(!m);
		codemap__free(m);
	}
}

TEST(codemap_escape_roundtrip)
{
	char *e = codemap__escape("a\\b\nc\td\re");
	char *u = e ? codemap__unescape(e, strlen(e)) : NULL;

	CHECK_STR(e, "a\\\\b\\nc\\td\\re");
	CHECK_STR(u, "a\\b\nc\td\re");
	free(e);
	free(u);
}

/* feed a sink: functions, calls, lines, the code map, the end */
static void cov_feed(struct sink *s, uint32_t lines)
{
	struct func_info fs[] = {
		{ .id = 0, .qualname = "<module>", .file = "w.py", .line = 1 },
		{ .id = 1, .qualname = "f", .file = "w.py", .line = 2 },
		{ .id = 2, .qualname = "m", .file = "w.py", .line = 6 },	/* 3.10: co_name */
		{ .id = 3, .qualname = "join", .file = "/usr/lib/python3.12/os.py", .line = 9 },
		{ .id = 4, .qualname = "<lambda>", .file = "w.py", .line = 9 },
	};
	struct in_codemap in = cm_in(7, lines, CM_TEXT);
	struct codemap *m = codemap__parse(&in, NULL, 0);
	struct session_stats st = { 0 };

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		CHECK_EQ(s->ops->func(s, &fs[i]), 0);
	uint32_t calls[] = { 0, 1, 1, 1, 2, 3, 4 };
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct call_rec c = { .pid = 7, .func = calls[i] };

		CHECK_EQ(s->ops->call(s, &c), 0);
	}
	/* a frame running since before attach is not a call of the session */
	struct call_rec pre = { .pid = 7, .func = 1, .flags = CALL_BEGAN_BEFORE_ATTACH };
	CHECK_EQ(s->ops->call(s, &pre), 0);
	/* another process's calls wait for its own code map (never comes) */
	struct call_rec other = { .pid = 8, .func = 1 };
	CHECK_EQ(s->ops->call(s, &other), 0);
	if (lines) {
		uint32_t ls[][2] = { { 0, 1 }, { 0, 2 }, { 1, 3 }, { 2, 7 }, { 0, 5 }, { 1, 3 } };
		for (size_t i = 0; i < sizeof(ls) / sizeof(ls[0]); i++)
			CHECK_EQ(s->ops->line(s, 7, ls[i][0], ls[i][1]), 0);
	}
	CHECK(m);
	CHECK_EQ(s->ops->codemap(s, m), 0);
	codemap__free(m);
	CHECK_EQ(s->ops->finish(s, &st), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	if (f && buf)
		buf[fread(buf, 1, (1 << 16) - 1, f)] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* the output of sink OPS fed by cov_feed (LINES: lines measured) */
static char *write_with(const struct sink_ops *ops, const char *suffix, uint32_t lines)
{
	char path[64];
	struct sink *s;
	char *out = NULL;
	int fd;

	snprintf(path, sizeof(path), "/tmp/tracer-unit-XXXXXX%s", suffix);
	fd = mkstemps(path, strlen(suffix));
	if (fd >= 0)
		close(fd);
	s = ops->open(path);
	CHECK(s);
	if (s) {
		cov_feed(s, lines);
		s->ops->free(s);
		out = slurp(path);
		if (getenv("UNIT_DUMP"))
			fputs(out, stderr);
	}
	unlink(path);
	return out;
}

TEST(lcov_writer)
{
	char *out = write_with(&sink_lcov, ".lcov", 1);

	CHECK_STR(out,
		  "TN:\nSF:/src/pkg/sub/m.py\nFN:1,<module>\nFNDA:0,<module>\nFNF:1\nFNH:0\n"
		  "LF:0\nLH:0\nend_of_record\n"
		  "TN:\nSF:/src/w.py\n"
		  "FN:1,<module>\nFN:2,f\nFN:5,K\nFN:6,K.m\nFN:9,<lambda>@9\nFN:12,<lambda>@12\n"
		  "FNDA:1,<module>\nFNDA:3,f\nFNDA:0,K\nFNDA:1,K.m\nFNDA:1,<lambda>@9\n"
		  "FNDA:0,<lambda>@12\nFNF:6\nFNH:4\n"
		  "DA:1,1\nDA:2,1\nDA:3,1\nDA:4,0\nDA:5,1\nDA:6,0\nDA:7,1\nDA:9,1\n"
		  "LF:8\nLH:6\nend_of_record\n");
	free(out);
}

TEST(lcov_writer_functions_only)
{
	char *out = write_with(&sink_lcov, ".lcov", 0);

	/* lcov 1.16 drops a record without DA: the functions' first lines,
	 * hit when called, and the note that says so */
	CHECK(out && strstr(out, "FNDA:3,f\n"));
	CHECK(out && strstr(out, "SF:/src/w.py\n# tracer: " COV_FUNC_LINES_NOTE "\nFN:1,<module>\n"));
	CHECK(out && strstr(out, "FNF:6\nFNH:4\nDA:1,1\nDA:2,1\nDA:5,0\nDA:6,1\nDA:9,1\n"
			    "DA:12,0\nLF:6\nLH:4\nend_of_record\n"));
	free(out);
}

/* the terminal report: coverage.py's columns, missed lines as ranges over
 * the lines that can run (4 and 6: 5 ran between them), the total */
TEST(cov_report_writer)
{
	char *out = write_with(&sink_cov_report, ".cov.txt", 1);

	CHECK(out && strstr(out, "Name                              Stmts    Miss  Cover   Missing\n"));
	CHECK(out && strstr(out, "\n/src/pkg/sub/m.py                     0       0   100%\n"));
	CHECK(out && strstr(out, "\n/src/w.py                             8       2    75%   4, 6\n"));
	CHECK(out && strstr(out, "\nTOTAL                                 8       2    75%\n"));
	CHECK(out && strstr(out, "functions: 4 of 7 called\n"));
	CHECK(out && !strstr(out, "(*)"));
	free(out);
}

/* functions only: the functions' first lines, marked, and the note */
TEST(cov_report_writer_functions_only)
{
	char *out = write_with(&sink_cov_report, ".cov.txt", 0);

	CHECK(out && strstr(out, "\n/src/w.py (*)                         6       2    67%   5, 12\n"));
	CHECK(out && strstr(out, "\n(*) " COV_FUNC_LINES_NOTE "\n"));
	free(out);
}

TEST(cobertura_writer)
{
	char *out = write_with(&sink_cobertura, ".xml", 1);

	CHECK(out && strstr(out, "lines-valid=\"8\" lines-covered=\"6\" line-rate=\"0.75\""));
	CHECK(out && strstr(out, "<source>/src</source>"));
	CHECK(out && strstr(out, "<package name=\".\" line-rate=\"0.75\""));
	CHECK(out && strstr(out, "<package name=\"pkg.sub\""));
	CHECK(out && strstr(out, "<class name=\"w.py\" filename=\"w.py\" complexity=\"0\" "
				 "line-rate=\"0.75\""));
	CHECK(out && strstr(out, "<method name=\"&lt;lambda&gt;@12\" signature=\"\" "
				 "line-rate=\"0\""));
	CHECK(out && strstr(out, "<line number=\"2\" hits=\"3\"/></lines></method>"));
	CHECK(out && strstr(out, "<line number=\"4\" hits=\"0\"/>"));
	free(out);
}

TEST(coverage_without_codemap_fails)
{
	char path[] = "/tmp/tracer-unit-XXXXXX.lcov";
	int fd = mkstemps(path, 5);
	struct sink *s = sink_lcov.open(path);
	struct session_stats st = { 0 };

	close(fd);
	CHECK(s);
	if (!s)
		return;
	CHECK(s->ops->finish(s, &st) < 0);
	s->ops->free(s);
	unlink(path);
}

/*
 * A pid reused (a system-wide session): its first process ran a.py's f, its
 * second b.py's g; each one's code map knows only its own file. Each
 * process's calls are settled with its own code map, whichever order the
 * maps come in (by instance); before, the first map took both processes'
 * calls and dropped g's, which it does not have.
 */
TEST(coverage_reused_pid_each_process_its_code_map)
{
	static const char map_a[] = "tracer-codemap 1\npython 3.11.4\nfile measured a.py\n"
				    "abs /src/a.py\nfunc 1 1,2 f\n";
	static const char map_b[] = "tracer-codemap 1\npython 3.11.4\nfile measured b.py\n"
				    "abs /src/b.py\nfunc 1 1,2 g\n";
	struct func_info f = { .id = 0, .qualname = "f", .file = "a.py", .line = 1 };
	struct func_info g = { .id = 1, .qualname = "g", .file = "b.py", .line = 1 };
	struct in_process p1 = { .pid = 5, .instance = 1 }, p2 = { .pid = 5, .instance = 2 };
	struct proc_end_rec e1 = { .pid = 5, .instance = 1, .ts = 10 };
	struct call_rec cf = { .pid = 5, .func = 0 }, cg = { .pid = 5, .func = 1 };
	struct session_stats st = { 0 };
	char path[] = "/tmp/tracer-unit-XXXXXX.lcov";
	int fd = mkstemps(path, 5);
	struct sink *s = sink_lcov.open(path);
	char *out;

	close(fd);
	CHECK(s);
	CHECK_EQ(s->ops->func(s, &f), 0);
	CHECK_EQ(s->ops->func(s, &g), 0);
	CHECK_EQ(s->ops->process(s, &p1), 0);
	CHECK_EQ(s->ops->call(s, &cf), 0);
	CHECK_EQ(s->ops->call(s, &cf), 0);
	CHECK_EQ(s->ops->process_end(s, &e1), 0);
	CHECK_EQ(s->ops->process(s, &p2), 0);
	CHECK_EQ(s->ops->call(s, &cg), 0);
	for (int i = 0; i < 2; i++) {
		struct in_codemap in = cm_in(5, 0, i ? map_a : map_b);
		struct codemap *m;

		in.instance = i ? 1 : 2;
		m = codemap__parse(&in, NULL, 0);
		CHECK(m);
		CHECK_EQ(s->ops->codemap(s, m), 0);
		codemap__free(m);
	}
	CHECK_EQ(s->ops->finish(s, &st), 0);
	s->ops->free(s);
	out = slurp(path);
	unlink(path);
	CHECK(out && strstr(out, "SF:/src/a.py\n# tracer: " COV_FUNC_LINES_NOTE "\nFN:1,f\nFNDA:2,f\n"));
	CHECK(out && strstr(out, "SF:/src/b.py\n# tracer: " COV_FUNC_LINES_NOTE "\nFN:1,g\nFNDA:1,g\n"));
	free(out);
}

/* the HTML report: the files table, each file's text escaped with its
 * lines marked as the LCOV writer's DA lines say (1, 2, 3, 5, 7, 9 ran; 4
 * and 6 missed; 8, a comment, unmarked), a file without text said so */
TEST(cov_html_writer)
{
	char *out = write_with(&sink_cov_html, ".html", 1);

	CHECK(out && strstr(out, "<title>Coverage: 75%</title>"));
	CHECK(out && strstr(out, "<tr class=\"file\" data-path=\"/src/w.py\" data-stmts=\"8\" "
			       "data-miss=\"2\"><td><a href=\"#f1\">/src/w.py</a></td><td>8</td>"
			       "<td>2</td><td>75%</td></tr>"));
	CHECK(out && strstr(out, "<tr class=\"hit\" id=\"f1-3\" data-line=\"3\"><td class=\"ln\">3"
			       "</td><td class=\"t\">    x = &quot;&lt;script&gt;&amp;&#39;&quot;"
			       "</td></tr>"));
	CHECK(out && strstr(out, "<tr class=\"miss\" id=\"f1-4\" data-line=\"4\">"));
	CHECK(out && strstr(out, "<tr class=\"\" id=\"f1-8\" data-line=\"8\"><td class=\"ln\">8"
			       "</td><td class=\"t\"># comment</td></tr>"));
	CHECK(out && strstr(out, "<tr class=\"\" id=\"f1-12\" data-line=\"12\">"));
	CHECK(out && !strstr(out, "id=\"f1-13\""));
	CHECK(out && strstr(out, "data-path=\"/src/pkg/sub/m.py\" data-measured=\"lines\" "
			       "data-source=\"no\""));
	CHECK(out && !strstr(out, "<script"));
	free(out);
}

/* functions only: each file says so, its marks are its functions' first
 * lines (1, 2, 6, 9 called; 5 and 12 not), the rest of its text unmarked */
TEST(cov_html_writer_functions_only)
{
	char *out = write_with(&sink_cov_html, ".html", 0);

	CHECK(out && strstr(out, "data-path=\"/src/w.py\" data-measured=\"functions\" "
			       "data-source=\"yes\""));
	CHECK(out && strstr(out, "<p class=\"note\">" COV_FUNC_LINES_NOTE ".</p>"));
	CHECK(out && strstr(out, "<tr class=\"hit\" id=\"f1-2\" data-line=\"2\">"));
	CHECK(out && strstr(out, "<tr class=\"miss\" id=\"f1-5\" data-line=\"5\">"));
	CHECK(out && strstr(out, "<tr class=\"\" id=\"f1-3\" data-line=\"3\">"));
	CHECK(out && strstr(out, "<tr class=\"miss\" id=\"f1-12\" data-line=\"12\">"));
	free(out);
}
