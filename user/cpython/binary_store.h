/* SPDX-License-Identifier: MIT */
/*
 * Analyses of interpreter files (user/cpython/binary.c) kept on disk, in
 * root's own cache directory (user/os/root_cache.h), so that a session on
 * a file analysed before starts without the ELF, DWARF and code analysis
 * (0.1-0.3 s a session on this project's VMs, more under load).
 *
 * An entry is used only for the file it was made from, unchanged, and by
 * the tracer build that made it: its key is the file's (st_dev, st_ino,
 * size, mtime, ctime) as fstat sees it through the process's root, its
 * GNU build-id, the name it is mapped under, the request (probe_calls,
 * force), and the same identity of the tracer's own executable (a rebuilt
 * tracer analyses again). The ctime cannot be set back by a file's owner:
 * a file rewritten in place, even with its old mtime, misses.
 *
 * What a file's analysis takes besides the file is the opcode numbers its
 * interpreter prints, run as the target's user (user/cpython/py_opcodes.c):
 * that user may own the standard library that prints them. So the entry
 * keeps the numbers it was planned for, and a hit that used them asks the
 * interpreter again, as the session it serves would, and is used only when
 * they are the same: a user can make an entry only of what the analysis
 * gives for their own input, and an entry serves no session for which the
 * analysis would have given anything else.
 *
 * Only complete analyses are kept: one where the dispatch plan failed
 * (its reason may be passing: a query that timed out) is made again, and
 * so is one that refused a separate debug file (the refusal is said while
 * the file is analysed: user/os/dwarf_file.c). The separate debug file
 * an analysis used is not part of the key: what DWARF gives here (the
 * exit_unwind label) is an address in the file, the same with or without
 * it (user/cpython/unwind_site.c finds it from the code otherwise).
 */
#ifndef TRACER_BINARY_STORE_H
#define TRACER_BINARY_STORE_H
#include <stdbool.h>
#include "cpython/binary.h"

struct root_cache;

/* The analysis of REQ's file into B: from the cache C when it holds a good
 * entry (*HIT true), else analysed (binary__analyse) and added. C NULL: no
 * cache. 0, or -errno with a one-line reason in ERR (from the analysis). */
int binary_store__analyse(struct root_cache *c, const struct binary_req *req, struct binary *b,
			  bool *hit, char *err, size_t errlen);
#endif
