/* SPDX-License-Identifier: MIT */
/* Addresses of C labels inside a function, from DWARF (libdw). */
#ifndef TRACER_DWARF_LABELS_H
#define TRACER_DWARF_LABELS_H
#include <stdint.h>

/* The address (a virtual address in the file) of LABEL inside the concrete
 * instance of function FUNC in the ELF file PATH. 0; -ENODATA when the file
 * has no DWARF; -ENOENT when there is no such label with an address. */
int dwarf_labels__find(const char *path, const char *func, const char *label, uint64_t *vaddr);
#endif
