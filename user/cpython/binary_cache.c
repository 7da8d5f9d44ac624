// SPDX-License-Identifier: MIT
/*
 * One analysis per interpreter file, shared by the processes that run it.
 *
 * The key is what fstat says of the file opened through the process's
 * root: (st_dev, st_ino), so two paths to one file (a hard link, a
 * container's view of the host's file) share an entry and two copies of a
 * file do not. An entry keeps its file open, so that inode number cannot
 * name another file while the entry lives; size and mtime catch a file
 * rewritten in place. The analysis opens the file again by its path (the
 * DWARF readers and messages want a path): if the path names another file
 * by the time the analysis is done, the analysis is dropped and -EAGAIN
 * returned rather than filed under the wrong key.
 *
 * (Under overlayfs, fstat shows the overlay's inode, not the real one the
 * kernel's uprobes key on: good enough to share an analysis, not to
 * dedup probes.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/array.h"
#include "cpython/binary_cache.h"

struct bin_entry {
	struct stat st;		/* the key: dev, ino (and size, mtime) */
	int fd;			/* the file, held open */
	bool probe_calls;
	char *force;		/* NULL when none */
	struct binary b;
};

struct binary_cache {
	struct bin_entry **v;	/* pointers: an analysis never moves */
	size_t n, cap;
	size_t analyses;
};

struct binary_cache *binary_cache__new(void)
{
	return calloc(1, sizeof(struct binary_cache));
}

void binary_cache__free(struct binary_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		close(c->v[i]->fd);
		free(c->v[i]->force);
		free(c->v[i]);
	}
	free(c->v);
	free(c);
}

size_t binary_cache__analyses(const struct binary_cache *c)
{
	return c->analyses;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static bool entry_is(const struct bin_entry *e, const struct stat *st,
		     const struct binary_req *req)
{
	return same_file(&e->st, st) && e->probe_calls == req->probe_calls &&
	       !e->force == !req->force && (!e->force || !strcmp(e->force, req->force));
}

int binary_cache__get(struct binary_cache *c, const struct binary_req *req,
		      const struct binary **out, char *err, size_t errlen)
{
	struct bin_entry *e;
	struct stat st, now;
	int fd, ret;

	*out = NULL;
	fd = open(req->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", req->path, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	for (size_t i = 0; i < c->n; i++)
		if (entry_is(c->v[i], &st, req)) {
			close(fd);
			*out = &c->v[i]->b;
			return 0;
		}
	e = calloc(1, sizeof(*e));
	if (!e || (req->force && !(e->force = strdup(req->force))) ||
	    array__grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v))) {
		snprintf(err, errlen, "binary cache: out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	c->analyses++;
	ret = binary__analyse(req, &e->b, err, errlen);
	if (ret)
		goto fail;
	if (stat(req->path, &now) || !same_file(&st, &now)) {
		snprintf(err, errlen, "%s changed while it was analysed", req->name);
		ret = -EAGAIN;
		goto fail;
	}
	e->st = st;
	e->fd = fd;
	e->probe_calls = req->probe_calls;
	c->v[c->n++] = e;
	*out = &e->b;
	return 0;
fail:
	if (e)
		free(e->force);
	free(e);
	close(fd);
	return ret;
}
