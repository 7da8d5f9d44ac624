/* SPDX-License-Identifier: MIT */
/* The eval loop's exit_unwind label found from the code, for builds
 * without DWARF (see unwind_site.c). */
#ifndef TRACER_UNWIND_SITE_H
#define TRACER_UNWIND_SITE_H
#include <stddef.h>
#include <stdint.h>
#include "os/elf_file.h"

/* Find exit_unwind in the eval function at EVAL_VADDR (EVAL_SIZE bytes,
 * plus the `.cold` fragments it jumps to) of EF. HANDLERS: the 256 entries
 * of its computed-goto table (places only the dispatch jumps to);
 * FRAME_BACK: the offset of a frame's `previous` pointer. 0 with the
 * label's address in *LABEL; -ENOENT when no place qualifies, -EEXIST
 * when more than one does, other -errno; ERR says which. */
int unwind_site__find(struct elf_file *ef, uint64_t eval_vaddr, uint64_t eval_size,
		      const uint64_t handlers[256], int frame_back, uint64_t *label,
		      char *err, size_t errlen);
#endif
