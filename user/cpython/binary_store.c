// SPDX-License-Identifier: MIT
/* Interpreter file analyses kept on disk (see binary_store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cpython/binary_store.h"
#include "cpython/py_opcodes.h"
#include "os/dwarf_file.h"
#include "os/elf_file.h"
#include "os/root_cache.h"

#define STORE_MAGIC "tracer-binary-1"

struct ident {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
};

/* zeroed before it is filled: compared and hashed as bytes */
struct store_key {
	char magic[16];
	uint32_t binary_size;	/* sizeof(struct binary) */
	uint32_t build_id_len;
	struct ident self, file;
	unsigned char build_id[64];
	uint8_t probe_calls;
	char force[23];
	char name[512];
};

enum { FROM_NONE, FROM_DWARF, FROM_CODE };

struct store_entry {
	struct store_key key;
	uint32_t unwind_from;	/* FROM_*: plan.unwind_from, a pointer in B */
	struct binary b;
};

static void ident_of(const struct stat *st, struct ident *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime_s = st->st_mtim.tv_sec;
	id->mtime_ns = st->st_mtim.tv_nsec;
	id->ctime_s = st->st_ctim.tv_sec;
	id->ctime_ns = st->st_ctim.tv_nsec;
}

/* 0, or -1 when the request has no key (a name or force too long) */
static int make_key(const struct binary_req *req, int fd, struct store_key *k)
{
	struct stat st;
	int n;

	memset(k, 0, sizeof(*k));
	memcpy(k->magic, STORE_MAGIC, sizeof(STORE_MAGIC));
	k->binary_size = sizeof(struct binary);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -1;
	ident_of(&st, &k->file);
	if (stat("/proc/self/exe", &st))
		return -1;
	ident_of(&st, &k->self);
	n = elf_file__build_id_of_fd(fd, k->build_id, sizeof(k->build_id));
	k->build_id_len = n > 0 ? (uint32_t)n : 0;
	k->probe_calls = req->probe_calls;
	if ((req->force && strlen(req->force) >= sizeof(k->force)) ||
	    strlen(req->name) >= sizeof(k->name))
		return -1;
	if (req->force)
		strcpy(k->force, req->force);
	strcpy(k->name, req->name);
	return 0;
}

/* FNV-1a, twice with two bases: the entry's file name (the whole key is
 * in the entry and compared) */
static void key_name(const struct store_key *k, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;

	for (size_t i = 0; i < sizeof(*k); i++) {
		h1 = (h1 ^ p[i]) * 0x100000001b3ull;
		h2 = (h2 ^ p[i]) * 0x100000001b3ull;
	}
	snprintf(out, len, "bin-%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

/* B from the entry of K, asking the interpreter for its opcode numbers
 * again where the entry used them: 0, or -1 (no good entry) */
static int load(struct root_cache *c, const struct binary_req *req, const struct store_key *k,
		const char *name, struct binary *b)
{
	struct store_entry *e;
	struct py_opcodes ops;
	char why[384];
	void *data;
	size_t len;
	int ret = -1;

	if (root_cache__get(c, name, &data, &len, sizeof(*e)))
		return -1;
	e = data;
	if (len != sizeof(*e) || memcmp(&e->key, k, sizeof(*k)) || e->unwind_from > FROM_CODE)
		goto out;
	if (e->b.ops_asked &&
	    (py_opcodes__query(req->runner_pid, req->runner_creds, &ops, why, sizeof(why)) ||
	     memcmp(&ops, &e->b.ops, sizeof(ops))))
		goto out;
	*b = e->b;
	b->plan.unwind_from = e->unwind_from == FROM_DWARF ? "DWARF" :
			      e->unwind_from == FROM_CODE ? "code analysis" : NULL;
	ret = 0;
out:
	free(data);
	return ret;
}

static void save(struct root_cache *c, const struct binary_req *req, const struct store_key *k,
		 const char *name, const struct binary *b)
{
	struct store_entry *e;
	struct stat st;
	struct ident now;

	/* the analysis opened the file again by its path: it must still be
	 * the file of the key */
	if (stat(req->path, &st))
		return;
	ident_of(&st, &now);
	if (memcmp(&now, &k->file, sizeof(now)))
		return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->key = *k;
	e->b = *b;
	e->b.plan.unwind_from = NULL;
	e->unwind_from = !b->plan.unwind_from ? FROM_NONE :
			 !strcmp(b->plan.unwind_from, "DWARF") ? FROM_DWARF : FROM_CODE;
	root_cache__put(c, name, e, sizeof(*e));	/* (no cache: no error) */
	free(e);
}

int binary_store__analyse(struct root_cache *c, const struct binary_req *req, struct binary *b,
			  bool *hit, char *err, size_t errlen)
{
	struct store_key *k = NULL;
	unsigned long refused;
	char name[64];
	int fd = -1, ret;

	*hit = false;
	if (c) {
		fd = open(req->path, O_RDONLY | O_CLOEXEC);
		k = malloc(sizeof(*k));
	}
	if (!c || fd < 0 || !k || make_key(req, fd, k)) {
		free(k);
		k = NULL;
	} else {
		key_name(k, name, sizeof(name));
		if (!load(c, req, k, name, b)) {
			*hit = true;
			ret = 0;
			goto out;
		}
	}
	refused = dwarf_file__refusals();
	ret = binary__analyse(req, b, err, errlen);
	/* a refused debug file is said while the file is analysed: an
	 * analysis that refused one is made again, and says it again */
	if (!ret && k && (!b->ds_tried || !b->ds_ret) && dwarf_file__refusals() == refused)
		save(c, req, k, name, b);
out:
	if (fd >= 0)
		close(fd);
	free(k);
	return ret;
}
