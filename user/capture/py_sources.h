/* SPDX-License-Identifier: MIT */
/*
 * The Python programs the tracer runs (user/capture/py/), embedded in the binary:
 * NUL-terminated source texts.
 */
#ifndef TRACER_PY_SOURCES_H
#define TRACER_PY_SOURCES_H
/* which files are measured: the start of both programs below */
extern const char py_cover_rules[];
/* the code map of files, run with the target's interpreter */
extern const char py_cover_map[];
/* the 3.12+ line-coverage bootstrap (a sitecustomize) */
extern const char py_cover_boot[];
#endif
