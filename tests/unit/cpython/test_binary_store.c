// SPDX-License-Identifier: MIT
/*
 * binary_store: analyses kept in root's cache. On a copy of pyenv 3.12's
 * libpython (dispatch, so the interpreter is asked for its opcodes): a
 * miss gives what binary__analyse gives, a hit the same again; a file
 * touched (even put back to its old mtime: the ctime moves) misses; an
 * entry whose opcode numbers are not what the interpreter prints now is
 * not used. Root only (the cache is root's); skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "sleeper.h"
#include "cpython/binary_store.h"
#include "os/root_cache.h"

/* B without the pointer (a string literal of one file or another) */
static void plain(struct binary *b)
{
	b->plan.unwind_from = NULL;
}

/* the only regular entry of DIR, its path into OUT: 0 or -1 */
static int only_entry(const char *dir, char *out, size_t n)
{
	char pat[300];
	glob_t g;
	int ret = -1;

	snprintf(pat, sizeof(pat), "%s/bin-*", dir);
	if (!glob(pat, 0, NULL, &g) && g.gl_pathc == 1) {
		snprintf(out, n, "%s", g.gl_pathv[0]);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

/* flip one opcode number in the entry at PATH, found by OPS's bytes */
static int forge_ops(const char *path, const struct py_opcodes *ops)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDWR), ret = -1;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	buf = malloc(st.st_size);
	if (buf && read(fd, buf, st.st_size) == st.st_size) {
		for (off_t i = 0; i + (off_t)sizeof(*ops) <= st.st_size; i++) {
			if (memcmp(buf + i, ops, sizeof(*ops)))
				continue;
			struct py_opcodes f = *ops;
			f.num[PY_OP_RETURN_VALUE] ^= 1;
			ret = pwrite(fd, &f, sizeof(f), i) == sizeof(f) ? 0 : -1;
			break;
		}
	}
	free(buf);
	close(fd);
	return ret;
}

TEST(binary_store_hit_miss_and_forged_entry)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char lib[600], py[600], copy[64] = "/tmp/tracer-unit-lib-XXXXXX", dir[64], cmd[800];
	char entry[400], err[384] = "";
	static struct binary b0, b1, b2;
	struct proc_creds creds;
	struct binary_req req = { .probe_calls = true };
	struct root_cache *c;
	struct stat st;
	bool hit = true;
	int fd;

	if (geteuid()) {
		printf("SKIP: not root\n");
		return;
	}
	snprintf(lib, sizeof(lib), "%s/versions/3.12.1/lib/libpython3.12.so.1.0", root);
	snprintf(py, sizeof(py), "%s/versions/3.12.1/bin/python3.12", root);
	if (access(lib, R_OK) || access(py, X_OK)) {
		printf("SKIP: pyenv 3.12.1 not present\n");
		return;
	}
	fd = mkstemp(copy);
	CHECK(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", lib, copy);
	CHECK_EQ(system(cmd), 0);
	snprintf(dir, sizeof(dir), "/tmp/tracer-unit-store-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ(root_cache__open(dir, &c), 0);
	req.path = copy;
	req.name = lib;
	req.runner_pid = start_sleeper(py);
	CHECK(req.runner_pid > 0);
	CHECK_EQ(proc_status__creds(req.runner_pid, &creds), 0);
	req.runner_creds = &creds;

	CHECK_EQ(binary__analyse(&req, &b0, err, sizeof(err)), 0);
	CHECK_EQ(b0.ds_ret, 0);
	CHECK(b0.ops_asked);
	/* a miss: analysed, kept */
	CHECK_EQ(binary_store__analyse(c, &req, &b1, &hit, err, sizeof(err)), 0);
	CHECK(!hit);
	CHECK_STR(b1.plan.unwind_from, b0.plan.unwind_from);
	plain(&b0);
	plain(&b1);
	CHECK(!memcmp(&b0, &b1, sizeof(b0)));
	CHECK_EQ(only_entry(dir, entry, sizeof(entry)), 0);
	/* a hit: the same analysis */
	CHECK_EQ(binary_store__analyse(c, &req, &b2, &hit, err, sizeof(err)), 0);
	CHECK(hit);
	CHECK_STR(b2.plan.unwind_from, "DWARF");
	plain(&b2);
	CHECK(!memcmp(&b1, &b2, sizeof(b1)));
	/* another request: not that entry */
	req.force = "dispatch";
	CHECK_EQ(binary_store__analyse(c, &req, &b2, &hit, err, sizeof(err)), 0);
	CHECK(!hit);
	req.force = NULL;
	/* the file touched and put back to its mtime: its ctime moved */
	CHECK_EQ(stat(copy, &st), 0);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	CHECK_EQ(utimensat(AT_FDCWD, copy, ts, 0), 0);
	CHECK_EQ(binary_store__analyse(c, &req, &b2, &hit, err, sizeof(err)), 0);
	CHECK(!hit);
	CHECK_EQ(binary_store__analyse(c, &req, &b2, &hit, err, sizeof(err)), 0);
	CHECK(hit);
	/* an entry with other opcode numbers than the interpreter prints */
	{
		char pat[300];
		glob_t g;

		snprintf(pat, sizeof(pat), "%s/bin-*", dir);
		CHECK_EQ(glob(pat, 0, NULL, &g), 0);
		for (size_t i = 0; i < g.gl_pathc; i++)
			CHECK_EQ(forge_ops(g.gl_pathv[i], &b0.ops), 0);
		globfree(&g);
	}
	CHECK_EQ(binary_store__analyse(c, &req, &b2, &hit, err, sizeof(err)), 0);
	CHECK(!hit);
	plain(&b2);
	CHECK(!memcmp(&b0, &b2, sizeof(b0)));
	/* no cache: analysed */
	CHECK_EQ(binary_store__analyse(NULL, &req, &b2, &hit, err, sizeof(err)), 0);
	CHECK(!hit);

	stop_sleeper(req.runner_pid);
	root_cache__close(c);
	unlink(copy);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}
