/* SPDX-License-Identifier: MIT */
/*
 * A process's jitdump file, found in its maps, opened safely as root and
 * read as it grows (see jitdump_file.c).
 */
#ifndef TRACER_JITDUMP_FILE_H
#define TRACER_JITDUMP_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "os/jitdump.h"

#define JITDUMP_MAX_BYTES (1ull << 30)	/* the file is read up to here */
#define JITDUMP_CHUNK (1u << 20)	/* read at a time (> a load's head) */

struct jitdump_file {
	int fd;			/* -1: not open */
	char path[512];		/* as the process maps it */
	struct jitdump d;
	unsigned char *buf;	/* JITDUMP_CHUNK bytes */
	uint64_t size;		/* of the file at the last read */
	bool cut;		/* larger than JITDUMP_MAX_BYTES: not all read */
};

/* The jitdump PID maps: the first mapping whose name is a jitdump's
 * (jitdump__is_name). 0 with its PATH, START and END and in *N the number
 * of distinct jitdumps mapped; -ENOENT when there is none, or -errno (the
 * maps could not be read: -ESRCH when the process is gone). */
int jitdump_file__find(int pid, char *path, size_t pathlen, uint64_t *start, uint64_t *end,
		       unsigned *n);

/* Open the mapping [START, END) of PID, named PATH there, into F: through
 * /proc/PID/map_files, as a regular file owned by one of UIDS. 0, or -errno
 * with the reason in ERR (F left closed). */
int jitdump_file__open(struct jitdump_file *f, int pid, uint64_t start, uint64_t end,
		       const char *path, const uid_t uids[4], char *err, size_t errlen);

/* Read what F gained since the last read (at most about MAX bytes of it;
 * 0: all, up to JITDUMP_MAX_BYTES), its code loads handed to E. 0; -EINVAL
 * when the file is refused or cannot be framed (F->d.why); -EIO and the
 * reason in ERR when it cannot be read (or it shrank); or E->fn's error. */
int jitdump_file__read(struct jitdump_file *f, uint64_t max, const struct jitdump_emit *e,
		       char *err, size_t errlen);
/* Bytes of the file after what was read: the start of a record not
 * complete at the last read (or past JITDUMP_MAX_BYTES) */
uint64_t jitdump_file__left(const struct jitdump_file *f);
void jitdump_file__close(struct jitdump_file *f);
#endif
