/* SPDX-License-Identifier: MIT */
/* Opening a file's DWARF (libdw, through libdwfl), shared by the DWARF
 * queries: in the file itself or in its separate debug file. */
#ifndef TRACER_DWARF_FILE_H
#define TRACER_DWARF_FILE_H
#include <elfutils/libdw.h>

struct dwarf_file;

/*
 * Open the DWARF of the ELF file PATH: the file's own, or else its
 * separate debug information found the way perf and gdb find it (libdwfl's
 * standard search): by build-id under /usr/lib/debug/.build-id/, by
 * .gnu_debuglink next to the file, in its .debug/ or under
 * /usr/lib/debug/ (CRC-checked), and with DEBUGINFOD_URLS set, from
 * debuginfod. For a file of another mount namespace (PATH under
 * /proc/PID/root/) /usr/lib/debug is that root's. 0; -errno; -ENODATA when
 * no DWARF was found. A debug file the target's user could have chosen for
 * root (os/debug_file.h: reached through their symlink, not root's nor the
 * binary owner's, writable by others, not a regular file) is skipped as if
 * absent, said on stderr and by dwarf_file__refused().
 */
int dwarf_file__open(const char *path, struct dwarf_file **out);
/* why a separate debug file found was passed over ("" if none was) */
const char *dwarf_file__refused(const struct dwarf_file *f);
/* how many separate debug files were refused so far in this process (a
 * result that depends on such a refusal is not kept: it would not say it) */
unsigned long dwarf_file__refusals(void);
Dwarf *dwarf_file__dwarf(struct dwarf_file *f);
/* Where the DWARF came from: "" when the file itself has it, else the
 * debug file's path, or "debuginfod (URLS)". */
const char *dwarf_file__source(const struct dwarf_file *f);
void dwarf_file__close(struct dwarf_file *f);
/* A DIE's name, also for concrete instances (clones, out-of-line copies of
 * inlined functions), which name it through DW_AT_abstract_origin. */
const char *dwarf_file__die_name(Dwarf_Die *d);
#endif
