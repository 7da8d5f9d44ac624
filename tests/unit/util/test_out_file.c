// SPDX-License-Identifier: MIT
/* out_file: temporary names, links, failures (each test in its own forked
 * child, in a fresh directory under /tmp). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/out_file.h"
#include "unit.h"

static char dir[64];

static const char *in_dir(const char *name)
{
	static char path[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_dir(void)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* the test's directory (removed by remove_dir at its end) */
static void make_dir(void)
{
	strcpy(dir, "/tmp/out-file-test-XXXXXX");
	CHECK(mkdtemp(dir));
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f);
	fputs(text, f);
	CHECK(!fclose(f));
}

/* the whole content of PATH ("" when absent) */
static const char *content(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = 0;
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

/* the names in the test's directory, sorted, space-separated */
static const char *listing(void)
{
	static char out[1024];
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	out[0] = 0;
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			strcat(out, out[0] ? " " : "");
			strcat(out, ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	return out;
}

static bool is_partial_of(const char *name, const char *base)
{
	size_t n = strlen(base);

	return !strncmp(name, base, n) && !strncmp(name + n, OUT_FILE_PARTIAL,
						  strlen(OUT_FILE_PARTIAL)) &&
	       strlen(name + n + strlen(OUT_FILE_PARTIAL)) == 6;
}

TEST(out_file_writes_a_partial_name_then_renames_when_complete)
{
	struct out_file *of = NULL;
	struct stat st;

	make_dir();
	CHECK_EQ(out_file__open(in_dir("a.json"), &of), 0);
	fputs("{}\n", out_file__stream(of));
	/* only the temporary file until the end, named after the final one */
	CHECK(is_partial_of(listing(), "a.json"));
	CHECK(is_partial_of(strrchr(out_file__partial_name(of), '/') + 1, "a.json"));
	CHECK_STR(out_file__name(of), in_dir("a.json"));
	CHECK_EQ(out_file__commit(&of, 0), 0);
	CHECK(!of);
	CHECK_STR(listing(), "a.json");
	CHECK_STR(content(in_dir("a.json")), "{}\n");
	CHECK(!lstat(in_dir("a.json"), &st));
	CHECK(S_ISREG(st.st_mode) && !(st.st_mode & 022));
	remove_dir();
}

TEST(out_file_failure_leaves_the_old_file_and_no_partial)
{
	struct out_file *of = NULL;

	make_dir();
	put(in_dir("keep.json"), "old");
	CHECK_EQ(out_file__open(in_dir("keep.json"), &of), 0);
	fputs("half", out_file__stream(of));
	CHECK_EQ(out_file__commit(&of, -ENOMEM), -ENOMEM);
	CHECK_STR(listing(), "keep.json");
	CHECK_STR(content(in_dir("keep.json")), "old");

	/* a refused run: discarded before anything was written */
	CHECK_EQ(out_file__open(in_dir("keep.json"), &of), 0);
	out_file__discard(&of);
	CHECK(!of);
	CHECK_STR(listing(), "keep.json");
	CHECK_STR(content(in_dir("keep.json")), "old");
	remove_dir();
}

TEST(out_file_never_writes_through_a_link_at_the_name)
{
	struct out_file *of = NULL;
	struct stat st;

	make_dir();
	put(in_dir("victim"), "secret");
	/* planted before the start */
	CHECK(!symlink(in_dir("victim"), in_dir("cov.lcov")));
	CHECK_EQ(out_file__open(in_dir("cov.lcov"), &of), 0);
	fputs("mine", out_file__stream(of));
	CHECK_STR(content(in_dir("victim")), "secret");
	CHECK_EQ(out_file__commit(&of, 0), 0);
	CHECK_STR(content(in_dir("victim")), "secret");
	CHECK(!lstat(in_dir("cov.lcov"), &st) && S_ISREG(st.st_mode));
	CHECK_STR(content(in_dir("cov.lcov")), "mine");

	/* planted during the session */
	CHECK_EQ(out_file__open(in_dir("x.xml"), &of), 0);
	CHECK(!symlink(in_dir("victim"), in_dir("x.xml")));
	fputs("ours", out_file__stream(of));
	CHECK_EQ(out_file__commit(&of, 0), 0);
	CHECK_STR(content(in_dir("victim")), "secret");
	CHECK(!lstat(in_dir("x.xml"), &st) && S_ISREG(st.st_mode));
	CHECK_STR(content(in_dir("x.xml")), "ours");
	remove_dir();
}

TEST(out_file_a_swapped_directory_redirects_nothing)
{
	char sub[PATH_MAX], moved[PATH_MAX], elsewhere[PATH_MAX];
	struct out_file *of = NULL;

	make_dir();
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(moved, sizeof(moved), "%s/moved", dir);
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", dir);
	CHECK(!mkdir(sub, 0755) && !mkdir(elsewhere, 0755));
	CHECK_EQ(out_file__open(in_dir("sub/t.trace"), &of), 0);
	/* the directory's path now leads somewhere else */
	CHECK(!rename(sub, moved));
	CHECK(!symlink(elsewhere, sub));
	fputs("rec", out_file__stream(of));
	CHECK_EQ(out_file__commit(&of, 0), 0);
	CHECK_STR(content(in_dir("moved/t.trace")), "rec");
	CHECK_STR(content(in_dir("elsewhere/t.trace")), "");
	CHECK(access(in_dir("elsewhere/t.trace"), F_OK));
	remove_dir();
}

TEST(out_file_refuses_what_cannot_be_an_output)
{
	struct out_file *of = NULL;

	make_dir();
	CHECK_EQ(out_file__open("/nonexistent-dir/x.lcov", &of), -ENOENT);
	CHECK_EQ(errno, ENOENT);
	CHECK(!mkdir(in_dir("d.json"), 0755));
	CHECK_EQ(out_file__open(in_dir("d.json"), &of), -EISDIR);
	CHECK_EQ(out_file__open(in_dir("d.json/"), &of), -EISDIR);
	CHECK_EQ(out_file__open(dir, &of), -EISDIR);
	CHECK(!of);
	CHECK_STR(listing(), "d.json");
	remove_dir();
}

TEST(out_file_keep_publishes_what_was_written_after_an_error)
{
	struct out_file *of = NULL;

	make_dir();
	put(in_dir("r.trace"), "old");
	CHECK_EQ(out_file__open(in_dir("r.trace"), &of), 0);
	fputs("cut", out_file__stream(of));
	CHECK_EQ(out_file__size(of), 0);	/* still in the stdio buffer */
	fflush(out_file__stream(of));
	CHECK_EQ(out_file__size(of), 3);
	CHECK_EQ(out_file__keep(&of), 0);
	CHECK_STR(listing(), "r.trace");
	CHECK_STR(content(in_dir("r.trace")), "cut");
	remove_dir();
}

TEST(out_file_a_device_is_written_in_place)
{
	struct out_file *of = NULL;

	CHECK_EQ(out_file__open("/dev/full", &of), 0);
	CHECK_STR(out_file__partial_name(of), "/dev/full");
	fputs("x", out_file__stream(of));
	CHECK_EQ(out_file__commit(&of, 0), -ENOSPC);
	CHECK(!access("/dev/full", F_OK));
}

TEST(out_file_a_replaced_partial_name_is_not_renamed)
{
	struct out_file *of = NULL;
	struct stat st;

	make_dir();
	put(in_dir("victim"), "secret");
	CHECK_EQ(out_file__open(in_dir("t.json"), &of), 0);
	/* the directory's owner swaps the temporary file for a link */
	CHECK(!unlink(out_file__partial_name(of)));
	CHECK(!symlink(in_dir("victim"), out_file__partial_name(of)));
	fputs("data", out_file__stream(of));
	CHECK_EQ(out_file__commit(&of, 0), -EXDEV);
	CHECK_STR(content(in_dir("victim")), "secret");
	CHECK(lstat(in_dir("t.json"), &st) && errno == ENOENT);
	remove_dir();
}

TEST(out_file_a_signal_before_the_session_removes_the_partial_files)
{
	int status;
	pid_t pid;

	make_dir();
	put(in_dir("keep.json"), "old");
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct out_file *a = NULL, *b = NULL;

		if (out_file__open(in_dir("keep.json"), &a) || out_file__open(in_dir("t.trace"), &b))
			_exit(2);
		fputs("half", out_file__stream(a));
		raise(SIGTERM);
		_exit(3);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK_STR(listing(), "keep.json");
	CHECK_STR(content(in_dir("keep.json")), "old");
	remove_dir();
}
