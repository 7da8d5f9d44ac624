// SPDX-License-Identifier: MIT
/* Output files: a temporary name in the final directory, renamed when
 * complete (see out_file.h for the reasons). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/out_file.h"

#define OUT_FILE_TRIES 64

struct out_file {
	FILE *f;
	int slot;		/* in `live`, -1: none */
	int dirfd;
	bool in_place;		/* a device or FIFO: written directly */
	bool existed;		/* NAME was a file at the start */
	char *name;		/* as given */
	char *partial;		/* the temporary file, with NAME's directory */
	const char *base;	/* NAME's last component (in name) */
	const char *tmp;	/* the temporary file's (in partial) */
};

/*
 * Ctrl-C, SIGTERM or SIGHUP before a live session takes its signals (with a
 * signalfd, after attaching) or during `tracer report` would kill the tracer
 * with its temporary files left behind. Until then a handler removes them,
 * then lets the signal kill as before. The table is written only here, with
 * those signals blocked; the handler only reads it (and only in the process
 * that made the files: not in a launched command between fork and exec).
 */
#define OUT_FILE_LIVE_MAX 32

static struct {
	int dirfd;
	char name[NAME_MAX + 1];
	volatile sig_atomic_t used;
} live[OUT_FILE_LIVE_MAX];
static pid_t live_pid;
static const int live_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void out_file__on_signal(int sig)
{
	int e = errno;

	if (getpid() == live_pid)
		for (int i = 0; i < OUT_FILE_LIVE_MAX; i++)
			if (live[i].used)
				unlinkat(live[i].dirfd, live[i].name, 0);
	signal(sig, SIG_DFL);
	raise(sig);	/* delivered when the handler returns */
	errno = e;
}

static void out_file__block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(live_signals) / sizeof(live_signals[0]); i++)
		sigaddset(&set, live_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* the temporary file of OF is removed if a signal kills the tracer */
static void out_file__watch(struct out_file *of)
{
	struct sigaction sa = { .sa_handler = out_file__on_signal }, old_sa;
	sigset_t old;

	out_file__block(&old);
	if (live_pid != getpid()) {
		live_pid = getpid();
		for (size_t i = 0; i < sizeof(live_signals) / sizeof(live_signals[0]); i++)
			/* a signal ignored (nohup) stays ignored */
			if (!sigaction(live_signals[i], NULL, &old_sa) &&
			    old_sa.sa_handler == SIG_DFL)
				sigaction(live_signals[i], &sa, NULL);
	}
	for (int i = 0; i < OUT_FILE_LIVE_MAX && of->slot < 0; i++) {
		if (live[i].used)
			continue;
		live[i].dirfd = of->dirfd;
		snprintf(live[i].name, sizeof(live[i].name), "%s", of->tmp);
		live[i].used = 1;
		of->slot = i;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void out_file__unwatch(struct out_file *of)
{
	if (of->slot >= 0)
		live[of->slot].used = 0;
	of->slot = -1;
}

static void out_file__free(struct out_file *of)
{
	out_file__unwatch(of);
	if (of->f)
		fclose(of->f);
	if (of->dirfd >= 0)
		close(of->dirfd);
	free(of->name);
	free(of->partial);
	free(of);
}

/* 6 characters of [A-Za-z0-9] */
static void random_tag(char tag[7])
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[6] = {};

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* no entropy yet: O_EXCL still makes the name ours */
		unsigned long x = (unsigned long)getpid() * 2654435761u ^ (unsigned long)&r;
		for (int i = 0; i < 6; i++, x >>= 5)
			r[i] ^= x;
	}
	for (int i = 0; i < 6; i++)
		tag[i] = set[r[i] % (sizeof(set) - 1)];
	tag[6] = 0;
}

/* the existing NAME, if any: may it be replaced (or written in place)? */
static int out_file__check_name(struct out_file *of)
{
	struct stat st;

	if (fstatat(of->dirfd, of->base, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
		of->in_place = true;
	else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return -EPERM;	/* a socket, a block device */
	of->existed = S_ISREG(st.st_mode);
	return 0;
}

/* a device or FIFO: opened (never through a link) and written in place */
static int out_file__open_in_place(struct out_file *of)
{
	int fd = openat(of->dirfd, of->base,
			O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	int e = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		e = errno;
	else if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
		e = EPERM;	/* swapped for a file since the check: not truncated */
	else if (fcntl(fd, F_SETFL, 0) || !(of->f = fdopen(fd, "w")))
		e = errno;
	if (e) {
		close(fd);
		return -e;
	}
	of->partial = strdup(of->name);
	return of->partial ? 0 : -ENOMEM;
}

static int out_file__create(struct out_file *of)
{
	size_t dir_len = of->base - of->name;
	size_t len = dir_len + strlen(of->base) + strlen(OUT_FILE_PARTIAL) + 7;
	int fd = -1;

	if (strlen(of->base) + strlen(OUT_FILE_PARTIAL) + 6 > NAME_MAX)
		return -ENAMETOOLONG;
	of->partial = malloc(len);
	if (!of->partial)
		return -ENOMEM;
	of->tmp = of->partial + dir_len;
	for (int i = 0; i < OUT_FILE_TRIES && fd < 0; i++) {
		char tag[7];

		random_tag(tag);
		snprintf(of->partial, len, "%.*s%s%s%s", (int)dir_len, of->name, of->base,
			 OUT_FILE_PARTIAL, tag);
		fd = openat(of->dirfd, of->tmp,
			    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	of->f = fdopen(fd, "w+");
	if (!of->f) {
		int e = errno;

		unlinkat(of->dirfd, of->tmp, 0);
		close(fd);
		return -e;
	}
	out_file__watch(of);
	return 0;
}

int out_file__open(const char *path, struct out_file **out)
{
	struct out_file *of = calloc(1, sizeof(*of));
	const char *slash;
	char *dir = NULL;
	int ret;

	if (!of) {
		errno = ENOMEM;
		return -ENOMEM;
	}
	of->dirfd = -1;
	of->slot = -1;
	of->name = strdup(path);
	if (!of->name) {
		ret = -ENOMEM;
		goto fail;
	}
	slash = strrchr(of->name, '/');
	of->base = slash ? slash + 1 : of->name;
	if (!*of->base || !strcmp(of->base, ".") || !strcmp(of->base, "..")) {
		ret = -EISDIR;
		goto fail;
	}
	/* "/x" is in "/", "x" in "." */
	dir = slash ? strndup(of->name, slash == of->name ? 1 : (size_t)(slash - of->name))
		    : strdup(".");
	if (!dir) {
		ret = -ENOMEM;
		goto fail;
	}
	of->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (of->dirfd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = out_file__check_name(of);
	if (!ret)
		ret = of->in_place ? out_file__open_in_place(of) : out_file__create(of);
	if (ret)
		goto fail;
	free(dir);
	*out = of;
	return 0;
fail:
	free(dir);
	out_file__free(of);
	errno = -ret;
	return ret;
}

FILE *out_file__stream(const struct out_file *f)
{
	return f->f;
}

const char *out_file__name(const struct out_file *f)
{
	return f->name;
}

const char *out_file__partial_name(const struct out_file *f)
{
	return f->partial;
}

long long out_file__size(const struct out_file *f)
{
	struct stat st;

	if (fstat(fileno(f->f), &st))
		return -errno;
	return st.st_size;
}

/* flush the stream to the file: 0 or -errno. Not fsync'ed: the rename
 * makes the file whole for every reader, and ext4 (auto_da_alloc) writes a
 * file renamed over another before the rename; an fsync would make the end
 * of every session wait for the disk. */
static int out_file__sync(struct out_file *of)
{
	errno = 0;
	if (fflush(of->f) || ferror(of->f))
		return errno ? -errno : -EIO;
	return 0;
}

/* the temporary name must still be our file: the directory's owner may have
 * replaced it (with a link, say) meanwhile; renaming that would put their
 * file at NAME. (They can still do so between this check and the rename,
 * or after it, as with any file in their directory; nothing is written
 * through their link either way: the data went through our descriptor.) */
static int out_file__still_ours(struct out_file *of)
{
	struct stat ours, there;

	if (fstat(fileno(of->f), &ours))
		return -errno;
	if (fstatat(of->dirfd, of->tmp, &there, AT_SYMLINK_NOFOLLOW))
		return -errno;
	return ours.st_dev == there.st_dev && ours.st_ino == there.st_ino ? 0 : -EXDEV;
}

static int out_file__close_stream(struct out_file *of)
{
	FILE *f = of->f;

	of->f = NULL;
	errno = 0;
	if (fclose(f))
		return errno ? -errno : -EIO;
	return 0;
}

static int out_file__rename(struct out_file *of)
{
	out_file__unwatch(of);	/* from here on the file is not ours to remove */
	if (of->in_place || !renameat(of->dirfd, of->tmp, of->dirfd, of->base))
		return 0;
	return -errno;
}

/* said when the temporary name is no longer our file: not renamed */
static void out_file__say_replaced(const struct out_file *of)
{
	fprintf(stderr, "tracer: %s: its temporary file %s was removed or replaced by "
		"someone else meanwhile: not renamed to %s\n", of->name, of->partial, of->name);
}

int out_file__commit(struct out_file **f, int err)
{
	struct out_file *of = *f;
	bool replaced = false;
	int r;

	if (!of)
		return err;
	*f = NULL;
	if (!err)
		err = out_file__sync(of);
	if (!err && !of->in_place && (r = out_file__still_ours(of))) {
		out_file__say_replaced(of);
		err = r;
		replaced = true;
	}
	r = out_file__close_stream(of);
	if (!err)
		err = r;
	if (!err)
		err = out_file__rename(of);
	if (err && of->in_place) {
		fprintf(stderr, "tracer: %s: %s\n", of->name, strerror(-err));
	} else if (err && !replaced) {
		unlinkat(of->dirfd, of->tmp, 0);
		fprintf(stderr, "tracer: %s: %s; nothing written to %s, the partial file was "
			"removed%s\n", of->name, strerror(-err), of->name,
			of->existed ? " (the file of that name is unchanged)" : "");
	}
	out_file__free(of);
	return err;
}

int out_file__keep(struct out_file **f)
{
	struct out_file *of = *f;
	int err;

	if (!of)
		return -EINVAL;
	*f = NULL;
	out_file__sync(of);	/* the writer said what failed */
	err = of->in_place ? 0 : out_file__still_ours(of);
	if (err) {
		out_file__say_replaced(of);
		out_file__free(of);
		return err;
	}
	out_file__close_stream(of);
	err = out_file__rename(of);
	if (err)
		fprintf(stderr, "tracer: cannot rename %s to %s: %s: the data stays in %s\n",
			of->partial, of->name, strerror(-err), of->partial);
	out_file__free(of);
	return err;
}

void out_file__discard(struct out_file **f)
{
	struct out_file *of = *f;

	if (!of)
		return;
	*f = NULL;
	if (!of->in_place)
		unlinkat(of->dirfd, of->tmp, 0);
	out_file__free(of);
}
