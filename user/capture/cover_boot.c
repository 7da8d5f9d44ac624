// SPDX-License-Identifier: MIT
/*
 * The line-coverage bootstrap of a launched CPython 3.12+ (see the top of
 * user/capture/py/cover_boot.py): a sitecustomize module inside a zip archive that
 * lives in a memfd of the tracer. The target finds it through
 *   PYTHONPATH=/proc/<tracer pid>/fd/<memfd>[:<its original PYTHONPATH>]
 * and zipimport reads it from there: nothing is written to any disk, and
 * the path stops existing with the tracer. The bootstrap puts the
 * environment back as it was before the program runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <zip.h>
#include "capture/cover_boot.h"
#include "capture/py_sources.h"
#include "tracer.h"

struct cover_boot {
	int fd;
	char *env[12];
	int n_env;
	unsigned char key[TR_BLOB_KEY_LEN];
	bool count_calls;
};

/* the zip archive holding sitecustomize.py = SRC, made in memory */
static int make_zip(const char *src, size_t len, void **out, size_t *out_len, char *err,
		    size_t errlen)
{
	zip_error_t zerr;
	zip_source_t *buf, *member;
	zip_stat_t st;
	zip_t *za;
	zip_int64_t idx = -1;
	void *data = NULL;
	int ret = -EIO;

	zip_error_init(&zerr);
	buf = zip_source_buffer_create(NULL, 0, 0, &zerr);
	if (!buf || !(za = zip_open_from_source(buf, ZIP_TRUNCATE, &zerr))) {
		snprintf(err, errlen, "cannot make the bootstrap archive: %s",
			 zip_error_strerror(&zerr));
		if (buf)
			zip_source_free(buf);
		zip_error_fini(&zerr);
		return -EIO;
	}
	zip_source_keep(buf);	/* read it back after zip_close */
	member = zip_source_buffer(za, src, len, 0);
	/* stored, not deflated: zipimport would import zlib into the target */
	if (!member || (idx = zip_file_add(za, "sitecustomize.py", member, ZIP_FL_ENC_UTF_8)) < 0 ||
	    zip_set_file_compression(za, idx, ZIP_CM_STORE, 0) < 0) {
		snprintf(err, errlen, "cannot make the bootstrap archive: %s", zip_strerror(za));
		if (idx < 0)
			zip_source_free(member);	/* else the archive owns it */
		zip_discard(za);
		goto out;
	}
	if (zip_close(za) < 0) {
		snprintf(err, errlen, "cannot make the bootstrap archive: %s", zip_strerror(za));
		zip_discard(za);
		goto out;
	}
	zip_stat_init(&st);
	if (zip_source_stat(buf, &st) || !(st.valid & ZIP_STAT_SIZE) ||
	    zip_source_open(buf) || !(data = malloc(st.size ? st.size : 1))) {
		snprintf(err, errlen, "cannot read the bootstrap archive back");
		goto out;
	}
	if (zip_source_read(buf, data, st.size) != (zip_int64_t)st.size) {
		snprintf(err, errlen, "cannot read the bootstrap archive back");
		zip_source_close(buf);
		free(data);
		goto out;
	}
	zip_source_close(buf);
	*out = data;
	*out_len = st.size;
	ret = 0;
out:
	zip_source_free(buf);
	zip_error_fini(&zerr);
	return ret;
}

static int add_env(struct cover_boot *b, const char *name, const char *value)
{
	if (b->n_env >= (int)(sizeof(b->env) / sizeof(b->env[0])) - 1 ||
	    asprintf(&b->env[b->n_env], "%s=%s", name, value) < 0)
		return -ENOMEM;
	b->n_env++;
	return 0;
}

/* GLOBS joined by newlines (the bootstrap's format) */
static char *join(const char *const *globs, int n)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < n; i++)
		len += strlen(globs[i]) + 1;
	s = calloc(1, len);
	for (int i = 0; s && i < n; i++) {
		if (i)
			strcat(s, "\n");
		strcat(s, globs[i]);
	}
	return s;
}

int cover_boot__open(const struct cover_filter *f, bool count_calls, struct cover_boot **out,
		     char *err, size_t errlen)
{
	struct cover_boot *b = calloc(1, sizeof(*b));
	size_t rules = strlen(py_cover_rules), boot = strlen(py_cover_boot), zip_len = 0;
	char *src = malloc(rules + boot + 2), path[64], cwd[4096], hex[20], flush[16];
	const char *orig = getenv("PYTHONPATH");
	char *inc = join(f->include, f->n_include), *om = join(f->omit, f->n_omit), *pp = NULL;
	void *zip = NULL;
	int ret = -ENOMEM;

	if (!b || !src || !inc || !om)
		goto fail;
	b->fd = -1;
	b->count_calls = count_calls;
	memcpy(b->key, TR_BLOB_MAGIC, sizeof(TR_BLOB_MAGIC));
	if (getrandom(b->key + sizeof(TR_BLOB_MAGIC), TR_BLOB_KEY_LEN - sizeof(TR_BLOB_MAGIC), 0) !=
	    TR_BLOB_KEY_LEN - sizeof(TR_BLOB_MAGIC)) {
		ret = -errno;
		snprintf(err, errlen, "cannot make the bootstrap's key: %s", strerror(errno));
		goto fail;
	}
	for (size_t i = sizeof(TR_BLOB_MAGIC); i < TR_BLOB_KEY_LEN; i++)
		snprintf(hex + 2 * (i - sizeof(TR_BLOB_MAGIC)), 3, "%02x", b->key[i]);
	snprintf(flush, sizeof(flush), "%u", COVER_BOOT_FLUSH_CALLS);
	/* one module: the rules, then the bootstrap that uses them */
	memcpy(src, py_cover_rules, rules);
	src[rules] = '\n';
	memcpy(src + rules + 1, py_cover_boot, boot + 1);
	ret = make_zip(src, rules + boot + 1, &zip, &zip_len, err, errlen);
	if (ret)
		goto fail;
	b->fd = memfd_create("tracer-coverage-bootstrap", MFD_CLOEXEC);
	if (b->fd < 0 || write(b->fd, zip, zip_len) != (ssize_t)zip_len) {
		ret = -errno;
		snprintf(err, errlen, "cannot hold the bootstrap in a memfd: %s", strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), b->fd);
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = 0;
	ret = -ENOMEM;
	if (orig && *orig ? asprintf(&pp, "%s:%s", path, orig) < 0 : !(pp = strdup(path)))
		goto fail;
	if (add_env(b, "PYTHONPATH", pp) || (orig && add_env(b, "TRACER_ORIG_PYTHONPATH", orig)) ||
	    add_env(b, "TRACER_COVER_CWD", cwd) || add_env(b, "TRACER_COVER_INCLUDE", inc) ||
	    add_env(b, "TRACER_COVER_OMIT", om) || add_env(b, "TRACER_COVER_KEY", hex) ||
	    (count_calls && add_env(b, "TRACER_COVER_CALLS", flush)))
		goto fail;
	free(pp);
	free(src);
	free(zip);
	free(inc);
	free(om);
	*out = b;
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(pp);
	free(src);
	free(zip);
	free(inc);
	free(om);
	cover_boot__close(b);
	return ret;
}

char *const *cover_boot__env(const struct cover_boot *b)
{
	return b->env;
}

const unsigned char *cover_boot__key(const struct cover_boot *b)
{
	return b->key;
}

bool cover_boot__counts_calls(const struct cover_boot *b)
{
	return b->count_calls;
}

/*
 * The interpreter's options come before the script, -c or -m; one argument
 * may group several letters (-IsS). -X, -W and --check-hash-based-pycs take
 * a value (attached or the next argument); -c and -m end the options too.
 */
bool cover_boot__argv_loads(const char *buf, size_t len, char *why, size_t n)
{
	if (!len || buf[len - 1])
		return true;	/* not a NUL-terminated argument list */
	/* skip argv[0] */
	for (size_t i = strlen(buf) + 1; i < len; i += strlen(buf + i) + 1) {
		const char *a = buf + i;

		if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
			return true;
		if (a[1] == '-') {
			if (!strcmp(a, "--check-hash-based-pycs"))
				i += strlen(buf + i) + 1;
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (strchr("IES", *c)) {
				snprintf(why, n, "python -%c ignores the bootstrap", *c);
				return false;
			}
			if (*c == 'c' || *c == 'm')
				return true;
			if (*c == 'X' || *c == 'W') {
				if (!c[1])
					i += strlen(buf + i) + 1;	/* the value is the next argument */
				break;
			}
		}
	}
	return true;
}

bool cover_boot__will_load(int pid, char *why, size_t n)
{
	char path[64], buf[8192];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return true;	/* it exited: nothing to predict */
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* a command line longer than the buffer: its end is cut at a NUL */
	while (len && buf[len - 1])
		len--;
	return cover_boot__argv_loads(buf, len, why, n);
}

void cover_boot__close(struct cover_boot *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	for (int i = 0; i < b->n_env; i++)
		free(b->env[i]);
	free(b);
}
