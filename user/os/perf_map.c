// SPDX-License-Identifier: MIT
/*
 * Reading a process's /tmp/perf-PID.map as root.
 *
 * The file is written by the target (CPython's perf-map API, or any JIT):
 * anyone who controls the process can make it anything. /tmp is world-
 * writable, so the process's user can plant a symlink (or a FIFO, or a hard
 * link to a file of another user) at that name to make a root process read
 * or block on something else. So: /tmp is opened as a directory without
 * following a symlink, the file with openat(O_NOFOLLOW | O_NONBLOCK) from
 * it (no component is resolved through a link the user could place), and
 * the opened file must be a regular file owned by one of the process's own
 * uids: a file of another user (root's, or a third user's planted there)
 * is refused and the refusal said. A hard link to a file the user does not
 * own fails the owner check too. Then at most PERF_MAP_MAX_BYTES are read
 * and every line parsed with bounds: a malformed line is counted, skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util/array.h"
#include "os/perf_map.h"
#include "os/owned_file.h"
#include "os/proc_status.h"

#define ERR(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

/* a hex number of at most 16 digits, an optional 0x: its end, or NULL */
static const char *parse_hex(const char *p, const char *end, uint64_t *v)
{
	int digits = 0;

	*v = 0;
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; p < end; p++, digits++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (digits == 16)
			return NULL;	/* more than 64 bits */
		*v = *v << 4 | d;
	}
	return digits ? p : NULL;
}

int perf_map__parse_line(const char *line, size_t len, uint64_t *start, uint64_t *size,
			 const char **name, size_t *name_len)
{
	const char *p = line, *end = line + len;

	if (len && end[-1] == '\r')
		end--;
	p = parse_hex(p, end, start);
	if (!p || p == end || *p != ' ')
		return -EINVAL;
	p = parse_hex(p + 1, end, size);
	if (!p || p == end || *p != ' ' || p + 1 == end)
		return -EINVAL;
	if (*start + *size < *start)
		return -EINVAL;
	*name = p + 1;
	*name_len = end - (p + 1);
	/* a NUL inside would cut the name everywhere it is used */
	if (memchr(*name, 0, *name_len))
		return -EINVAL;
	return 0;
}

void perf_map__record(struct tr_ev_jit *e, uint32_t pid, uint32_t tid, uint64_t ts,
		      uint32_t flags, uint64_t addr, uint32_t size, const char *name, size_t len)
{
	memset(&e->hdr, 0, sizeof(e->hdr));
	e->hdr.type = TR_EV_JIT;
	e->hdr.flags = flags;
	e->hdr.pid = pid;
	e->hdr.tid = tid;
	e->hdr.ts = ts;
	e->addr = addr;
	e->size = size;
	if (len > TR_JIT_NAME_MAX - 1) {
		len = TR_JIT_NAME_MAX - 1;
		e->hdr.flags |= TR_JIT_NAME_TRUNC;
	}
	memcpy(e->name, name, len);
	e->name_len = len;
	e->hdr.size = TR_JIT_FIXED + len;
}

int perf_map__parse(const char *text, size_t len, uint32_t pid, uint64_t ts,
		    perf_map_fn fn, void *ctx, uint64_t *n_ranges, uint64_t *malformed)
{
	const char *p = text, *end = text + len;
	struct tr_ev_jit e;
	int ret;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *name;
		size_t n = (nl ? nl : end) - p, name_len;
		uint64_t start, size;

		if (!n) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (perf_map__parse_line(p, n, &start, &size, &name, &name_len) ||
		    size > UINT32_MAX) {
			if (malformed)
				(*malformed)++;
		} else {
			if (n_ranges)
				(*n_ranges)++;
			if (fn) {
				perf_map__record(&e, pid, pid, ts, TR_JIT_PERF_MAP, start, size,
						 name, name_len);
				ret = fn(ctx, &e, e.hdr.size);
				if (ret)
					return ret;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void perf_map__free(struct perf_map *m)
{
	free(m->text);
	memset(m, 0, sizeof(*m));
}

int perf_map__open(const char *dir, int pid, const uid_t uids[4], char *err, size_t errlen)
{
	char name[32], path[600];
	int dfd, fd, ret;

	snprintf(name, sizeof(name), "perf-%d.map", pid);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		ERR("%s: %s", dir, strerror(errno));
		return ret;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	ret = fd < 0 ? -errno : 0;
	close(dfd);
	if (ret == -ELOOP) {
		ERR("%s/%s is a symbolic link: not followed, not read", dir, name);
		return ret;
	}
	if (ret) {
		if (ret != -ENOENT)
			ERR("%s/%s: %s", dir, name, strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = owned_file__check(fd, path, uids, NULL, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

enum perf_map_age perf_map__age(uint64_t birth, uint64_t mtime, uint64_t start)
{
	if (mtime + PERF_MAP_CLOCK_SLACK_NS < start)
		return PERF_MAP_STALE;
	if (birth && birth + PERF_MAP_CLOCK_SLACK_NS < start)
		return PERF_MAP_PREDATES;
	return PERF_MAP_OWN;
}

/* CLOCK_REALTIME ns T as CLOCK_BOOTTIME ns (0 when before boot) */
static uint64_t boottime_of(const struct statx_timestamp *t)
{
	struct timespec real, boot;
	int64_t ns = (int64_t)t->tv_sec * 1000000000ll + t->tv_nsec;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	ns -= ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000ll + (real.tv_nsec - boot.tv_nsec);
	return ns > 0 ? ns : 0;
}

/* the age of FD, the perf map of PID (PERF_MAP_OWN when unknown: the
 * process or the times are gone) */
static enum perf_map_age age_of(int fd, int pid, uint64_t *behind)
{
	struct statx st;
	uint64_t start, birth, mtime;

	if (proc_status__start_ns(pid, &start) ||
	    statx(fd, "", AT_EMPTY_PATH, STATX_MTIME | STATX_BTIME, &st) ||
	    !(st.stx_mask & STATX_MTIME))
		return PERF_MAP_OWN;
	birth = st.stx_mask & STATX_BTIME ? boottime_of(&st.stx_btime) : 0;
	mtime = boottime_of(&st.stx_mtime);
	*behind = start > mtime ? start - mtime : 0;
	return perf_map__age(birth, mtime, start);
}

int perf_map__read(int pid, struct perf_map *out, char *err, size_t errlen)
{
	enum perf_map_age age;
	uint64_t behind = 0;
	size_t len = 0, cap = 1 << 16;
	char *buf = NULL;
	uid_t uids[4];
	int fd, ret;

	memset(out, 0, sizeof(*out));
	ret = owned_file__uids(pid, uids, err, errlen);
	if (ret)
		return ret;
	fd = perf_map__open("/tmp", pid, uids, err, errlen);
	if (fd < 0)
		return fd;
	age = age_of(fd, pid, &behind);
	if (age == PERF_MAP_STALE) {
		ERR("/tmp/perf-%d.map was last written %.1f s before PID %d started: an earlier "
		    "process's with the same PID, not read", pid, behind / 1e9, pid);
		close(fd);
		return -ESTALE;
	}
	out->predates = age == PERF_MAP_PREDATES;
	for (;;) {
		ssize_t n;

		if (len == cap || !buf) {
			char *nb;

			if (buf)
				cap *= 2;
			if (cap > PERF_MAP_MAX_BYTES)
				cap = PERF_MAP_MAX_BYTES;
			if (buf && len == cap) {
				out->cut = true;
				break;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = owned_file__pread(fd, buf + len, cap - len, len);
		if (n < 0) {
			ret = n;
			ERR("reading /tmp/perf-%d.map: %s", pid, strerror(-ret));
			break;
		}
		len += n;
		if (len < cap)
			break;	/* the end of the file */
	}
	close(fd);
	/* a line being written while we read (the process appends as we
	 * read; its registration is seen live: the uprobe is attached first):
	 * the part after the last newline is left out */
	if (!ret) {
		char *nl = memrchr(buf, '\n', len);
		len = nl ? (size_t)(nl + 1 - buf) : 0;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	out->text = buf;
	out->len = len;
	return perf_map__parse(buf, len, pid, 0, NULL, NULL, &out->n, &out->malformed);
}
