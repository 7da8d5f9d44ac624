/* SPDX-License-Identifier: MIT */
/*
 * An output file (-o NAME, the recording too) written as root into a
 * directory someone else may control: the traced user's working directory,
 * say. It is never opened through a link, and it replaces a file of its
 * name only when complete.
 *
 * At the start, before anything is traced, the directory of NAME is opened
 * once (its path is resolved then, as given) and the file is created there
 * under a temporary name, NAME.tracer-partial-XXXXXX, with O_CREAT|O_EXCL|
 * O_NOFOLLOW: whatever is planted at that name (a link, a file) makes it
 * pick another one, and nothing planted at NAME itself is opened. The
 * output is written through that descriptor. At a successful end it is
 * flushed (not fsync'ed) and renamed over NAME with renameat() on the directory's
 * descriptor: a link planted at NAME meanwhile is replaced, never written
 * through, and a directory path swapped meanwhile redirects nothing. A
 * failed or refused run removes the temporary file and leaves NAME as it
 * was. After a kill -9 the output stays at its temporary name, as far as it
 * was written.
 *
 * NAME may not be a directory, a socket or anything but a regular file, a
 * link (replaced), a character device or a FIFO: those two are written in
 * place (no temporary name; nothing to replace), so /dev/full and pipes
 * work as outputs.
 */
#ifndef TRACER_OUT_FILE_H
#define TRACER_OUT_FILE_H
#include <stdbool.h>
#include <stdio.h>

#define OUT_FILE_PARTIAL ".tracer-partial-"	/* NAME.tracer-partial-XXXXXX */

struct out_file;

/* Create PATH's temporary file: 0 and *OUT, or -errno (errno set too; a
 * directory or another kind of file at PATH: -EISDIR, -EPERM). */
int out_file__open(const char *path, struct out_file **out);
/* the stream to write (read back too: opened for both) */
FILE *out_file__stream(const struct out_file *f);
/* the final name, and where the data is until the end (the same for a
 * device or FIFO) */
const char *out_file__name(const struct out_file *f);
const char *out_file__partial_name(const struct out_file *f);
/* the bytes on disk now (after a flush), -errno when unknown */
long long out_file__size(const struct out_file *f);

/*
 * End *F (nothing when NULL) and set it to NULL. ERR: 0 when the writer
 * completed the output, else its error. When ERR is 0 and the stream was
 * written, flushed and synced, rename it into place: 0. Otherwise remove
 * the temporary file, say which file and why on stderr, and return the
 * error (ERR first) as -errno.
 */
int out_file__commit(struct out_file **f, int err);
/*
 * End *F keeping what is in it whatever the stream's errors (the writer
 * made sure the file is readable as far as it goes, e.g. a recording cut
 * back to its last complete record): flush what it can, rename into place.
 * 0, or -errno when the rename failed (said on stderr: the data stays at
 * the partial name).
 */
int out_file__keep(struct out_file **f);
/* End *F without publishing it: remove the temporary file (a failed or
 * refused run). NULL is fine. */
void out_file__discard(struct out_file **f);
#endif
