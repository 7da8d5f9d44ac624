/* SPDX-License-Identifier: MIT */
/* Opening a file's DWARF (libdw), shared by the DWARF queries. */
#ifndef TRACER_DWARF_FILE_H
#define TRACER_DWARF_FILE_H
#include <elfutils/libdw.h>

/* Open the DWARF of the ELF file PATH: 0; -errno; -ENODATA without DWARF. */
int dwarf_file__open(const char *path, Dwarf **dw, int *fd);
void dwarf_file__close(Dwarf *dw, int fd);
/* A DIE's name, also for concrete instances (clones, out-of-line copies of
 * inlined functions), which name it through DW_AT_abstract_origin. */
const char *dwarf_file__die_name(Dwarf_Die *d);
#endif
