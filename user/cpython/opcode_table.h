/* SPDX-License-Identifier: MIT */
/* The eval loop's computed-goto table, found from the code when the build
 * has no symbol for it (see opcode_table.c). */
#ifndef TRACER_OPCODE_TABLE_H
#define TRACER_OPCODE_TABLE_H
#include <stddef.h>
#include <stdint.h>
#include "os/elf_file.h"

struct opcode_table {
	uint64_t vaddr;		/* the table (virtual address in the file) */
	uint64_t handlers[256];	/* its entries: the handler of each opcode */
	int n_inside;		/* entries inside the eval function itself */
	int n_candidates;	/* tables the code names that were looked at */
};

/* Find the table through which the function at EVAL_VADDR (EVAL_SIZE
 * bytes) dispatches. 0; -ENOENT when no table qualifies (a build without
 * computed gotos, such as 3.14's tail-calling interpreter), -EEXIST when
 * more than one does, other -errno on a read error; ERR says which. */
int opcode_table__find(struct elf_file *ef, uint64_t eval_vaddr, uint64_t eval_size,
		       struct opcode_table *out, char *err, size_t errlen);
#endif
