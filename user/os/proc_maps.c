// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps parsing. A line is
 *   start-end perms offset major:minor inode [path]
 * with start, end, offset, major and minor in hex, inode in decimal, fields
 * separated by one space, and the path (if any) after a run of spaces. The
 * text is never assumed to be NUL-terminated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "os/proc_maps.h"

struct cursor {
	const char *p, *end;	/* one line, without its '\n' */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1..MAXDIG hex digits */
static int take_hex(struct cursor *c, unsigned maxdig, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;
	int h;

	while (c->p < c->end && (h = hexval(*c->p)) >= 0) {
		if (++n > maxdig)
			return -EINVAL;
		v = v << 4 | (uint64_t)h;
		c->p++;
	}
	if (!n)
		return -EINVAL;
	*out = v;
	return 0;
}

static int take_dec(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		n++;
		c->p++;
	}
	if (!n)
		return -EINVAL;
	*out = v;
	return 0;
}

static int take_char(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

static int take_perms(struct cursor *c, char perms[5])
{
	static const char allowed[4][3] = { "r-", "w-", "x-", "ps" };

	if (c->end - c->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		if (c->p[i] != allowed[i][0] && c->p[i] != allowed[i][1])
			return -EINVAL;
		perms[i] = c->p[i];
	}
	perms[4] = '\0';
	c->p += 4;
	return 0;
}

static int parse_line(const char *line, size_t len, struct map_entry *e)
{
	struct cursor c = { line, line + len };
	uint64_t maj, min;
	size_t plen;

	memset(e, 0, sizeof(*e));
	if (take_hex(&c, 16, &e->start) || take_char(&c, '-') ||
	    take_hex(&c, 16, &e->end) || take_char(&c, ' ') ||
	    take_perms(&c, e->perms) || take_char(&c, ' ') ||
	    take_hex(&c, 16, &e->offset) || take_char(&c, ' ') ||
	    take_hex(&c, 8, &maj) || take_char(&c, ':') ||
	    take_hex(&c, 8, &min) || take_char(&c, ' ') ||
	    take_dec(&c, &e->inode))
		return -EINVAL;
	if (e->end <= e->start)
		return -EINVAL;
	e->dev_major = (unsigned)maj;
	e->dev_minor = (unsigned)min;
	/* end of line, or a run of spaces and the path (kept as is) */
	if (c.p < c.end && *c.p != ' ')
		return -EINVAL;
	while (c.p < c.end && *c.p == ' ')
		c.p++;
	plen = (size_t)(c.end - c.p);
	if (memchr(c.p, '\0', plen))
		return -EINVAL;
	e->path = strndup(c.p, plen);
	return e->path ? 0 : -ENOMEM;
}

void proc_maps__free(struct proc_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

int proc_maps__parse(const char *text, size_t len, struct proc_maps *out)
{
	struct proc_maps m = { 0 };
	size_t cap = 0, off = 0;
	int err = 0;

	if (!out || (!text && len))
		return -EINVAL;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - (text + off)) : len - off;

		if (m.n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct map_entry *v = realloc(m.v, ncap * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				goto fail;
			}
			m.v = v;
			cap = ncap;
		}
		err = parse_line(text + off, llen, &m.v[m.n]);
		if (err)
			goto fail;
		m.n++;
		off += llen + (nl ? 1 : 0);
	}
	*out = m;
	return 0;
fail:
	proc_maps__free(&m);
	return err;
}

int proc_maps__read(int pid, struct proc_maps *out)
{
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, err;

	if (!out)
		return -EINVAL;
	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	err = proc_maps__parse(buf, len, out);
out:
	free(buf);
	close(fd);
	return err;
}

const struct map_entry *proc_maps__find_path(const struct proc_maps *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].path, path))
			return &m->v[i];
	return NULL;
}

const struct map_entry *proc_maps__find_basename_prefix(const struct proc_maps *m,
							const char *prefix)
{
	size_t n = strlen(prefix);

	for (size_t i = 0; i < m->n; i++) {
		const char *p = m->v[i].path, *slash = strrchr(p, '/');
		const char *base = slash ? slash + 1 : p;

		if (*base && !strncmp(base, prefix, n))
			return &m->v[i];
	}
	return NULL;
}

int proc_maps__addr_of_offset(const struct proc_maps *m, const char *path,
			      uint64_t file_off, uint64_t *addr)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct map_entry *e = &m->v[i];

		if (strcmp(e->path, path) || file_off < e->offset ||
		    file_off - e->offset >= e->end - e->start)
			continue;
		*addr = e->start + (file_off - e->offset);
		return 0;
	}
	return -ENOENT;
}
