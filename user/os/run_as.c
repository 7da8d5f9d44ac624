// SPDX-License-Identifier: MIT
/*
 * The tracer is root; the programs it runs for a traced process are not
 * root's. The process's interpreter loads its standard library, which its
 * user may own (a venv, a copied or pyenv install): whatever that code
 * does, it must do with the rights the process already has. So the child
 * takes, in this order, while it still can:
 *   - a session of its own (the parent kills the whole group at the end),
 *     default signals, no core dump;
 *   - the process's mount namespace and root (setns, then fchdir + chroot:
 *     its interpreter and files are those the process sees); new, empty
 *     network and IPC namespaces (a container's process may have none:
 *     its program gets none either, nor the host's);
 *   - for a user other than root, an empty capability bounding set;
 *   - the process's supplementary groups, gid and uid (setgroups,
 *     setresgid, setresuid: real, effective and saved), which empties
 *     the capability sets of a user other than root; then checks they
 *     are empty (capget, ambient set) and refuses to run if not;
 *   - PR_SET_NO_NEW_PRIVS (no set-user-ID or file capability can give
 *     them back), PR_SET_PDEATHSIG (set after the ids: changing them
 *     clears it);
 *   - the process's working directory, entered only now, with its rights;
 *   - no file but its three pipes (close_range), a fixed environment.
 * Its output is bounded, and so is its time: past either it is killed
 * with its whole process group. A root process's programs run as root:
 * that is no escalation. Credentials that cannot be known are not guessed:
 * the program does not run.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "os/run_as.h"

#define STDERR_KEPT 2048

static char *const clean_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL };

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int run_as_place__open(int pid, struct run_as_place *pl)
{
	char path[64], ns[64];
	int ret = 0;

	pl->root_fd = pl->mnt_fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", pid);
	if (!same_file(ns, "/proc/self/ns/mnt") &&
	    (pl->mnt_fd = open(ns, O_RDONLY | O_CLOEXEC)) < 0)
		ret = -errno;
	if (!ret && !same_file(path, "/") &&
	    (pl->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		ret = -errno;
	if (ret)
		run_as_place__close(pl);
	return ret;
}

void run_as_place__close(struct run_as_place *pl)
{
	if (pl->root_fd >= 0)
		close(pl->root_fd);
	if (pl->mnt_fd >= 0)
		close(pl->mnt_fd);
	pl->root_fd = pl->mnt_fd = -1;
}

/* in the child: say why on its stderr (the parent shows it), and stop */
static void __attribute__((noreturn)) die(const char *what)
{
	dprintf(2, "tracer: %s: %s\n", what, strerror(errno));
	_exit(126);
}

/* no capability left: permitted, effective, inheritable, ambient */
static bool caps_empty(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	for (int i = 0; i < 2; i++)
		if (d[i].permitted || d[i].effective || d[i].inheritable)
			return false;
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);

		if (r < 0)
			break;	/* past the last capability */
		if (r)
			return false;
	}
	return true;
}

/* a descriptor at 3 or above (0..2 are about to be replaced) */
static int above_std(int fd)
{
	return fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void __attribute__((noreturn)) child(const struct run_as_req *r, pid_t parent, int in,
					    int out, int errp)
{
	const struct proc_creds *c = r->creds;
	struct rlimit no_core = { 0, 0 };
	sigset_t none;

	if ((in = above_std(in)) < 0 || (out = above_std(out)) < 0 ||
	    (errp = above_std(errp)) < 0 || dup2(errp, 2) < 0)
		_exit(126);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
		die("dup2");
	if (setsid() < 0)
		die("setsid");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (setrlimit(RLIMIT_CORE, &no_core))
		die("setrlimit");
	if (r->place.mnt_fd >= 0 && setns(r->place.mnt_fd, CLONE_NEWNS))
		die("cannot enter the process's mount namespace");
	if (r->place.root_fd >= 0 && (fchdir(r->place.root_fd) || chroot(".")))
		die("cannot enter the process's root directory");
	if (chdir("/"))
		die("chdir /");
	/* no network, no System V IPC: what it needs is its files */
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC))
		die("cannot make an empty network namespace");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		die("cannot clear the ambient capabilities");
	for (int cap = 0; c->uid && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			die("cannot drop the capability bounding set");
	if (setgroups(c->n_groups, c->groups) || setresgid(c->gid, c->gid, c->gid) ||
	    setresuid(c->uid, c->uid, c->uid))
		die("cannot take the process's user and groups");
	if (c->uid && !caps_empty()) {
		errno = EPERM;
		die("capabilities left after taking the process's user");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != parent)
		_exit(126);	/* the tracer is gone */
	if (!r->cwd || chdir(r->cwd))
		(void)!chdir("/");
	/* every descriptor but 0, 1, 2 closed at exec (the program's file
	 * too, once it ran) */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC))
		die("close_range");
	if (r->exe_fd >= 0)
		fexecve(r->exe_fd, r->argv, clean_env);
	else
		execve(r->path, r->argv, clean_env);
	die(r->path ? r->path : "exec");
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* what a run gathers from the child's pipes */
struct exchange {
	const char *in;
	size_t in_len, in_done;
	char *out;
	size_t out_len, out_cap, max_out;
	char err[STDERR_KEPT];
	size_t err_len;
};

static int read_out(int fd, struct exchange *x)
{
	ssize_t n;

	if (x->out_cap - x->out_len < 65536) {
		size_t cap = x->out_cap * 2 + 65536;
		char *nb = x->out_len <= x->max_out ? realloc(x->out, cap + 1) : NULL;

		if (!nb)
			return x->out_len > x->max_out ? -EFBIG : -ENOMEM;
		x->out = nb;
		x->out_cap = cap;
	}
	n = read(fd, x->out + x->out_len, x->out_cap - x->out_len);
	if (n > 0)
		x->out_len += n;
	if (x->out_len > x->max_out)
		return -EFBIG;
	return n > 0 ? 1 : n == 0 ? 0 : errno == EINTR || errno == EAGAIN ? 1 : -errno;
}

/* its stderr: the last STDERR_KEPT bytes */
static int read_err(int fd, struct exchange *x)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return n == 0 ? 0 : errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if ((size_t)n >= sizeof(x->err)) {
		memcpy(x->err, buf + n - sizeof(x->err), sizeof(x->err));
		x->err_len = sizeof(x->err);
	} else {
		size_t keep = x->err_len + n > sizeof(x->err) ? sizeof(x->err) - n : x->err_len;

		memmove(x->err, x->err + x->err_len - keep, keep);
		memcpy(x->err + keep, buf, n);
		x->err_len = keep + n;
	}
	return 1;
}

/* feed its stdin, drain its stdout and stderr to their ends, in time */
static int exchange(int fds[3], struct exchange *x, const struct timespec *t0, int timeout_ms)
{
	if (fds[0] >= 0 && x->in_done == x->in_len) {
		close(fds[0]);
		fds[0] = -1;
	}
	while (fds[1] >= 0 || fds[2] >= 0) {
		struct pollfd p[3] = {
			{ .fd = fds[0], .events = POLLOUT },
			{ .fd = fds[1], .events = POLLIN },
			{ .fd = fds[2], .events = POLLIN },
		};
		long left = timeout_ms - elapsed_ms(t0);
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, 3, left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if (p[0].revents) {
			ssize_t w = write(fds[0], x->in + x->in_done, x->in_len - x->in_done);

			if (w > 0)
				x->in_done += w;
			/* done, or it stopped reading: it will say why */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || x->in_done == x->in_len) {
				close(fds[0]);
				fds[0] = -1;
			}
		}
		for (int i = 1; i < 3; i++) {
			if (!p[i].revents)
				continue;
			r = i == 1 ? read_out(fds[i], x) : read_err(fds[i], x);
			if (r < 0)
				return r;
			if (!r) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	return 0;
}

/* once it exited within the time left (not reaped: its pid, and so its
 * process group's id, stay its own until then): 0 or -ETIMEDOUT */
static int wait_exit(pid_t pid, const struct timespec *t0, int timeout_ms)
{
	for (;;) {
		siginfo_t si = { .si_pid = 0 };

		int r = waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT);

		if (!r && si.si_pid == pid)
			return 0;
		if (r && errno != EINTR)
			return -errno;
		if (elapsed_ms(t0) >= timeout_ms)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

/* the last line of its stderr, control characters replaced: for messages */
static void err_tail(struct exchange *x, char *buf, size_t n)
{
	size_t end = x->err_len, start;

	while (end && (x->err[end - 1] == '\n' || x->err[end - 1] == '\r'))
		end--;
	for (start = end; start && x->err[start - 1] != '\n'; start--)
		;
	if (n > 3 && end > start + n - 4)
		start = end - (n - 4);
	snprintf(buf, n, "%s%.*s", end > start ? ": " : "", (int)(end - start), x->err + start);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int run_as__run(const struct run_as_req *req, char **out, size_t *len, char *err, size_t errlen)
{
	const char *name = req->path ? req->path : req->argv[0];
	int pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, fds[3], status = 0, ret;
	struct exchange x = { .in = req->in, .in_len = req->in ? req->in_len : 0,
			      .max_out = req->max_out };
	void (*old_pipe)(int);
	struct timespec t0;
	char tail[300];
	pid_t parent = getpid(), pid;

	*out = NULL;
	*len = 0;
	if (!req->creds) {
		snprintf(err, errlen, "%s not run: the process's credentials are unknown", name);
		return -EPERM;
	}
	for (int i = 0; i < 3; i++)
		if (pipe2(pipes[i], O_CLOEXEC)) {
			ret = -errno;
			snprintf(err, errlen, "cannot run %s: %s", name, strerror(errno));
			goto cleanup;
		}
	old_pipe = signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0)
		child(req, parent, pipes[0][0], pipes[1][1], pipes[2][1]);
	ret = pid < 0 ? -errno : 0;
	if (pid < 0) {
		snprintf(err, errlen, "cannot run %s: fork: %s", name, strerror(errno));
		signal(SIGPIPE, old_pipe);
		goto cleanup;
	}
	fds[0] = pipes[0][1];
	fds[1] = pipes[1][0];
	fds[2] = pipes[2][0];
	for (int i = 0; i < 3; i++) {
		close(pipes[i][i ? 1 : 0]);
		pipes[i][0] = pipes[i][1] = -1;
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = exchange(fds, &x, &t0, req->timeout_ms);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (!ret)
		ret = wait_exit(pid, &t0, req->timeout_ms);
	/* its group, whatever it left running (a program that makes a session
	 * of its own escapes this, with no more rights than the process has) */
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	signal(SIGPIPE, old_pipe);
	err_tail(&x, tail, sizeof(tail));
	if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "%s took more than %d s: killed", name,
			 req->timeout_ms / 1000);
	else if (ret == -EFBIG)
		snprintf(err, errlen, "%s wrote more than %zu MiB: killed", name,
			 req->max_out >> 20);
	else if (ret)
		snprintf(err, errlen, "%s: %s", name, strerror(-ret));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
		ret = -EPERM, snprintf(err, errlen, "%s not run%s", name, tail);
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		ret = -EIO, snprintf(err, errlen, "%s failed (%s %d)%s", name,
				     WIFEXITED(status) ? "exit status" : "signal",
				     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				     tail);
	if (!ret && !x.out && !(x.out = malloc(1)))
		ret = -ENOMEM, snprintf(err, errlen, "out of memory");
	if (!ret) {
		x.out[x.out_len] = 0;
		*out = x.out;
		*len = x.out_len;
		x.out = NULL;
	}
cleanup:
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			if (pipes[i][j] >= 0)
				close(pipes[i][j]);
	free(x.out);
	return ret;
}
