/* SPDX-License-Identifier: MIT */
/*
 * Coverage maps: calls, lines and code maps of every process of a session
 * (or of several recordings) merged per source file, then written by a
 * format (user/output/lcov.c, user/output/cobertura.c) through the shared sink
 * below.
 */
#ifndef TRACER_COVERAGE_H
#define TRACER_COVERAGE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model/model.h"

struct cov_func {
	const char *name;	/* unique in its file: qualname, or qualname@line(#n) */
	const char *qualname;
	uint32_t line;		/* co_firstlineno */
	uint64_t calls;
};

struct cov_file {
	const char *path;	/* absolute */
	const char *source;	/* its text (lines ended by \n), NULL: not read */
	bool lines_measured;	/* some process measured its lines */
	bool lines_partial;	/* ... and another process ran it without */
	uint32_t n_funcs, funcs_hit;
	struct cov_func *funcs;	/* by line, then name */
	/* lines_measured: the lines that can run, hit[i] whether lines[i] ran.
	 * Else (functions only) the functions' first lines, hit[i] whether a
	 * function starting there was called: LCOV 1.16 and Cobertura
	 * consumers drop or misread a file without lines, so the formats
	 * write these and say what they are (COV_FUNC_LINES_NOTE) */
	uint32_t n_lines, lines_hit;
	uint32_t *lines;	/* ascending */
	uint8_t *hit;
};

#define COV_FUNC_LINES_NOTE "functions only (lines were not measured): each line is the " \
	"first line of a function, hit when the function was called"



struct cov_report {
	uint32_t n_files;
	struct cov_file *files;	/* by path */
	uint64_t funcs, funcs_hit, lines, lines_hit;
	uint32_t files_func_lines;	/* files of functions only */
};

/* the lines of R that count for its total (what coverage.py calls
 * statements, where lines were measured): HIT of ALL, percent (100 for an
 * empty report); the terminal report and --fail-under use it */
double cov_report__percent(const struct cov_report *r);

/* coverage.py's display of HIT of ALL lines: the percent rounded, but
 * 100 only when complete and 0 only when nothing ran */
int cov_report__shown_percent(uint64_t hit, uint64_t all);

/* a format: writes REPORT to F (0 or -errno) */
typedef int (*cov_write_fn)(FILE *f, const struct cov_report *r, const struct session_stats *st);

/* the callbacks of a coverage sink (a format's sink_ops uses them); PATH
 * "-" is stdout */
struct sink *coverage__open(const struct sink_ops *ops, const char *path, cov_write_fn write);
int coverage__process(struct sink *s, const struct in_process *p);
int coverage__process_end(struct sink *s, const struct proc_end_rec *e);
int coverage__func(struct sink *s, const struct func_info *f);
int coverage__call(struct sink *s, const struct call_rec *c);
int coverage__line(struct sink *s, uint32_t pid, uint32_t func, uint32_t line);
int coverage__calls(struct sink *s, uint32_t pid, uint32_t func, uint64_t n);
int coverage__codemap(struct sink *s, const struct codemap *m);
int coverage__finish(struct sink *s, const struct session_stats *st);
/* after `finish`: the total of a coverage sink S (cov_report__percent) in
 * *PCT, with its lines HIT of ALL: true, or false when it has none (not
 * a coverage sink, or nothing was written) */
bool coverage__total(const struct sink *s, double *pct, uint64_t *hit, uint64_t *all);
void coverage__free(struct sink *s);

#define COVERAGE_SINK_OPS                                                                  \
	.coverage = true, .process = coverage__process, .process_end = coverage__process_end, \
	.func = coverage__func, .call = coverage__call,                                    \
	.line = coverage__line, .calls = coverage__calls, .codemap = coverage__codemap, .finish = coverage__finish,  \
	.free = coverage__free
#endif
