/* SPDX-License-Identifier: MIT */
/* /proc/PID/maps parsing and address arithmetic on mapped files. */
#ifndef TRACER_PROC_MAPS_H
#define TRACER_PROC_MAPS_H
#include <stddef.h>
#include <stdint.h>

struct map_entry {
	uint64_t start, end;	/* [start, end) */
	uint64_t offset;	/* file offset of start */
	uint64_t inode;
	unsigned dev_major, dev_minor;
	char perms[5];		/* "r-xp" */
	char *path;		/* "" for anonymous; "[heap]" etc. kept as is */
};

struct proc_maps {
	struct map_entry *v;
	size_t n;
};

/* Parse the text of a maps file. Bounds-checked: a malformed line makes it
 * fail with -EINVAL (nothing partial is returned). 0 or -errno. */
int proc_maps__parse(const char *text, size_t len, struct proc_maps *out);
/* Read and parse /proc/PID/maps. 0 or -errno (-ESRCH: no such process). */
int proc_maps__read(int pid, struct proc_maps *out);
void proc_maps__free(struct proc_maps *m);

/* First mapping of the file PATH (exact match), or NULL. */
const struct map_entry *proc_maps__find_path(const struct proc_maps *m, const char *path);
/* First mapping whose path's basename starts with PREFIX (e.g. "libpython3."), or NULL. */
const struct map_entry *proc_maps__find_basename_prefix(const struct proc_maps *m, const char *prefix);
/* Runtime address of file offset FILE_OFF of the mapped file PATH:
 * found in the mapping of PATH that covers that offset. 0 or -ENOENT. */
int proc_maps__addr_of_offset(const struct proc_maps *m, const char *path,
			      uint64_t file_off, uint64_t *addr);
#endif
