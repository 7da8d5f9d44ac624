// SPDX-License-Identifier: MIT
/*
 * Separate debug information, found as root without trusting the target.
 *
 * The standard search (libdwfl's dwfl_standard_find_debuginfo, perf's,
 * gdb's) opens, as root, names in directories the traced program's user may
 * own: the .debug/ next to a user-owned interpreter (a venv, a pyenv or uv
 * install) is theirs, and so is the interpreter's directory. A link planted
 * there makes root open what the user chooses: a FIFO that blocks the
 * tracer in open(), a device, root's or a third user's file, parsed as
 * DWARF and its names published in our outputs. Checking after libdwfl's own
 * open is too late (it has opened, maybe blocked, and keeps the ELF it read
 * to validate the file), so the search is done here, each candidate
 * checked before it is opened and again after:
 *
 *   - no component of its path below the target's root (/proc/PID/root:
 *     our own way in, a link owned by the target's user by nature) is a
 *     symlink owned by anyone but root. Root's links are fine (Fedora's
 *     .build-id/ farm links into /usr/lib/debug); the user's are not
 *     followed, whatever they point to;
 *   - it is a regular file (stat before the open, so no FIFO or device is
 *     opened; the open is O_NONBLOCK should one be swapped in), owned by
 *     root or by the owner of the file it describes (that user can write
 *     the binary itself, whose own DWARF we read anyway: nothing is gained
 *     by lying in its debug file), writable by no one else (no write bit
 *     for others, nor for the group unless it is root's);
 *   - the file opened is the one checked (same device and inode as the
 *     stat before the open): a component swapped for a link between the
 *     checks and the open is caught.
 * Opening with the target's rights instead (a helper process per file,
 * passing the fd back) would let the user's own files through but not stop
 * a link to a file the user may read and root should not trust (a third
 * user's), and would cost a fork per library: the ownership rule is the
 * sound one here.
 *
 * A refused candidate is skipped as if absent and the search goes on; the
 * reason is kept for the caller to say. debuginfod (DEBUGINFOD_URLS), which
 * libdwfl queries itself when this search finds nothing, writes into
 * root's own cache: not the target's to choose.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include "os/debug_file.h"

int debug_file__open_checked(const char *path, const char *root, uid_t owner,
			     char *why, size_t n)
{
	size_t len = strlen(path), root_len = strlen(root);
	struct stat st, fst;
	char buf[4096];
	int fd;

	if (path[0] != '/' || len >= sizeof(buf))
		return snprintf(why, n, "%s: not an absolute path", path), -EINVAL;
	if (strncmp(path, root, root_len) || path[root_len] != '/')
		root_len = 0;	/* not under the target's root: checked from / */
	memcpy(buf, path, len + 1);
	for (size_t i = root_len + 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i])
			continue;
		buf[i] = 0;
		if (lstat(buf, &st))
			return -errno;	/* (ENOENT, ENOTDIR: nothing there) */
		if (S_ISLNK(st.st_mode) && st.st_uid != 0)
			return snprintf(why, n, "%s is reached through the symlink %s, owned by "
					"uid %u", path, buf, (unsigned)st.st_uid), -EPERM;
		buf[i] = path[i];
	}
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return snprintf(why, n, "%s is not a regular file", path), -EPERM;
	if (st.st_uid != 0 && st.st_uid != owner)
		return snprintf(why, n, "%s is owned by uid %u, neither root nor the owner "
				"of the file it describes (uid %u)", path, (unsigned)st.st_uid,
				(unsigned)owner), -EPERM;
	if ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0))
		return snprintf(why, n, "%s is writable by others (mode %04o)", path,
				(unsigned)(st.st_mode & 07777)), -EPERM;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &fst) || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		close(fd);
		return snprintf(why, n, "%s was replaced while it was opened", path), -EPERM;
	}
	return fd;
}

/* FD's build-id is BITS (LEN > 0), or its CRC-32 is CRC */
static int debug_file__matches(int fd, const unsigned char *bits, size_t len, uint32_t crc)
{
	if (len) {
		Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
		const void *id = NULL;
		ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
		int ok = n == (ssize_t)len && !memcmp(id, bits, len);

		elf_end(elf);
		return ok;
	} else {
		unsigned char buf[65536];
		uLong c = crc32(0, NULL, 0);
		ssize_t r;
		off_t off = 0;

		while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
			c = crc32(c, buf, (uInt)r);
			off += r;
		}
		return r == 0 && (uint32_t)c == crc;
	}
}

/* try PATH: its fd, or -errno (WHY written only when it is refused, so it
 * keeps the last refusal of a search) */
static int debug_file__try(const char *path, const char *file, const char *root, uid_t owner,
			   const unsigned char *bits, size_t len, uint32_t crc,
			   char **name, char *why, size_t n)
{
	int fd;

	if (!strcmp(path, file))
		return -ENOENT;	/* the file itself: its own DWARF, read anyway */
	fd = debug_file__open_checked(path, root, owner, why, n);
	if (fd < 0)
		return fd;
	if (!debug_file__matches(fd, bits, len, crc) || !(*name = strdup(path))) {
		close(fd);
		return -ENOENT;	/* another build's (libdwfl skips it alike) */
	}
	return fd;
}

int debug_file__find(const char *file, const char *root, uid_t owner,
		     const unsigned char *bits, size_t len, const char *link, uint32_t crc,
		     char **name, char *why, size_t n)
{
	const char *slash = strrchr(file, '/');
	size_t root_len = strlen(root);
	char path[4096];
	int dir_len, fd;

	*name = NULL;
	why[0] = 0;
	if (!slash)
		return -ENOENT;
	if (strncmp(file, root, root_len) || file[root_len] != '/')
		root_len = 0;
	dir_len = (int)(slash - file);
	if (len >= 2) {
		int o = snprintf(path, sizeof(path), "%.*s/usr/lib/debug/.build-id/%02x/",
				 (int)root_len, root, bits[0]);

		for (size_t i = 1; i < len && o < (int)sizeof(path) - 8; i++)
			o += snprintf(path + o, sizeof(path) - o, "%02x", bits[i]);
		snprintf(path + o, sizeof(path) - o, ".debug");
		fd = debug_file__try(path, file, root, owner, bits, len, crc, name, why, n);
		if (fd >= 0)
			return fd;
	}
	if (!link || !link[0] || strchr(link, '/'))
		return -ENOENT;
	for (int k = 0; k < 3; k++) {
		if (k == 0)
			snprintf(path, sizeof(path), "%.*s/%s", dir_len, file, link);
		else if (k == 1)
			snprintf(path, sizeof(path), "%.*s/.debug/%s", dir_len, file, link);
		else
			snprintf(path, sizeof(path), "%.*s/usr/lib/debug%.*s/%s", (int)root_len,
				 root, dir_len - (int)root_len, file + root_len, link);
		fd = debug_file__try(path, file, root, owner, bits, len, crc, name, why, n);
		if (fd >= 0)
			return fd;
	}
	return -ENOENT;
}
