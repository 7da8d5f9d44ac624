// SPDX-License-Identifier: MIT
/* run_as: a program run as another process, checked by what the kernel
 * tells the program about itself (/proc/self/status, id, its fds); as
 * root only (the tracer is root), skipped otherwise */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "os/run_as.h"
#include "unit.h"

static const struct proc_creds nobody = { 65534, 65534, 2, { 65534, 4242 } };

static int sh(const struct proc_creds *c, const char *cwd, const char *script, const char *in,
	      size_t in_len, int timeout_ms, size_t max_out, char **out, char *err)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct run_as_req req = {
		.creds = c, .place = { -1, -1 }, .cwd = cwd, .exe_fd = -1, .path = "/bin/sh",
		.argv = argv, .in = in, .in_len = in_len, .timeout_ms = timeout_ms,
		.max_out = max_out,
	};
	size_t len;

	return run_as__run(&req, out, &len, err, 512);
}

static bool not_root(void)
{
	if (geteuid()) {
		printf("SKIP: run_as needs root\n");
		return true;
	}
	return false;
}

/* its ids, groups, no capability, no new privileges, fds 0-2 only, the
 * environment given, the cwd entered */
TEST(run_as_takes_every_credential)
{
	char *out = NULL, err[512] = "";

	if (not_root())
		return;
	CHECK_EQ(sh(&nobody, "/tmp", "id -u; id -g; id -G; "
		    "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status; "
		    "ls /proc/self/fd | tr '\\n' ' '; echo; pwd; env | sort | tr '\\n' ' '; echo; "
		    "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
		    NULL, 0, 10000, 1 << 20, &out, err), 0);
	if (!out)
		return;
	CHECK_STR(out, "65534\n65534\n65534 4242\n"
		  "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
		  "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n"
		  "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\n"
		  "0 1 2 3 \n/tmp\n"	/* 3: ls's own of /proc/self/fd */
		  "LC_ALL=C PATH=/usr/local/bin:/usr/bin:/bin PWD=/tmp \n"
		  "lo\n");	/* a network namespace of its own, empty */
	free(out);
}

/* a root process's program is root's own: it stays root */
TEST(run_as_root_stays_root)
{
	static const struct proc_creds root = { 0, 0, 0, {} };
	char *out = NULL, err[512] = "";

	if (not_root())
		return;
	CHECK_EQ(sh(&root, "/", "id -u; id -G", NULL, 0, 10000, 4096, &out, err), 0);
	CHECK_STR(out, "0\n0\n");
	free(out);
}

/* unknown credentials: nothing runs */
TEST(run_as_unknown_credentials_refused)
{
	char *out = NULL, err[512] = "";

	CHECK_EQ(sh(NULL, "/", "touch /tmp/never", NULL, 0, 1000, 4096, &out, err), -EPERM);
	CHECK(strstr(err, "credentials are unknown"));
	CHECK(!out);
}

/* a cwd it may not enter is not entered (it is entered with its rights) */
TEST(run_as_cwd_entered_with_its_rights)
{
	char dir[] = "/tmp/run-as-XXXXXX", *out = NULL, err[512] = "";

	if (not_root() || !mkdtemp(dir))
		return;
	chmod(dir, 0700);
	CHECK_EQ(sh(&nobody, dir, "pwd", NULL, 0, 10000, 4096, &out, err), 0);
	CHECK_STR(out, "/\n");
	free(out);
	rmdir(dir);
}

/* its stdin fed while its stdout is read: more than a pipe holds, both ways */
TEST(run_as_input_and_output)
{
	size_t n = 300000;
	char *in = malloc(n + 1), *out = NULL, err[512] = "";

	if (not_root() || !in)
		return;
	for (size_t i = 0; i < n; i++)
		in[i] = 'a' + i % 26;
	in[n] = 0;
	CHECK_EQ(sh(&nobody, "/", "cat", in, n, 10000, 1 << 20, &out, err), 0);
	CHECK(out && !strcmp(out, in));
	free(out);
	free(in);
}

/* too long: killed, with what it started in its group */
TEST(run_as_timeout_kills_its_group)
{
	char dir[] = "/tmp/run-as-XXXXXX", file[64], script[200], *out = NULL, err[512] = "";
	struct timespec t0, t1;
	FILE *f;
	int pid = 0;

	if (not_root() || !mkdtemp(dir))
		return;
	chmod(dir, 0777);
	snprintf(file, sizeof(file), "%s/pid", dir);
	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; wait", file);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(sh(&nobody, "/", script, NULL, 0, 500, 4096, &out, err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 10);
	CHECK(strstr(err, "took more than"));
	f = fopen(file, "r");
	CHECK(f && fscanf(f, "%d", &pid) == 1 && pid > 0);
	if (f)
		fclose(f);
	/* killed (a zombie until its new parent reaps it) */
	for (int i = 0; pid > 0 && i < 500; i++) {
		char path[64], st[512] = "";
		FILE *s;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		s = fopen(path, "r");
		if (!s || !fgets(st, sizeof(st), s) || strstr(st, ") Z ")) {
			pid = 0;
		}
		if (s)
			fclose(s);
		if (pid)
			usleep(10000);
	}
	CHECK_EQ(pid, 0);
	unlink(file);
	rmdir(dir);
}

/* too much output: killed */
TEST(run_as_output_bounded)
{
	char *out = NULL, err[512] = "";

	if (not_root())
		return;
	CHECK_EQ(sh(&nobody, "/", "yes", NULL, 0, 10000, 1 << 20, &out, err), -EFBIG);
	CHECK(!out);
}

/* a failure says its status and its last line on stderr, control
 * characters replaced */
TEST(run_as_failure_says_why)
{
	char *out = NULL, err[512] = "";

	if (not_root())
		return;
	CHECK_EQ(sh(&nobody, "/", "echo first >&2; printf 'bad \\033]0;x\\n' >&2; exit 3", NULL, 0,
		    10000, 4096, &out, err), -EIO);
	CHECK_STR(err, "/bin/sh failed (exit status 3): bad ?]0;x");
	CHECK(!out);
}
