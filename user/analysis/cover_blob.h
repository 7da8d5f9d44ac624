/* SPDX-License-Identifier: MIT */
/*
 * What the 3.12+ coverage bootstrap (user/capture/py/cover_boot.py) hands over: a
 * blob per sys.getsizeof call, copied by the BPF side into a TR_EV_BLOB.
 *
 * A blob (little-endian):
 *   header  24 bytes: TR_BLOB_MAGIC (8, NUL included), the session's key
 *           (8), seq u32 (1, 2, ... per process: a gap is a lost blob),
 *           reserved u32
 *   records, each 24 bytes then its strings:
 *           kind u8, pad u8, file_len u16, name_len u16, pad u16,
 *           firstlineno u32, line u32, count u64,
 *           file (file_len bytes, UTF-8), qualname (name_len bytes, UTF-8)
 * Kinds:
 *   'A'  the bootstrap turned its events on (no strings)
 *   'C'  COUNT more calls of the function (file, qualname, firstlineno)
 *   'L'  LINE of that function ran (sent once per line, mostly)
 *   'S'  COUNT records could not be made or sent (too long for a blob, or an
 *        exception inside the bootstrap): what they said is missing
 *   'E'  the process is exiting: every call counted was handed over
 */
#ifndef TRACER_COVER_BLOB_H
#define TRACER_COVER_BLOB_H
#include <stddef.h>
#include <stdint.h>

#define COVER_BLOB_HEADER 24
#define COVER_REC_HEADER 24

struct cover_rec {
	char kind;
	const char *file;	/* not NUL-terminated */
	size_t file_len;
	const char *name;
	size_t name_len;
	uint32_t firstlineno;
	uint32_t line;
	uint64_t count;
};

/* FN gets each record of the blob DATA in order; a non-zero return stops
 * the walk and is returned. -EINVAL: not a well-formed blob (FN may have
 * had the records before the bad one). *SEQ: the blob's sequence number. */
typedef int (*cover_rec_fn)(void *ctx, const struct cover_rec *r);
int cover_blob__parse(const void *data, size_t len, uint32_t *seq, cover_rec_fn fn, void *ctx);
/* the same for a TR_EV_BLOB event EV of LEN bytes (its framing checked) */
int cover_blob__parse_event(const void *ev, size_t len, uint32_t *seq, cover_rec_fn fn,
			    void *ctx);
#endif
