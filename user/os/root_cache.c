// SPDX-License-Identifier: MIT
/* A directory only root writes (see root_cache.h for the checks and why). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "os/root_cache.h"

struct root_cache {
	int dfd;
	unsigned max_entries;	/* ROOT_CACHE_MAX_ENTRIES, or a test's */
};

/* a directory on the way: root's, writable by no one else unless sticky */
static bool safe_ancestor(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	       (!(st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_mode & S_ISVTX));
}

/* the cache directory: root's, 0700 */
static bool safe_cache(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	       (st.st_mode & 07777) == 0700;
}

static int open_dir(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int root_cache__open(const char *dir, struct root_cache **out)
{
	char path[512], *save = NULL, *comp, *next;
	struct root_cache *c;
	int fd, ret;

	*out = NULL;
	if (!dir)
		dir = getenv("TRACER_CACHE_DIR");
	if (!dir)
		dir = ROOT_CACHE_DIR;
	if (!dir[0])
		return -ENOENT;
	if (geteuid() != 0)
		return -EPERM;
	if (dir[0] != '/' || strlen(dir) >= sizeof(path))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s", dir);
	fd = open_dir(AT_FDCWD, "/");
	if (fd < 0)
		return -errno;
	comp = strtok_r(path, "/", &save);
	if (!comp) {
		close(fd);
		return -EINVAL;	/* "/" itself */
	}
	for (; comp; comp = next) {
		int sub;

		next = strtok_r(NULL, "/", &save);
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			ret = -EINVAL;
			goto fail;
		}
		if (!safe_ancestor(fd)) {
			ret = -EPERM;
			goto fail;
		}
		sub = open_dir(fd, comp);
		if (sub < 0 && errno == ENOENT && !next) {
			/* the cache itself, made as root's own */
			if (mkdirat(fd, comp, 0700) && errno != EEXIST) {
				ret = -errno;
				goto fail;
			}
			sub = open_dir(fd, comp);
		}
		if (sub < 0) {
			ret = errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
			goto fail;
		}
		close(fd);
		fd = sub;
	}
	if (!safe_cache(fd)) {
		ret = -EPERM;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = -ENOMEM;
		goto fail;
	}
	c->dfd = fd;
	c->max_entries = ROOT_CACHE_MAX_ENTRIES;
	*out = c;
	return 0;
fail:
	close(fd);
	return ret;
}

void root_cache__close(struct root_cache *c)
{
	if (!c)
		return;
	close(c->dfd);
	free(c);
}

static bool good_name(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 200 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'z') ||
		      name[i] == '.' || name[i] == '_' || name[i] == '-'))
			return false;
	return true;
}

int root_cache__get(struct root_cache *c, const char *name, void **data, size_t *len,
		    size_t max)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd, ret = 0;

	*data = NULL;
	*len = 0;
	if (!c || !good_name(name))
		return -EINVAL;
	fd = openat(c->dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 07777) != 0600) {
		ret = -EPERM;
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, st.st_size - got, got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			free(buf);
			goto out;
		}
		got += n;
	}
	*data = buf;
	*len = got;
	/* used now: the last to go when the cache is pruned */
	futimens(fd, NULL);
out:
	close(fd);
	return ret;
}

struct aged {
	char name[256];
	struct timespec used;
};

static int by_use(const void *a, const void *b)
{
	const struct timespec *x = &((const struct aged *)a)->used;
	const struct timespec *y = &((const struct aged *)b)->used;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

/*
 * Keep the cache bounded: at most max_entries entries, those used last
 * (an entry's mtime is set at each use); and a temporary file left by a
 * writer that died (a name starting with '.') goes after an hour. Names
 * that are neither are not ours to remove. Two sessions pruning at once
 * may both remove a name: the second finds it gone, which is fine.
 */
static void prune(struct root_cache *c)
{
	struct aged *all = NULL, *grown;
	size_t n = 0, cap = 0;
	struct dirent *d;
	struct stat st;
	time_t now = time(NULL);
	DIR *dir;
	int fd = openat(c->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((d = readdir(dir))) {
		bool tmp = d->d_name[0] == '.' && strcmp(d->d_name, ".") && strcmp(d->d_name, "..");

		if ((!tmp && !good_name(d->d_name)) ||
		    fstatat(c->dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if (st.st_mtime + 3600 < now)
				unlinkat(c->dfd, d->d_name, 0);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown)
				goto out;
			all = grown;
		}
		snprintf(all[n].name, sizeof(all[n].name), "%s", d->d_name);
		all[n++].used = st.st_mtim;
	}
	if (n > c->max_entries) {
		qsort(all, n, sizeof(*all), by_use);
		for (size_t i = 0; i < n - c->max_entries; i++)
			unlinkat(c->dfd, all[i].name, 0);
	}
out:
	free(all);
	closedir(dir);
}

int root_cache__put(struct root_cache *c, const char *name, const void *data, size_t len)
{
	char tmp[256];
	struct timespec ts;
	size_t done = 0;
	int fd, ret = 0;

	if (!c || !good_name(name))
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(tmp, sizeof(tmp), ".%s.%d.%ld", name, (int)getpid(), (long)ts.tv_nsec);
	fd = openat(c->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600))
		ret = -errno;
	while (!ret && done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ret = n < 0 ? -errno : -EIO;
		else
			done += n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(c->dfd, tmp, c->dfd, name))
		ret = -errno;
	if (ret)
		unlinkat(c->dfd, tmp, 0);
	else
		prune(c);
	return ret;
}

void root_cache__set_max_entries(struct root_cache *c, unsigned max)
{
	if (c)
		c->max_entries = max;
}
