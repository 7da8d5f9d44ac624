// SPDX-License-Identifier: MIT
/* Running user/capture/py/cover_map.py with a target's interpreter (cover_map.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "analysis/codemap.h"
#include "capture/cover_map.h"
#include "capture/py_sources.h"

#define COVER_MAP_TIMEOUT_MS 60000
#define COVER_MAP_MAX_OUTPUT (256u << 20)

/* argv: INTERP -I -S -c SOURCE OPTIMIZE CWD [--include G]... [--omit G]... */
static char **make_argv(const struct cover_map_req *req, char *src, char *opt)
{
	const struct cover_filter *f = req->filter;
	int n = 0, max = 8 + 2 * (f ? f->n_include + f->n_omit : 0);
	char **argv = calloc(max, sizeof(*argv));

	if (!argv)
		return NULL;
	argv[n++] = (char *)req->interp;
	argv[n++] = "-I";
	argv[n++] = "-S";
	argv[n++] = "-c";
	argv[n++] = src;
	argv[n++] = opt;
	argv[n++] = (char *)(req->cwd ? req->cwd : "/");
	for (int i = 0; f && i < f->n_include; i++) {
		argv[n++] = "--include";
		argv[n++] = (char *)f->include[i];
	}
	for (int i = 0; f && i < f->n_omit; i++) {
		argv[n++] = "--omit";
		argv[n++] = (char *)f->omit[i];
	}
	return argv;
}

/* the names, escaped, one per line */
static char *make_input(const struct cover_map_req *req, size_t *len)
{
	size_t cap = 1, n = 0;
	char *buf = NULL;

	for (size_t i = 0; i < req->n_files; i++)
		cap += 2 * strlen(req->files[i]) + 1;
	buf = malloc(cap);
	for (size_t i = 0; buf && i < req->n_files; i++) {
		char *e = codemap__escape(req->files[i]);

		if (!e) {
			free(buf);
			return NULL;
		}
		n += sprintf(buf + n, "%s\n", e);
		free(e);
	}
	*len = n;
	return buf;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* write IN to FD_IN, read FD_OUT to the end, within the time limit */
static int exchange(int fd_in, const char *in, size_t in_len, int fd_out, char **out,
		    size_t *out_len)
{
	struct timespec t0;
	size_t done = 0, n = 0, cap = 0;
	char *buf = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fcntl(fd_in, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p[2] = { { .fd = fd_out, .events = POLLIN },
				       { .fd = fd_in, .events = POLLOUT } };
		long left = COVER_MAP_TIMEOUT_MS - elapsed_ms(&t0);
		int np = fd_in >= 0 ? 2 : 1;

		if (left <= 0 || poll(p, np, left) <= 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -ETIMEDOUT;
		}
		if (np == 2 && p[1].revents) {
			ssize_t w = write(fd_in, in + done, in_len - done);

			if (w > 0)
				done += w;
			if (w < 0 && errno != EAGAIN) {
				close(fd_in);	/* it stopped reading: it will say why */
				fd_in = -1;
			} else if (done == in_len) {
				close(fd_in);
				fd_in = -1;
			}
		}
		if (p[0].revents) {
			ssize_t r;

			if (cap - n < 65536) {
				char *nb = cap < COVER_MAP_MAX_OUTPUT ? realloc(buf, cap * 2 + 65536) : NULL;

				if (!nb) {
					free(buf);
					return -EFBIG;
				}
				buf = nb;
				cap = cap * 2 + 65536;
			}
			r = read(fd_out, buf + n, cap - n);
			if (r == 0)
				break;
			if (r > 0)
				n += r;
			else if (errno != EINTR && errno != EAGAIN) {
				free(buf);
				return -errno;
			}
		}
	}
	if (fd_in >= 0)
		close(fd_in);
	*out = buf ? buf : strdup("");
	*out_len = n;
	return 0;
}

int cover_map__run(const struct cover_map_req *req, char **text, size_t *len, char *err,
		   size_t errlen)
{
	size_t rules = strlen(py_cover_rules), prog = strlen(py_cover_map), in_len = 0;
	char *src = malloc(rules + prog + 2), opt[16], **argv = NULL, *in = NULL;
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 }, status = 0, ret;
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	pid_t pid = -1;

	snprintf(opt, sizeof(opt), "%d", req->optimize);
	if (src) {
		memcpy(src, py_cover_rules, rules);
		src[rules] = '\n';
		memcpy(src + rules + 1, py_cover_map, prog + 1);
	}
	argv = src ? make_argv(req, src, opt) : NULL;
	in = make_input(req, &in_len);
	ret = -ENOMEM;
	if (!argv || !in)
		goto out;
	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC) || (pid = fork()) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot run %s: %s", req->interp, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);	/* the session blocks some */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(to_child[0], 0) < 0 || dup2(from_child[1], 1) < 0)
			_exit(126);
		if (req->root_fd >= 0 && (fchdir(req->root_fd) || chroot(".")))
			_exit(126);
		if (req->cwd && chdir(req->cwd))
			(void)!chdir("/");
		execv(req->interp, argv);
		fprintf(stderr, "tracer: cannot run %s: %s\n", req->interp, strerror(errno));
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	to_child[0] = from_child[1] = -1;
	ret = exchange(to_child[1], in, in_len, from_child[0], text, len);
	to_child[1] = -1;	/* closed by exchange */
	if (ret)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret) {
		snprintf(err, errlen, "%s: the code map program %s", req->interp,
			 ret == -ETIMEDOUT ? "took more than 60 s" : strerror(-ret));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, errlen, "%s: the code map program failed (%s %d)", req->interp,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		free(*text);
		*text = NULL;
		ret = -EIO;
	}
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	for (int i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (from_child[i] >= 0)
			close(from_child[i]);
	}
	signal(SIGPIPE, old_pipe);
	free(argv);
	free(src);
	free(in);
	return ret;
}

/* the O flags of one option argument ("-OO", "-bO"), -1: not flags */
static int o_flags(const char *a)
{
	int n = 0;

	for (a++; *a; a++) {
		if (*a == 'O')
			n++;
		else if (!strchr("bBdEhiIPqsSuvVx", *a))
			return -1;	/* an option that takes an argument, or unknown */
	}
	return n;
}

int cover_map__optimize_level(int pid)
{
	char path[64], buf[8192];
	int level = 0, env_level = 0, fd;
	bool no_env = false;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* options before the script, -c or -m */
	for (char *a = buf + strlen(buf) + 1; a < buf + n; a += strlen(a) + 1) {
		int o;

		if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
			break;
		if (!strcmp(a, "-c") || !strcmp(a, "-m") || !strncmp(a, "-c", 2) ||
		    !strncmp(a, "-m", 2))
			break;
		if (!strcmp(a, "-X") || !strcmp(a, "-W")) {
			a += strlen(a) + 1;	/* its argument */
			continue;
		}
		o = o_flags(a);
		if (o < 0)
			continue;
		level += o;
		if (strchr(a, 'E') || strchr(a, 'I'))
			no_env = true;
	}
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !no_env) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			for (char *e = buf; e < buf + n; e += strlen(e) + 1)
				if (!strncmp(e, "PYTHONOPTIMIZE=", 15) && e[15])
					/* an integer: that level; another string: 1 */
					env_level = strspn(e + 15, "0123456789") == strlen(e + 15)
						    ? atoi(e + 15) : 1;
		}
	}
	if (fd >= 0)
		close(fd);
	level = level > env_level ? level : env_level;
	return level > 2 ? 2 : level;
}
