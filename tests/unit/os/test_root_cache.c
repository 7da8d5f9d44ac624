// SPDX-License-Identifier: MIT
/*
 * root_cache: a directory only root writes. The round trip, and every
 * thing another user could plant on the way (a link, a directory or an
 * entry of theirs, a mode that lets them write) refused. Needs root (the
 * unit tests run as root: they load BPF); skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "os/root_cache.h"

#define NOBODY 65534

static bool as_root(void)
{
	if (!geteuid())
		return true;
	printf("SKIP: not root\n");
	return false;
}

/* a fresh root-owned 0700 directory under /tmp (root's, sticky) */
static void fresh_dir(char *out, size_t n)
{
	snprintf(out, n, "/tmp/tracer-unit-cache-XXXXXX");
	CHECK(mkdtemp(out) != NULL);
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	CHECK_EQ(chmod(path, mode), 0);
}

TEST(root_cache_round_trip)
{
	char dir[64], sub[128], path[200];
	struct root_cache *c;
	struct stat st;
	void *data;
	size_t len;

	if (!as_root())
		return;
	fresh_dir(dir, sizeof(dir));
	/* the last component is made, root's, 0700 */
	snprintf(sub, sizeof(sub), "%s/made", dir);
	CHECK_EQ(root_cache__open(sub, &c), 0);
	CHECK_EQ(stat(sub, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0700);
	CHECK_EQ(st.st_uid, 0);
	CHECK_EQ(root_cache__get(c, "e1", &data, &len, 100), -ENOENT);
	CHECK_EQ(root_cache__put(c, "e1", "hello", 5), 0);
	CHECK_EQ(root_cache__get(c, "e1", &data, &len, 100), 0);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(data, "hello", 5));
	free(data);
	/* replaced whole */
	CHECK_EQ(root_cache__put(c, "e1", "bye", 3), 0);
	CHECK_EQ(root_cache__get(c, "e1", &data, &len, 100), 0);
	CHECK_EQ(len, 3);
	free(data);
	snprintf(path, sizeof(path), "%s/e1", sub);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_EQ(root_cache__get(c, "e1", &data, &len, 2), -EFBIG);
	/* names: no path, no hidden (temporary) file */
	CHECK_EQ(root_cache__get(c, "../e1", &data, &len, 100), -EINVAL);
	CHECK_EQ(root_cache__get(c, ".e1", &data, &len, 100), -EINVAL);
	CHECK_EQ(root_cache__put(c, "a/b", "x", 1), -EINVAL);
	root_cache__close(c);
	/* no cache: an empty name */
	CHECK_EQ(root_cache__open("", &c), -ENOENT);
	CHECK(c == NULL);
	rm_rf(dir);
}

TEST(root_cache_refuses_what_others_control)
{
	char dir[64], p[200], q[200];
	struct root_cache *c = NULL;

	if (!as_root())
		return;
	fresh_dir(dir, sizeof(dir));
	/* a cache directory another user may write */
	snprintf(p, sizeof(p), "%s/open", dir);
	CHECK_EQ(mkdir(p, 0700), 0);
	CHECK_EQ(chmod(p, 0755), 0);
	CHECK_EQ(root_cache__open(p, &c), -EPERM);
	/* one of another user */
	snprintf(p, sizeof(p), "%s/theirs", dir);
	CHECK_EQ(mkdir(p, 0700), 0);
	CHECK_EQ(chown(p, NOBODY, NOBODY), 0);
	CHECK_EQ(root_cache__open(p, &c), -EPERM);
	/* a directory of theirs on the way (they could swap what is below) */
	snprintf(q, sizeof(q), "%s/theirs/c", dir);
	CHECK_EQ(mkdir(q, 0700), 0);
	CHECK_EQ(root_cache__open(q, &c), -EPERM);
	/* a group-writable one on the way, not sticky */
	snprintf(p, sizeof(p), "%s/grp", dir);
	CHECK_EQ(mkdir(p, 0770), 0);
	CHECK_EQ(chmod(p, 0770), 0);
	snprintf(q, sizeof(q), "%s/grp/c", dir);
	CHECK_EQ(root_cache__open(q, &c), -EPERM);
	/* a link on the way, even to a good directory, even root's */
	snprintf(p, sizeof(p), "%s/good", dir);
	CHECK_EQ(mkdir(p, 0700), 0);
	snprintf(q, sizeof(q), "%s/link", dir);
	CHECK_EQ(symlink(p, q), 0);
	CHECK_EQ(root_cache__open(q, &c), -EPERM);
	snprintf(q, sizeof(q), "%s/link/x", dir);
	CHECK_EQ(root_cache__open(q, &c), -EPERM);
	CHECK(c == NULL);
	/* "." and ".." are not walked */
	snprintf(q, sizeof(q), "%s/good/../good", dir);
	CHECK_EQ(root_cache__open(q, &c), -EINVAL);
	rm_rf(dir);
}

TEST(root_cache_refuses_planted_entries)
{
	char dir[64], p[200], q[200];
	struct root_cache *c;
	void *data = NULL;
	size_t len;

	if (!as_root())
		return;
	fresh_dir(dir, sizeof(dir));
	CHECK_EQ(root_cache__open(dir, &c), 0);
	CHECK_EQ(root_cache__put(c, "real", "root's", 6), 0);
	/* an entry of another user's */
	snprintf(p, sizeof(p), "%s/theirs", dir);
	write_file(p, "forged", 0600);
	CHECK_EQ(chown(p, NOBODY, NOBODY), 0);
	CHECK_EQ(root_cache__get(c, "theirs", &data, &len, 100), -EPERM);
	/* root's, but readable or writable by others */
	snprintf(p, sizeof(p), "%s/loose", dir);
	write_file(p, "forged", 0644);
	CHECK_EQ(root_cache__get(c, "loose", &data, &len, 100), -EPERM);
	/* a link to a good entry */
	snprintf(p, sizeof(p), "%s/real", dir);
	snprintf(q, sizeof(q), "%s/alias", dir);
	CHECK_EQ(symlink(p, q), 0);
	CHECK_EQ(root_cache__get(c, "alias", &data, &len, 100), -EPERM);
	/* not a regular file */
	snprintf(p, sizeof(p), "%s/fifo", dir);
	CHECK_EQ(mkfifo(p, 0600), 0);
	CHECK_EQ(root_cache__get(c, "fifo", &data, &len, 100), -EPERM);
	/* writing over a planted link replaces the link, never writes through it */
	snprintf(p, sizeof(p), "%s/target", dir);
	write_file(p, "untouched", 0600);
	snprintf(q, sizeof(q), "%s/via", dir);
	CHECK_EQ(symlink(p, q), 0);
	CHECK_EQ(root_cache__put(c, "via", "new", 3), 0);
	CHECK_EQ(root_cache__get(c, "target", &data, &len, 100), 0);
	CHECK_EQ(len, 9);
	free(data);
	CHECK_EQ(root_cache__get(c, "via", &data, &len, 100), 0);
	CHECK_EQ(len, 3);
	free(data);
	CHECK(data != NULL);
	root_cache__close(c);
	rm_rf(dir);
}

static void set_mtime(const char *dir, const char *name, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	char p[300];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	CHECK_EQ(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static bool exists(const char *dir, const char *name)
{
	char p[300];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return !lstat(p, &st);
}

/* bounded: a write keeps the entries used last, removes a temporary file
 * a writer left an hour ago, leaves names that are not entries alone */
TEST(root_cache_pruned_to_those_used_last)
{
	char dir[64], sub[128], p[300];
	struct root_cache *c;
	void *data;
	size_t len;

	if (!as_root())
		return;
	fresh_dir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/c", dir);
	CHECK_EQ(root_cache__open(sub, &c), 0);
	root_cache__set_max_entries(c, 3);
	CHECK_EQ(root_cache__put(c, "e1", "1", 1), 0);
	CHECK_EQ(root_cache__put(c, "e2", "2", 1), 0);
	CHECK_EQ(root_cache__put(c, "e3", "3", 1), 0);
	set_mtime(sub, "e1", 1000);
	set_mtime(sub, "e2", 2000);
	set_mtime(sub, "e3", 3000);
	snprintf(p, sizeof(p), "%s/.e9.1.2", sub);
	write_file(p, "x", 0600);
	set_mtime(sub, ".e9.1.2", 1000);
	snprintf(p, sizeof(p), "%s/.e8.1.2", sub);
	write_file(p, "x", 0600);	/* a writer at work now */
	snprintf(p, sizeof(p), "%s/README", sub);
	write_file(p, "x", 0600);
	/* e1, the oldest, used now */
	CHECK_EQ(root_cache__get(c, "e1", &data, &len, 10), 0);
	free(data);
	CHECK_EQ(root_cache__put(c, "e4", "4", 1), 0);
	CHECK(exists(sub, "e1"));
	CHECK(!exists(sub, "e2"));
	CHECK(exists(sub, "e3"));
	CHECK(exists(sub, "e4"));
	CHECK(!exists(sub, ".e9.1.2"));
	CHECK(exists(sub, ".e8.1.2"));
	CHECK(exists(sub, "README"));
	/* the default bound */
	root_cache__set_max_entries(c, ROOT_CACHE_MAX_ENTRIES);
	CHECK_EQ(root_cache__put(c, "e5", "5", 1), 0);
	CHECK(exists(sub, "e3"));
	root_cache__close(c);
	rm_rf(dir);
}
