// SPDX-License-Identifier: MIT
/*
 * What libbpf does for a USDT attachment, done for a uprobe_multi link.
 * usdt.bpf.h finds a hit's argument spec by its BPF cookie (the kernel
 * has cookies: LINUX_HAS_BPF_COOKIE) in the array __bpf_usdt_specs: so
 * each site gets a spec id, its spec written there before the link is
 * made, and the id as its cookie. The spec's layout is usdt.bpf.h's
 * (struct __bpf_usdt_spec, libbpf 1.1): mirrored below and checked
 * against the map's value size. The arguments are parsed by
 * os/usdt_arg.c, the notes read by os/elf_file.c (prelink-corrected), and
 * the semaphore's file offset is given to the kernel (ref_ctr_offsets),
 * which raises it in each process the link applies to, as it does for
 * libbpf's perf uprobes.
 *
 * Spec ids are the tracer's own (one BPF object per run): a bitmap,
 * since a system-wide session attaches and detaches files as processes
 * come and go.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/uprobe_multi.h"
#include "capture/usdt_multi.h"
#include "os/elf_file.h"
#include "os/usdt_arg.h"
#include "util/array.h"

/* usdt.bpf.h's, libbpf 1.1 */
#define SPECS_MAX 256
struct arg_spec {
	uint64_t val_off;
	int arg_type;		/* enum __bpf_usdt_arg_type: CONST, REG, REG_DEREF */
	short reg_off;
	bool arg_signed;
	char arg_bitshift;
};
struct spec {
	struct arg_spec args[USDT_ARGS_MAX];
	uint64_t usdt_cookie;
	short arg_cnt;
};

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ids_used[SPECS_MAX / 64];

static int id_take(void)
{
	int id = -ENOSPC;

	pthread_mutex_lock(&ids_lock);
	for (int i = 0; i < SPECS_MAX; i++) {
		if (!(ids_used[i / 64] & (1ull << (i % 64)))) {
			ids_used[i / 64] |= 1ull << (i % 64);
			id = i;
			break;
		}
	}
	pthread_mutex_unlock(&ids_lock);
	return id;
}

void usdt_multi__release(const int *ids, size_t n)
{
	pthread_mutex_lock(&ids_lock);
	for (size_t i = 0; i < n; i++)
		if (ids[i] >= 0 && ids[i] < SPECS_MAX)
			ids_used[ids[i] / 64] &= ~(1ull << (ids[i] % 64));
	pthread_mutex_unlock(&ids_lock);
}

/* the sites of one probe, as the notes say */
struct sites {
	struct elf_file *ef;
	const char *provider, *name;
	size_t n, cap;
	uint64_t *off, *ref;	/* file offsets: the site, its semaphore (0: none) */
	struct spec *specs;
	size_t cap_ref, cap_spec;
	uint64_t cookie;	/* each spec's usdt cookie */
	int err;
};

static int build_spec(const char *args, uint64_t cookie, struct spec *s)
{
	struct usdt_arg a[USDT_ARGS_MAX];
	int n = usdt_arg__parse_all(args, a, USDT_ARGS_MAX);

	if (n < 0)
		return n;
	memset(s, 0, sizeof(*s));
	s->usdt_cookie = cookie;
	s->arg_cnt = n;
	for (int i = 0; i < n; i++) {
		int bytes = a[i].size < 0 ? -a[i].size : a[i].size;

		s->args[i].arg_type = a[i].kind == USDT_ARG_CONST ? 0
				    : a[i].kind == USDT_ARG_REG ? 1 : 2;
		s->args[i].val_off = (uint64_t)a[i].val;
		s->args[i].reg_off = a[i].kind == USDT_ARG_CONST ? 0 : a[i].reg_off;
		s->args[i].arg_signed = a[i].size < 0;
		s->args[i].arg_bitshift = 64 - 8 * bytes;
	}
	return 0;
}

static int add_site(const struct usdt_note *n, void *ctx)
{
	struct sites *s = ctx;
	uint64_t off, ref = 0;
	size_t i = s->n;

	if (strcmp(n->provider, s->provider) || strcmp(n->name, s->name))
		return 0;
	if (elf_file__vaddr_to_offset(s->ef, n->pc, &off) ||
	    (n->sema && elf_file__vaddr_to_offset(s->ef, n->sema, &ref)))
		return s->err = -ENOENT, 1;
	if (array__grow((void **)&s->off, &s->cap, i, sizeof(*s->off)) ||
	    array__grow((void **)&s->ref, &s->cap_ref, i, sizeof(*s->ref)) ||
	    array__grow((void **)&s->specs, &s->cap_spec, i, sizeof(*s->specs)))
		return s->err = -ENOMEM, 1;
	if ((s->err = build_spec(n->args, s->cookie, &s->specs[i])))
		return 1;
	s->off[i] = off;
	s->ref[i] = ref;
	s->n++;
	return 0;
}

int usdt_multi__attach(struct bpf_program *prog, struct bpf_map *specs, const char *path,
		       const char *provider, const char *name, uint64_t cookie, int pid,
		       size_t *sites, int **ids, size_t *n_ids, size_t *cap_ids)
{
	struct sites s = { .provider = provider, .name = name, .cookie = cookie };
	uint64_t *cookies = NULL;
	size_t base = *n_ids;
	int ret, fd = -1;

	if (bpf_map__value_size(specs) != sizeof(struct spec) ||
	    bpf_map__max_entries(specs) < SPECS_MAX)
		return -EINVAL;	/* another usdt.bpf.h than the one mirrored */
	if (!(s.ef = elf_file__open(path)))
		return -errno ? -errno : -ENOENT;
	ret = elf_file__each_usdt(s.ef, add_site, &s);
	elf_file__close(s.ef);
	if (ret < 0 || s.err || !s.n) {
		ret = s.err ? s.err : ret < 0 ? ret : -ENOENT;
		goto out;
	}
	if (!(cookies = calloc(s.n, sizeof(*cookies))) ||
	    array__grow((void **)ids, cap_ids, base + s.n - 1, sizeof(**ids))) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		int id = id_take();

		if (id < 0) {
			ret = id;
			goto out;
		}
		(*ids)[(*n_ids)++] = id;
		cookies[i] = (uint64_t)id;
		ret = bpf_map__update_elem(specs, &id, sizeof(id), &s.specs[i], sizeof(s.specs[i]),
					   BPF_ANY);
		if (ret)
			goto out;
	}
	fd = uprobe_multi__attach(bpf_program__fd(prog), path, s.off, s.ref, cookies, s.n, false,
				  pid);
	ret = fd < 0 ? fd : 0;
	if (!ret)
		*sites = s.n;
out:
	if (ret) {
		usdt_multi__release(*ids + base, *n_ids - base);
		*n_ids = base;
	}
	free(cookies);
	free(s.off);
	free(s.ref);
	free(s.specs);
	return ret ? ret : fd;
}
