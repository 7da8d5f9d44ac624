/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer harnesses share: an input as a file (a memfd, named
 * /proc/self/fd/N) for the parsers that take a path, and a cursor that
 * splits an input into a few parameters and the rest.
 */
#ifndef TRACER_FUZZ_H
#define TRACER_FUZZ_H
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tracer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* DATA as a file: its fd (to close) and PATH, or -1 */
static inline int fuzz_memfd(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

/* the next N bytes as a little-endian number (0 past the end) */
static inline uint64_t fuzz_take(struct fuzz_in *in, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n && in->left; i++, in->p++, in->left--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

/* the rest copied to a malloc'ed buffer of exactly its size, so that ASan
 * sees a read past it (NUL-terminated one past the end when TERM) */
static inline char *fuzz_rest(struct fuzz_in *in, int term)
{
	char *s = malloc(in->left + (term ? 1 : 0) + (in->left || term ? 0 : 1));

	if (!s)
		abort();
	memcpy(s, in->p, in->left);
	if (term)
		s[in->left] = '\0';
	return s;
}

/* A perf_map_fn that reads a TR_EV_JIT record as its consumers do: its
 * framing must be what they check, its name readable whole. CTX: a sum. */
static inline int fuzz_jit_record(void *ctx, void *rec, size_t len)
{
	const struct tr_ev_jit *e = rec;
	uint64_t *sum = ctx;

	if (len < TR_JIT_FIXED || len > sizeof(*e) || e->name_len != len - TR_JIT_FIXED)
		abort();
	for (size_t i = 0; i < e->name_len; i++)
		*sum += (unsigned char)e->name[i];
	return 0;
}
#endif
