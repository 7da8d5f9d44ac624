/* SPDX-License-Identifier: MIT */
/*
 * Binary analyses (user/cpython/binary.c) kept by file, so that the processes
 * running one binary share one analysis. The key is the file's (st_dev, st_ino) as fstat sees it through
 * the process's root, with its size and mtime (a file rewritten in place is
 * analysed again), and the request (probe_calls, force). The cache keeps
 * each file open: its inode cannot be reused for another file while an
 * entry names it.
 */
#ifndef TRACER_BINARY_CACHE_H
#define TRACER_BINARY_CACHE_H
#include "cpython/binary.h"

struct binary_cache;

struct binary_cache *binary_cache__new(void);
void binary_cache__free(struct binary_cache *c);
/* The analysis of REQ's file: from the cache, or analysed and added (a
 * failed analysis is not kept). *OUT stays valid until the cache is freed.
 * 0, or -errno with a one-line reason in ERR. */
int binary_cache__get(struct binary_cache *c, const struct binary_req *req,
		      const struct binary **out, char *err, size_t errlen);
/* how many analyses the cache ran (hits run none) */
size_t binary_cache__analyses(const struct binary_cache *c);
#endif
