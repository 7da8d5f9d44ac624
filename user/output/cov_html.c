// SPDX-License-Identifier: MIT
/*
 * The coverage report as one self-contained HTML file (-o cov.html): no
 * script, no external style or font, so it opens from a CI artifact, a
 * mail or file:// alike. A table of the files (statements, missed, percent,
 * as the terminal report counts them: output/cov_report.c), then each
 * file's text with its lines marked: "hit" (ran), "miss" (could run, did
 * not), unmarked (cannot report a line event: blank, comment, a def's
 * continuation). A file whose lines were not measured (functions only)
 * marks its functions' first lines, and says so.
 *
 * The text comes in the code maps: user/capture/py/cover_map.py reads each
 * measured file with the traced process's credentials (user/os/run_as.c),
 * never the tracer's, decoded as the compiler decodes it. A code map made
 * without it (a recording of a session that did not ask) leaves the file
 * without text: its measured lines are listed, and the page says why.
 * Everything from the target (paths, text) is escaped (util/xml_text.c:
 * & < > " ' and what is not UTF-8 or not allowed become entities or
 * U+FFFD); each element carries its numbers in data- attributes, which the
 * test reads in Chromium.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "output/coverage.h"
#include "output/sinks.h"
#include "util/xml_text.h"

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse}"
	"#files td,#files th{padding:2px 10px;text-align:right}"
	"#files td:first-child,#files th:first-child{text-align:left}"
	"#files tr.total{font-weight:bold;border-top:1px solid #888}"
	"section{margin-top:2em}"
	"table.code{font:12px/1.35 monospace;width:100%}"
	"table.code td.ln{color:#888;text-align:right;padding:0 8px;user-select:none;"
	"width:1%;white-space:nowrap}"
	"table.code td.t{white-space:pre;padding-left:6px}"
	"tr.hit td.t{background:#ddf4dd}tr.miss td.t{background:#fbdada}"
	"tr.hit td.ln{border-left:4px solid #4a4}tr.miss td.ln{border-left:4px solid #d44}"
	"p.note{color:#a60}";

static void put(FILE *f, const char *s)
{
	xml_text__put(f, s, SIZE_MAX);
}

/* the line LINE of F's marking: "hit", "miss" or "" */
static const char *mark(const struct cov_file *cf, uint32_t line, uint32_t *at)
{
	while (*at < cf->n_lines && cf->lines[*at] < line)
		(*at)++;
	if (*at < cf->n_lines && cf->lines[*at] == line)
		return cf->hit[*at] ? "hit" : "miss";
	return "";
}

static void row(FILE *f, uint32_t i, uint32_t line, const char *cls, const char *text,
		size_t len)
{
	char *t = strndup(text, len);

	fprintf(f, "<tr class=\"%s\" id=\"f%u-%u\" data-line=\"%u\"><td class=\"ln\">%u</td>"
		"<td class=\"t\">", cls, i, line, line, line);
	if (t)
		put(f, t);
	else
		fputs("?", f);	/* no memory for this line: said so */
	free(t);
	fputs("</td></tr>\n", f);
}

static void file_section(FILE *f, const struct cov_file *cf, uint32_t i)
{
	const char *s = cf->source, *nl;
	uint32_t line = 1, at = 0, shown = 0;	/* lines of text shown */

	fprintf(f, "<section class=\"src\" id=\"f%u\" data-path=\"", i);
	put(f, cf->path);
	fprintf(f, "\" data-measured=\"%s\" data-source=\"%s\">\n<h2>",
		cf->lines_measured ? "lines" : "functions", s ? "yes" : "no");
	put(f, cf->path);
	fprintf(f, " &mdash; %d%%</h2>\n", cov_report__shown_percent(cf->lines_hit, cf->n_lines));
	if (!cf->lines_measured)
		fputs("<p class=\"note\">" COV_FUNC_LINES_NOTE ".</p>\n", f);
	if (!s)
		fputs("<p class=\"note\">The file's text is not available (empty, over 4 MiB, "
		      "or a recording made without it): its measured lines only.</p>\n", f);
	fputs("<table class=\"code\">\n", f);
	for (; s && *s; line++, s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl)
			nl = s + strlen(s);
		row(f, i, line, mark(cf, line, &at), s, nl - s);
		shown = line;
		if (!*nl)
			break;
	}
	/* measured lines past the text (or without one) */
	for (uint32_t j = 0; j < cf->n_lines; j++)
		if (cf->lines[j] > shown)
			row(f, i, cf->lines[j], cf->hit[j] ? "hit" : "miss", "", 0);
	fputs("</table>\n</section>\n", f);
}

static int html_write(FILE *f, const struct cov_report *r, const struct session_stats *st)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>Coverage: %d%%</title>\n<style>%s</style></head><body>\n",
		cov_report__shown_percent(r->lines_hit, r->lines), style);
	fprintf(f, "<h1>Coverage: %d%%</h1>\n<p>%llu of %llu lines ran, %llu of %llu "
		"functions called; written by tracer.</p>\n",
		cov_report__shown_percent(r->lines_hit, r->lines),
		(unsigned long long)r->lines_hit, (unsigned long long)r->lines,
		(unsigned long long)r->funcs_hit, (unsigned long long)r->funcs);
	if (st->lost_total)
		fprintf(f, "<p class=\"note\">%llu events lost: lines or calls may be "
			"missing.</p>\n", (unsigned long long)st->lost_total);
	if (r->files_func_lines)
		fputs("<p class=\"note\">(*) " COV_FUNC_LINES_NOTE ".</p>\n", f);
	fputs("<table id=\"files\"><tr><th>File</th><th>Statements</th><th>Missed</th>"
	      "<th>Coverage</th></tr>\n", f);
	for (uint32_t i = 0; i < r->n_files; i++) {
		const struct cov_file *cf = &r->files[i];

		fprintf(f, "<tr class=\"file\" data-path=\"");
		put(f, cf->path);
		fprintf(f, "\" data-stmts=\"%u\" data-miss=\"%u\"><td><a href=\"#f%u\">",
			cf->n_lines, cf->n_lines - cf->lines_hit, i);
		put(f, cf->path);
		fprintf(f, "</a>%s</td><td>%u</td><td>%u</td><td>%d%%</td></tr>\n",
			cf->lines_measured ? "" : " (*)", cf->n_lines, cf->n_lines - cf->lines_hit,
			cov_report__shown_percent(cf->lines_hit, cf->n_lines));
	}
	fprintf(f, "<tr class=\"total\" data-stmts=\"%llu\" data-miss=\"%llu\"><td>Total</td>"
		"<td>%llu</td><td>%llu</td><td>%d%%</td></tr>\n</table>\n",
		(unsigned long long)r->lines, (unsigned long long)(r->lines - r->lines_hit),
		(unsigned long long)r->lines, (unsigned long long)(r->lines - r->lines_hit),
		cov_report__shown_percent(r->lines_hit, r->lines));
	for (uint32_t i = 0; i < r->n_files; i++)
		file_section(f, &r->files[i], i);
	fputs("</body></html>\n", f);
	return ferror(f) ? -EIO : 0;
}

static struct sink *html_open(const char *path)
{
	return coverage__open(&sink_cov_html, path, html_write);
}

const struct sink_ops sink_cov_html = {
	.name = "coverage-html",
	.suffix = ".html",
	.help = "coverage report as one self-contained HTML page: files, percentages, "
		"the source with its lines hit and missed",
	.open = html_open,
	.coverage_source = true,
	COVERAGE_SINK_OPS,
};
