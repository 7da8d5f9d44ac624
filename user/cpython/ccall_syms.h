/* SPDX-License-Identifier: MIT */
/* Addresses --c-calls needs that a stripped build has no symbol for
 * (ccall_syms.c). */
#ifndef TRACER_CCALL_SYMS_H
#define TRACER_CCALL_SYMS_H
#include <stdint.h>
#include "os/elf_file.h"

/* list.append's C function (the local `list_append`): from PyList_Type's
 * method table (.dynsym is enough). 0 and its vaddr in the file, or
 * -ENOENT. */
int ccall_syms__list_append(struct elf_file *ef, uint64_t *vaddr);
#endif
