/* SPDX-License-Identifier: MIT */
/*
 * Files a traced process wrote, read by the tracer as root (its perf map,
 * its jitdump): whoever controls the process can make them anything, so
 * they are opened without following what its user could plant (see the
 * callers), then must be regular files owned by the process's user, and
 * are read with bounds.
 */
#ifndef TRACER_OWNED_FILE_H
#define TRACER_OWNED_FILE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The uids of PID (real, effective, saved, fs). 0, or -errno with the
 * reason in ERR. */
int owned_file__uids(int pid, uid_t uids[4], char *err, size_t errlen);

/* FD (opened as NAME, for messages) must be a regular file owned by one of
 * UIDS: 0 (its size in *SIZE when SIZE is not NULL), or -EPERM (another
 * owner, not a regular file) / -errno with the reason in ERR. */
int owned_file__check(int fd, const char *name, const uid_t uids[4], uint64_t *size,
		      char *err, size_t errlen);

/* Up to LEN bytes of FD at offset OFF into BUF (short reads and EINTR
 * retried): the bytes read, fewer than LEN only at the end of the file, or
 * -errno. */
ssize_t owned_file__pread(int fd, void *buf, size_t len, uint64_t off);
#endif
