/* SPDX-License-Identifier: MIT */
/*
 * What kind of Python build a file holds, where that decides whether we
 * can trace it at all: PyPy, Python 2, a CPython version outside the
 * supported range, a free-threaded CPython (Py_GIL_DISABLED, 3.13t/3.14t),
 * a 3.14+ CPython built with the tail-calling interpreter. Each is refused
 * with its reason, before tracing, rather than failing later with a
 * message about a missing symbol.
 */
#ifndef TRACER_BUILD_KIND_H
#define TRACER_BUILD_KIND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct build_kind {
	bool free_threaded;	/* Py_GIL_DISABLED */
	bool tail_calls;	/* handlers are _TAIL_CALL_* functions */
	bool debug_offsets;	/* _Py_DebugOffsets read (3.13+) */
	char how[96];		/* how it was told ("" when neither) */
};

/*
 * PATH (named NAME in messages) is a file mapped in a process where no
 * CPython 3.8+ interpreter was found: when it is PyPy, Python 2 or an older
 * CPython 3, -ENOTSUP with the sentence to say in WHY ("PyPy is not
 * supported (yet)", ...); else 0.
 */
int build_kind__other_python(const char *path, const char *name, char *why, size_t n);
/* 0 when CPython VERSION_HEX is in the supported range, else -ENOTSUP with
 * "CPython 3.X is not supported (3.8 to 3.14 are)" in WHY */
int build_kind__version(uint32_t version_hex, char *why, size_t n);
/* the kind of the CPython 3 file PATH; 0 or -errno */
int build_kind__of_file(const char *path, struct build_kind *k);
/*
 * From the first LEN bytes of _Py_DebugOffsets (3.13+: cookie "xdebugpy",
 * version, free_threaded): 1 free-threaded, 0 not, -EINVAL when BLOB is
 * no such header.
 */
int build_kind__free_threaded_offsets(const void *blob, size_t len);
/*
 * May a session of K trace it? EXACT: calls are traced (not only
 * sampled). 0, or -ENOTSUP with the reason in WHY.
 */
int build_kind__check(const struct build_kind *k, bool exact, char *why, size_t n);
#endif
