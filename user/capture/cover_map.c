// SPDX-License-Identifier: MIT
/* Running user/capture/py/cover_map.py with a target's interpreter (cover_map.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analysis/codemap.h"
#include "capture/cover_map.h"
#include "capture/py_sources.h"

#define COVER_MAP_TIMEOUT_MS 60000
#define COVER_MAP_MAX_OUTPUT (256u << 20)

/* argv: INTERP -I -S -c SOURCE OPTIMIZE CWD [--include G]... [--omit G]... [--source] */
static char **make_argv(const struct cover_map_req *req, char *src, char *opt)
{
	const struct cover_filter *f = req->filter;
	int n = 0, max = 9 + 2 * (f ? f->n_include + f->n_omit : 0);
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
	if (req->source)
		argv[n++] = "--source";
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

int cover_map__run(const struct cover_map_req *req, char **text, size_t *len, char *err,
		   size_t errlen)
{
	size_t rules = strlen(py_cover_rules), prog = strlen(py_cover_map), in_len = 0;
	char *src = malloc(rules + prog + 2), opt[16], **argv = NULL, *in = NULL, why[400];
	struct run_as_req run = {
		.creds = req->creds, .place = req->place, .cwd = req->cwd, .exe_fd = -1,
		.path = req->interp, .timeout_ms = COVER_MAP_TIMEOUT_MS,
		.max_out = COVER_MAP_MAX_OUTPUT,
	};
	int ret = -ENOMEM;

	*text = NULL;
	*len = 0;
	snprintf(opt, sizeof(opt), "%d", req->optimize);
	if (src) {
		memcpy(src, py_cover_rules, rules);
		src[rules] = '\n';
		memcpy(src + rules + 1, py_cover_map, prog + 1);
	}
	argv = src ? make_argv(req, src, opt) : NULL;
	in = make_input(req, &in_len);
	if (!argv || !in) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	run.argv = argv;
	run.in = in;
	run.in_len = in_len;
	ret = run_as__run(&run, text, len, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "the code map program: %s", why);
cleanup:
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
