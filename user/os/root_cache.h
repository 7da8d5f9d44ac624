/* SPDX-License-Identifier: MIT */
/*
 * A directory of files only root writes, where the tracer keeps what it
 * worked out once and may use again (the analysis of an interpreter file:
 * user/cpython/binary_store.c). Root reads these files as its own, so no
 * one else may be able to write, replace or link anything there:
 *
 *   - the directory's path is walked from / one component at a time,
 *     each opened with O_NOFOLLOW | O_DIRECTORY (no symlink anywhere on
 *     the way), and each must be owned by root and writable by no one
 *     else, except a root-owned sticky directory (/tmp: others may add
 *     names there, never rename or remove root's);
 *   - the cache directory itself is made by root with mode 0700 when it
 *     is missing, and used only when it is root's with mode 0700;
 *   - an entry is opened through the directory's descriptor with
 *     O_NOFOLLOW, read only when it is a regular file of root's, mode
 *     0600, of a bounded size; it is written under a temporary name
 *     (O_CREAT | O_EXCL | O_NOFOLLOW, 0600) and renamed into place whole.
 *
 * Entry names are made of [0-9a-z._-] only. The cache keeps at most
 * ROOT_CACHE_MAX_ENTRIES entries, those used last (a write removes the
 * rest, and temporary files older than an hour that a writer left). A cache that cannot be used is
 * no error: its user goes on without it.
 */
#ifndef TRACER_ROOT_CACHE_H
#define TRACER_ROOT_CACHE_H
#include <stddef.h>

#define ROOT_CACHE_DIR "/var/cache/tracer"
#define ROOT_CACHE_MAX_ENTRIES 64

struct root_cache;

/* Open the cache at DIR (NULL: $TRACER_CACHE_DIR if set, else
 * ROOT_CACHE_DIR; an empty DIR or variable: no cache, -ENOENT), making its
 * last component when missing. Only for an effective uid 0. 0 and *OUT,
 * or -errno: -EPERM when a component or the directory fails the checks
 * above. */
int root_cache__open(const char *dir, struct root_cache **out);
void root_cache__close(struct root_cache *c);
/* Entry NAME: 0 with *DATA (malloc'ed, *LEN bytes, at most MAX), or
 * -ENOENT (none), -EPERM (not a regular file of root's with mode 0600),
 * -EFBIG (larger than MAX), -EINVAL (a bad name), -errno. */
int root_cache__get(struct root_cache *c, const char *name, void **data, size_t *len,
		    size_t max);
/* Write entry NAME (replacing it whole): 0 or -errno. */
int root_cache__put(struct root_cache *c, const char *name, const void *data, size_t len);
/* Keep at most MAX entries from the next write on (tests). */
void root_cache__set_max_entries(struct root_cache *c, unsigned max);
#endif
