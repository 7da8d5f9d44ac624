// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "os/proc_status.h"

/* LINE's four ids after TAG into OUT: true when it is that line, whole */
static int four_ids(const char *line, const char *tag, unsigned long out[4])
{
	size_t n = strlen(tag);

	return !strncmp(line, tag, n) &&
	       sscanf(line + n, "%lu %lu %lu %lu", &out[0], &out[1], &out[2], &out[3]) == 4;
}

int proc_status__ids(int pid, uid_t uids[4], gid_t gids[4])
{
	char path[64], line[256];
	unsigned long v[4];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (found != 3 && fgets(line, sizeof(line), f)) {
		if (four_ids(line, "Uid:", v)) {
			for (int i = 0; i < 4; i++)
				uids[i] = v[i];
			found |= 1;
		} else if (four_ids(line, "Gid:", v)) {
			for (int i = 0; i < 4; i++)
				gids[i] = v[i];
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -EINVAL;
}

int proc_status__parse_start(const char *text, size_t len, unsigned long long *ticks)
{
	const char *p, *end = text + len;
	size_t n;

	/* the name ends at the last ')' of the line */
	p = memrchr(text, ')', len);
	if (!p)
		return -EINVAL;
	p++;
	/* fields 3 .. 21 after it, then the start time */
	for (int field = 2; field < 22; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (field == 21)
			break;
		while (p < end && *p != ' ')
			p++;
	}
	*ticks = 0;
	for (n = 0; p < end && *p >= '0' && *p <= '9'; p++, n++) {
		if (*ticks > (~0ull - (*p - '0')) / 10)
			return -EINVAL;		/* past 64 bits */
		*ticks = *ticks * 10 + (*p - '0');
	}
	if (!n || (p < end && *p != ' ' && *p != '\n'))
		return -EINVAL;
	return 0;
}

/* the first N bytes of /proc/PID/NAME into BUF: how many, or -errno */
static ssize_t read_file(int pid, const char *name, char *buf, size_t n)
{
	char path[64];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a seq_file gives it whole in one read when it fits; loop anyway */
	for (len = 0; (size_t)len < n;) {
		ssize_t r = read(fd, buf + len, n - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			len = -errno;
			break;
		}
		if (!r)
			break;
		len += r;
	}
	close(fd);
	return len;
}

int proc_status__start_ns(int pid, uint64_t *ns)
{
	char text[1024];
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t len;
	int ret;

	if (hz <= 0)
		return -EINVAL;
	len = read_file(pid, "stat", text, sizeof(text));
	ret = len < 0 ? (int)len : proc_status__parse_start(text, len, &ticks);
	if (!ret)
		*ns = ticks * (1000000000ull / hz);
	return ret;
}

int proc_status__parse_nspid(const char *line, uint32_t *ns_pid)
{
	const char *p = line + strlen("NSpid:");
	unsigned long long v = 0;
	bool any = false;

	if (strncmp(line, "NSpid:", 6))
		return -EINVAL;
	/* the last number is the innermost namespace's */
	while (*p) {
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			break;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || errno || v > 0x7fffffff || (*end && *end != ' ' && *end != '\t' &&
							     *end != '\n'))
			return -EINVAL;
		any = true;
		p = end;
	}
	if (!any)
		return -EINVAL;
	*ns_pid = v;
	return 0;
}

/* the first line of /proc/PID/status starting with PREFIX into LINE (N
 * bytes): 0, -errno, or -EINVAL when there is none */
static int status_line(int pid, const char *prefix, char *line, size_t n)
{
	char path[64];
	int ret = -EINVAL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, n, f))
		if (!strncmp(line, prefix, strlen(prefix))) {
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

int proc_status__ns_pid(int pid, uint32_t *ns_pid)
{
	char line[256];
	int ret = status_line(pid, "NSpid:", line, sizeof(line));

	return ret ? ret : proc_status__parse_nspid(line, ns_pid);
}

int proc_status__parse_ppid(const char *line, int *ppid)
{
	const char *p = line + strlen("PPid:");
	unsigned long v = 0;
	char *end;

	if (strncmp(line, "PPid:", 5))
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || v > 0x7fffffff || (*end && *end != '\n'))
		return -EINVAL;
	*ppid = v;
	return 0;
}

int proc_status__ppid(int pid, int *ppid)
{
	char line[256];
	int ret = status_line(pid, "PPid:", line, sizeof(line));

	return ret ? ret : proc_status__parse_ppid(line, ppid);
}

int proc_status__parse_cgroup2(const char *text, size_t len, char *buf, size_t n)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		size_t l;

		if (!eol)
			eol = end;
		l = eol - p;
		if (l >= 3 && !memcmp(p, "0::", 3)) {
			if (l - 3 >= n || l == 3)
				return -EINVAL;
			memcpy(buf, p + 3, l - 3);
			buf[l - 3] = 0;
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int proc_status__cgroup2(int pid, char *buf, size_t n)
{
	char text[4096];
	ssize_t len = read_file(pid, "cgroup", text, sizeof(text));

	return len < 0 ? (int)len : proc_status__parse_cgroup2(text, len, buf, n);
}

/* the numbers after TAG on the line of TEXT that starts with it, into OUT
 * (MAX at most): how many, -ENOENT (no such line), -EINVAL, -E2BIG */
static int id_list(const char *text, size_t len, const char *tag, unsigned long *out, size_t max)
{
	const char *p = text, *end = text + len, *eol;
	size_t tl = strlen(tag), n = 0;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		if (!eol)
			return -ENOENT;	/* a line cut by the buffer's end is none */
		if ((size_t)(eol - p) >= tl && !memcmp(p, tag, tl))
			break;
	}
	if (p >= end)
		return -ENOENT;
	for (p += tl; p < eol;) {
		unsigned long long v = 0;
		const char *d;

		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol)
			break;
		for (d = p; p < eol && *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (*p - '0');
			if (v > UINT32_MAX)
				return -EINVAL;
		}
		if (p == d || (p < eol && *p != ' ' && *p != '\t'))
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		out[n++] = v;
	}
	return n;
}

int proc_status__parse_creds(const char *text, size_t len, struct proc_creds *c)
{
	unsigned long ids[4], groups[PROC_MAX_GROUPS];
	int n;

	memset(c, 0, sizeof(*c));
	n = id_list(text, len, "Uid:", ids, 4);
	if (n != 4)
		return n < 0 && n != -ENOENT ? n : -EINVAL;
	c->uid = ids[1];
	n = id_list(text, len, "Gid:", ids, 4);
	if (n != 4)
		return n < 0 && n != -ENOENT ? n : -EINVAL;
	c->gid = ids[1];
	n = id_list(text, len, "Groups:", groups, PROC_MAX_GROUPS);
	if (n < 0)
		return n == -ENOENT ? -EINVAL : n;
	for (int i = 0; i < n; i++)
		c->groups[i] = groups[i];
	c->n_groups = n;
	return 0;
}

int proc_status__creds(int pid, struct proc_creds *c)
{
	char *text = malloc(PROC_STATUS_MAX);
	ssize_t len;
	int ret;

	if (!text)
		return -ENOMEM;
	len = read_file(pid, "status", text, PROC_STATUS_MAX);
	ret = len < 0 ? (int)len : len == PROC_STATUS_MAX ? -E2BIG
	      : proc_status__parse_creds(text, len, c);
	free(text);
	return ret;
}
