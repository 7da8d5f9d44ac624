/* SPDX-License-Identifier: MIT */
/* Function extents from the unwind tables (.eh_frame_hdr, .eh_frame),
 * which stripping keeps: see eh_frame.c. */
#ifndef TRACER_EH_FRAME_H
#define TRACER_EH_FRAME_H
#include <stddef.h>
#include <stdint.h>

struct eh_frame {
	const uint8_t *hdr;	/* .eh_frame_hdr */
	size_t hdr_len;
	uint64_t hdr_vaddr;
	const uint8_t *eh;	/* .eh_frame */
	size_t eh_len;
	uint64_t eh_vaddr;
};

/* The code range [*START, *END) of the FDE that covers ADDR: a function,
 * or a fragment of one (GCC's `.cold` parts have FDEs of their own).
 * 0; -ENOENT when no FDE covers it; -EINVAL on a malformed table. */
int eh_frame__extent(const struct eh_frame *f, uint64_t addr, uint64_t *start, uint64_t *end);

struct elf_file;
/* The tables of an open ELF file (valid until it is closed): 0, or
 * -ENOENT when it has none. */
int eh_frame__from_elf(struct elf_file *ef, struct eh_frame *f);
#endif
