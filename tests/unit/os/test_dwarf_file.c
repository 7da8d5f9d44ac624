// SPDX-License-Identifier: MIT
/*
 * dwarf_file__open finds separate debug information the way perf and gdb
 * do: a pyenv libpython split with `objcopy --only-keep-debug`, the copy
 * stripped, found through .gnu_debuglink (in .debug/ next to it) and
 * through its build-id under /usr/lib/debug/.build-id/; a DWARF query
 * (exit_unwind, read by hand with gdb: see test_dispatch_sites.c) gives
 * the same answer as on the unstripped file, and the source is said.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "os/debug_file.h"
#include "os/dwarf_file.h"
#include "os/dwarf_labels.h"
#include "strip_copy.h"

#define LIB312 "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0"
#define UNWIND312 0x10c432

/* DIR/libpython3.12.so.1.0 stripped, its debug info in DEBUG */
static int split(const char *dir, const char *debug, char *lib, size_t n)
{
	char *keep[] = { "objcopy", "--only-keep-debug", LIB312, (char *)debug, NULL };
	char link[PATH_MAX + 32];

	snprintf(lib, n, "%s/libpython3.12.so.1.0", dir);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", debug);
	char *strip[] = { "strip", "--strip-all", "-o", lib, LIB312, NULL };
	char *add[] = { "objcopy", link, lib, NULL };

	if (run_tool(keep) || run_tool(strip))
		return -EIO;
	return run_tool(add);
}

TEST(dwarf_file_separate_debug_by_debuglink)
{
	char dir[] = "/tmp/tracer-unit-debug-XXXXXX", dbgdir[PATH_MAX], debug[PATH_MAX + 64],
	     lib[PATH_MAX];
	struct dwarf_file *df = NULL;
	uint64_t a = 0;

	if (access(LIB312, R_OK)) {
		printf("SKIP: %s not present\n", LIB312);
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(dbgdir, sizeof(dbgdir), "%s/.debug", dir);
	CHECK_EQ(mkdir(dbgdir, 0755), 0);
	snprintf(debug, sizeof(debug), "%s/libpython3.12.so.1.0.debug", dbgdir);
	CHECK_EQ(split(dir, debug, lib, sizeof(lib)), 0);
	CHECK_EQ(dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &a), 0);
	CHECK_EQ(a, UNWIND312);
	CHECK_EQ(dwarf_file__open(lib, &df), 0);
	if (df)
		CHECK_STR(dwarf_file__source(df), debug);
	dwarf_file__close(df);
	/* the debug file gone: no DWARF, said as such */
	unlink(debug);
	CHECK_EQ(dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &a),
		 -ENODATA);
	unlink(lib);
	rmdir(dbgdir);
	rmdir(dir);
}

TEST(dwarf_file_separate_debug_by_build_id)
{
	char dir[] = "/tmp/tracer-unit-debug-XXXXXX", elsewhere[PATH_MAX], lib[PATH_MAX],
	     bid[PATH_MAX + 128], bid_dir[PATH_MAX], hex[64] = "";
	struct dwarf_file *df = NULL;
	uint64_t a = 0;
	FILE *p;

	if (access(LIB312, R_OK)) {
		printf("SKIP: %s not present\n", LIB312);
		return;
	}
	/* the build-id, as readelf shows it */
	p = popen("readelf -n " LIB312 " | sed -n 's/.*Build ID: *//p'", "r");
	CHECK(p && fgets(hex, sizeof(hex), p));
	if (p)
		pclose(p);
	hex[strcspn(hex, "\n")] = 0;
	CHECK(strlen(hex) > 8);
	CHECK(mkdtemp(dir) != NULL);
	/* the debug file kept somewhere the debuglink does not lead */
	snprintf(elsewhere, sizeof(elsewhere), "%s/kept.debug", dir);
	CHECK_EQ(split(dir, elsewhere, lib, sizeof(lib)), 0);
	snprintf(bid_dir, sizeof(bid_dir), "/usr/lib/debug/.build-id/%.2s", hex);
	snprintf(bid, sizeof(bid), "%s/%s.debug", bid_dir, hex + 2);
	if (access(bid, F_OK) == 0) {
		printf("SKIP: %s exists already\n", bid);
		goto out;
	}
	mkdir("/usr/lib/debug", 0755);
	mkdir("/usr/lib/debug/.build-id", 0755);
	mkdir(bid_dir, 0755);
	CHECK_EQ(rename(elsewhere, bid), 0);
	CHECK_EQ(dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &a), 0);
	CHECK_EQ(a, UNWIND312);
	CHECK_EQ(dwarf_file__open(lib, &df), 0);
	if (df)
		CHECK(strstr(dwarf_file__source(df), hex + 2) != NULL);
	dwarf_file__close(df);
	unlink(bid);
	rmdir(bid_dir);
out:
	unlink(elsewhere);
	unlink(lib);
	rmdir(dir);
}

TEST(dwarf_file_own_dwarf_says_no_source)
{
	struct dwarf_file *df = NULL;

	if (access(LIB312, R_OK)) {
		printf("SKIP: %s not present\n", LIB312);
		return;
	}
	CHECK_EQ(dwarf_file__open(LIB312, &df), 0);
	if (df)
		CHECK_STR(dwarf_file__source(df), "");
	dwarf_file__close(df);
	CHECK_EQ(dwarf_file__open("/usr/bin/python3.11", &df), -ENODATA);
	CHECK_EQ(dwarf_file__open("/nonexistent", &df), -ENOENT);
}

/* a debuginfod server (Debian's `debuginfod`) on loopback serving the
 * debug file of a stripped copy: found when DEBUGINFOD_URLS names it,
 * not otherwise */
TEST(dwarf_file_separate_debug_from_debuginfod)
{
	char dir[] = "/tmp/tracer-unit-debuginfod-XXXXXX", src[PATH_MAX], debug[PATH_MAX + 32],
	     lib[PATH_MAX + 32], db[PATH_MAX + 32], cache[PATH_MAX + 32], port[16], url[64];
	char *keep[] = { "objcopy", "--only-keep-debug", LIB312, debug, NULL };
	char *strip[] = { "strip", "--strip-all", "-o", lib, LIB312, NULL };
	struct dwarf_file *df = NULL;
	uint64_t a = 0;
	pid_t srv;
	int ret = -1;

	if (access(LIB312, R_OK) || access("/usr/bin/debuginfod", X_OK)) {
		printf("SKIP: %s or /usr/bin/debuginfod not present\n", LIB312);
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(src, sizeof(src), "%s/src", dir);
	CHECK_EQ(mkdir(src, 0755), 0);
	snprintf(debug, sizeof(debug), "%s/libpython3.12.debug", src);
	snprintf(lib, sizeof(lib), "%s/libpython3.12.so.1.0", dir);
	snprintf(db, sizeof(db), "%s/db.sqlite", dir);
	snprintf(port, sizeof(port), "%d", 20000 + getpid() % 20000);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s", port);
	CHECK_EQ(run_tool(keep), 0);
	CHECK_EQ(run_tool(strip), 0);
	/* no server named: no DWARF */
	unsetenv("DEBUGINFOD_URLS");
	CHECK_EQ(dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &a), -ENODATA);
	/* the server dies with this test's process, even when a check fails */
	srv = fork();
	CHECK(srv >= 0);
	if (srv == 0) {
		char *argv[] = { "debuginfod", "-F", src, "-p", port, "-d", db, NULL };
		int devnull = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execv("/usr/bin/debuginfod", argv);
		_exit(127);
	}
	setenv("DEBUGINFOD_URLS", url, 1);
	setenv("DEBUGINFOD_TIMEOUT", "5", 1);
	/* until the server has scanned its directory (a few seconds); a new
	 * cache each time, since the client remembers a miss */
	for (int i = 0; i < 60 && ret; i++) {
		snprintf(cache, sizeof(cache), "%s/cache%d", dir, i);
		setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
		ret = dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &a);
		if (ret)
			usleep(250000);
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(a, UNWIND312);
	CHECK_EQ(dwarf_file__open(lib, &df), 0);
	if (df)
		CHECK(strstr(dwarf_file__source(df), "debuginfod") &&
		      strstr(dwarf_file__source(df), url));
	dwarf_file__close(df);
	kill(srv, SIGTERM);
	waitpid(srv, NULL, 0);
	unsetenv("DEBUGINFOD_URLS");
	{
		char *rm[] = { "rm", "-rf", dir, NULL };
		run_tool(rm);
	}
}

/* ---- who may have written a debug file (os/debug_file.c) ---- */

/* 0 when debug_file__open_checked opens NAME, else its error */
static int check_at(const char *name, const char *root, uid_t owner, char *why)
{
	int fd;

	why[0] = 0;
	fd = debug_file__open_checked(name, root, owner, why, 512);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

TEST(debug_file_open_checked_owner_mode_type_links)
{
	char dir[] = "/tmp/tracer-unit-dbgchk-XXXXXX", p[PATH_MAX + 64], q[PATH_MAX + 64],
	     d2[PATH_MAX + 64], why[512];
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(chmod(dir, 0755), 0);
	snprintf(p, sizeof(p), "%s/a.debug", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	close(fd);
	/* root's, 0644: fine for anyone's binary; nothing there: silent */
	CHECK_EQ(check_at(p, "", 1000, why), 0);
	snprintf(q, sizeof(q), "%s/none.debug", dir);
	CHECK_EQ(check_at(q, "", 1000, why), -ENOENT);
	CHECK_STR(why, "");
	/* the binary's owner's: fine; a third user's: refused */
	CHECK_EQ(chown(p, 65534, 65534), 0);
	CHECK_EQ(check_at(p, "", 65534, why), 0);
	CHECK_EQ(check_at(p, "", 1000, why), -EPERM);
	CHECK(strstr(why, "owned by uid 65534") != NULL);
	CHECK_EQ(chown(p, 0, 0), 0);
	/* writable by others, or by a group not root's */
	CHECK_EQ(chmod(p, 0646), 0);
	CHECK_EQ(check_at(p, "", 0, why), -EPERM);
	CHECK(strstr(why, "writable by others") != NULL);
	CHECK_EQ(chmod(p, 0664), 0);
	CHECK_EQ(check_at(p, "", 0, why), 0);	/* group root */
	CHECK_EQ(chown(p, 0, 65534), 0);
	CHECK_EQ(check_at(p, "", 0, why), -EPERM);
	CHECK_EQ(chown(p, 0, 0), 0);
	CHECK_EQ(chmod(p, 0644), 0);
	/* a link to it: root's is fine, another user's is refused */
	snprintf(q, sizeof(q), "%s/link.debug", dir);
	CHECK_EQ(symlink(p, q), 0);
	CHECK_EQ(check_at(q, "", 0, why), 0);
	CHECK_EQ(lchown(q, 65534, 65534), 0);
	CHECK_EQ(check_at(q, "", 0, why), -EPERM);
	CHECK(strstr(why, "symlink") != NULL && strstr(why, "uid 65534") != NULL);
	/* a directory on the way that is another user's link */
	snprintf(d2, sizeof(d2), "%s/.debug", dir);
	CHECK_EQ(symlink(dir, d2), 0);
	CHECK_EQ(lchown(d2, 65534, 65534), 0);
	snprintf(q, sizeof(q), "%s/.debug/a.debug", dir);
	CHECK_EQ(check_at(q, "", 0, why), -EPERM);
	CHECK(strstr(why, d2) != NULL);
	/* ... unless it is the target's root prefix we came through */
	CHECK_EQ(check_at(q, d2, 0, why), 0);
	/* a FIFO: refused before it is opened (an open would block) */
	snprintf(q, sizeof(q), "%s/fifo.debug", dir);
	CHECK_EQ(mkfifo(q, 0644), 0);
	CHECK_EQ(check_at(q, "", 0, why), -EPERM);
	CHECK(strstr(why, "not a regular file") != NULL);
	/* a device */
	CHECK_EQ(check_at("/dev/zero", "", 0, why), -EPERM);
	snprintf(q, sizeof(q), "rm -rf %s", dir);
	CHECK_EQ(system(q), 0);
}

/* the stripped copy's .debug/ next to it is a link planted by its user
 * (nobody), to a directory holding the right debug file: not followed */
TEST(dwarf_file_planted_debug_dir_link_not_followed)
{
	char dir[] = "/tmp/tracer-unit-debug-XXXXXX", real[PATH_MAX], dbgdir[PATH_MAX],
	     debug[PATH_MAX + 64], lib[PATH_MAX], cmd[PATH_MAX + 16];
	struct dwarf_file *df = NULL;
	uint64_t a = 0;

	if (access(LIB312, R_OK)) {
		printf("SKIP: %s not present\n", LIB312);
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(chmod(dir, 0755), 0);
	snprintf(real, sizeof(real), "%s/elsewhere", dir);
	CHECK_EQ(mkdir(real, 0755), 0);
	snprintf(debug, sizeof(debug), "%s/libpython3.12.so.1.0.debug", real);
	CHECK_EQ(split(dir, debug, lib, sizeof(lib)), 0);
	/* the debuglink names the file's base name: found in DIR/.debug/ */
	snprintf(dbgdir, sizeof(dbgdir), "%s/.debug", dir);
	CHECK_EQ(symlink(real, dbgdir), 0);
	/* root's link: followed (the file is root's): the label is read */
	CHECK_EQ(dwarf_file__open(lib, &df), 0);
	if (df)
		CHECK(strstr(dwarf_file__source(df), ".debug/") != NULL);
	dwarf_file__close(df);
	df = NULL;
	CHECK_EQ(dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &a), 0);
	CHECK_EQ(a, UNWIND312);
	/* the same link, nobody's: refused, the debug file's DWARF unused
	 * (and none from root's debuginfod cache, which the debuginfod test
	 * fills with this very build-id) */
	snprintf(cmd, sizeof(cmd), "%s/cache", dir);
	CHECK_EQ(mkdir(cmd, 0700), 0);
	setenv("DEBUGINFOD_CACHE_PATH", cmd, 1);
	unsetenv("DEBUGINFOD_URLS");
	CHECK_EQ(lchown(dbgdir, 65534, 65534), 0);
	if (dwarf_file__open(lib, &df) == 0) {
		CHECK(!strstr(dwarf_file__source(df), ".debug/"));
		CHECK(strstr(dwarf_file__refused(df), "owned by uid 65534") != NULL);
	}
	dwarf_file__close(df);
	a = 0;
	CHECK(dwarf_labels__find(lib, "_PyEval_EvalFrameDefault", "exit_unwind", &a) != 0);
	CHECK_EQ(a, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}
