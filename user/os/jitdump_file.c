// SPDX-License-Identifier: MIT
/*
 * Finding, opening and following a process's jitdump as root.
 *
 * The writer maps its jitdump (perf's convention: the mapping is how perf
 * finds it), in /tmp or anywhere else (V8 writes it in its working
 * directory). The name in /proc/PID/maps is a path as the process saw it,
 * in its mount namespace, through directories its user may control: opening
 * that path as root could follow a symlink planted there to another file.
 * So the path is never opened: /proc/PID/map_files/START-END is, which
 * refers to the very file mapped (the kernel resolves it from the mapping,
 * not from a path), in whatever namespace. Then, as for the perf map
 * (owned_file__check), it must be a regular file owned by one of the
 * process's uids — a file of another user it merely maps is refused and
 * the refusal said.
 *
 * The fd is kept: the file is read again as it grows, and after the
 * process exited (a writer flushes its last records then) through the same
 * inode. Reads go JITDUMP_CHUNK bytes at a time from the offset reached;
 * at most JITDUMP_MAX_BYTES of the file are read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "os/jitdump_file.h"
#include "os/owned_file.h"
#include "os/proc_maps.h"

#define ERR(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

int jitdump_file__find(int pid, char *path, size_t pathlen, uint64_t *start, uint64_t *end,
		       unsigned *n)
{
	struct proc_maps maps = {};
	const struct map_entry *first = NULL;
	int ret = proc_maps__read(pid, &maps);

	if (ret)
		return ret;
	*n = 0;
	for (size_t i = 0; i < maps.n; i++) {
		const struct map_entry *m = &maps.v[i];

		if (!m->inode || !jitdump__is_name(m->path))
			continue;
		if (!first)
			first = m;
		/* a file mapped in pieces counts once */
		if (m == first || m->inode != first->inode || m->dev_major != first->dev_major ||
		    m->dev_minor != first->dev_minor)
			(*n)++;
	}
	if (first) {
		snprintf(path, pathlen, "%s", first->path);
		*start = first->start;
		*end = first->end;
	}
	proc_maps__free(&maps);
	return first ? 0 : -ENOENT;
}

int jitdump_file__open(struct jitdump_file *f, int pid, uint64_t start, uint64_t end,
		       const char *path, const uid_t uids[4], char *err, size_t errlen)
{
	char link[96];
	int fd, ret;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(link, sizeof(link), "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)start, (unsigned long long)end);
	fd = open(link, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ERR("%s: cannot open the mapped file (%s): %s", f->path, link, strerror(errno));
		return ret;
	}
	ret = owned_file__check(fd, f->path, uids, &f->size, err, errlen);
	if (!ret && !(f->buf = malloc(JITDUMP_CHUNK))) {
		ret = -ENOMEM;
		ERR("out of memory");
	}
	if (ret) {
		close(fd);
		return ret;
	}
	f->fd = fd;
	return 0;
}

int jitdump_file__read(struct jitdump_file *f, uint64_t max, const struct jitdump_emit *e,
		       char *err, size_t errlen)
{
	uint64_t size, limit, read = 0;
	struct stat st;
	int ret;

	if (f->fd < 0 || f->d.broken)
		return f->d.broken ? -EINVAL : 0;
	if (fstat(f->fd, &st)) {
		ERR("%s: %s", f->path, strerror(errno));
		return -EIO;
	}
	size = st.st_size;
	if (size < f->d.offset) {
		ERR("%s shrank from %llu to %llu bytes: not read any more", f->path,
		    (unsigned long long)f->d.offset, (unsigned long long)size);
		return -EIO;
	}
	f->size = size;
	limit = size < JITDUMP_MAX_BYTES ? size : JITDUMP_MAX_BYTES;
	f->cut = size > limit;
	while (f->d.offset < limit && (!max || read < max)) {
		uint64_t from = f->d.offset, left = limit - from;
		size_t want = left < JITDUMP_CHUNK ? left : JITDUMP_CHUNK;
		ssize_t n = owned_file__pread(f->fd, f->buf, want, from);

		if (n < 0) {
			ERR("reading %s: %s", f->path, strerror(-n));
			return -EIO;
		}
		/* fewer bytes than the size said: the file ends there */
		ret = jitdump__parse(&f->d, f->buf, n, (size_t)n < want ? (uint64_t)n : left, e);
		if (ret)
			return ret;
		if (f->d.offset == from)
			break;		/* nothing complete yet */
		read += f->d.offset - from;
	}
	return 0;
}

uint64_t jitdump_file__left(const struct jitdump_file *f)
{
	return f->size > f->d.offset ? f->size - f->d.offset : 0;
}

void jitdump_file__close(struct jitdump_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	f->buf = NULL;
	f->fd = -1;
}
