/* SPDX-License-Identifier: MIT */
/* The line-coverage bootstrap of launched CPython 3.12+ (user/capture/cover_boot.c). */
#ifndef TRACER_COVER_BOOT_H
#define TRACER_COVER_BOOT_H
#include <stdbool.h>
#include <stddef.h>

#define COVER_MAX_GLOBS 32

/* --include / --omit */
struct cover_filter {
	const char *include[COVER_MAX_GLOBS];
	int n_include;
	const char *omit[COVER_MAX_GLOBS];
	int n_omit;
};

struct cover_boot;

/* the bootstrap hands over the calls it counted every this many calls
 * (and at exit) */
#define COVER_BOOT_FLUSH_CALLS 65536

/* Make the bootstrap (a memfd held until cover_boot__close): 0, or -errno
 * with ERR set. COUNT_CALLS: it counts calls too (else lines only). */
int cover_boot__open(const struct cover_filter *f, bool count_calls, struct cover_boot **out,
		     char *err, size_t errlen);
/* the NAME=VALUE entries a launched command gets (NULL-terminated) */
char *const *cover_boot__env(const struct cover_boot *b);
/* what its hand-overs start with: TR_BLOB_MAGIC and a random key
 * (TR_BLOB_KEY_LEN bytes), for the BPF side */
const unsigned char *cover_boot__key(const struct cover_boot *b);
/* was it opened to count calls? */
bool cover_boot__counts_calls(const struct cover_boot *b);
/* Will the interpreter just exec'd as PID import the bootstrap? Not when
 * its command line has -I, -E or -S (WHY says which). */
bool cover_boot__will_load(int pid, char *why, size_t n);
/* the same for a command line ARGS (LEN bytes: NUL-terminated arguments,
 * argv[0] first) */
bool cover_boot__argv_loads(const char *args, size_t len, char *why, size_t n);
void cover_boot__close(struct cover_boot *b);
#endif
