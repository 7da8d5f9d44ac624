/* SPDX-License-Identifier: MIT */
/*
 * Finding a file's separate debug information (build-id under
 * /usr/lib/debug/.build-id/, .gnu_debuglink next to the file, in its
 * .debug/ directory and under /usr/lib/debug/) without letting the traced
 * program's user choose, through a link or a file of theirs, what root
 * opens. The rules and why are in debug_file.c.
 */
#ifndef TRACER_DEBUG_FILE_H
#define TRACER_DEBUG_FILE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Open PATH for reading if root may use it as debug information for a file
 * owned by OWNER. ROOT is the /proc/PID/root prefix PATH was built under
 * ("" for none): the components below it are checked. The fd, or -ENOENT
 * (nothing there: silent) or another -errno with the reason in WHY (N
 * bytes): a path component that is a symlink not owned by root, not a
 * regular file, owned by neither root nor OWNER, writable by others (or
 * by a group not root's), replaced while it was opened.
 */
int debug_file__open_checked(const char *path, const char *root, uid_t owner,
			     char *why, size_t n);

/*
 * Search the debug file of FILE (a path under ROOT, owned by OWNER), in
 * libdwfl's order: by build-id BITS (LEN bytes; none when 0) under
 * ROOT/usr/lib/debug/.build-id/, then the debuglink name LINK (NULL: none)
 * in FILE's directory, its .debug/ and ROOT/usr/lib/debug/DIR/. A file
 * found must carry the same build-id, or without one match the debuglink
 * CRC. The fd and *NAME (malloc'ed), or -ENOENT; WHY says the last file
 * refused ("" if none).
 */
int debug_file__find(const char *file, const char *root, uid_t owner,
		     const unsigned char *bits, size_t len, const char *link, uint32_t crc,
		     char **name, char *why, size_t n);
#endif
