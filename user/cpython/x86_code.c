// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cpython/x86_code.h"
#include "os/elf_file.h"

int x86_code__init(struct x86_code *c, struct elf_file *ef, size_t elem,
		   x86_code_describe describe)
{
	memset(c, 0, sizeof(*c));
	if (elem < sizeof(uint64_t))
		return -EINVAL;
	c->ef = ef;
	c->elem = elem;
	c->describe = describe;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &c->cs) != CS_ERR_OK)
		return -ENOMEM;
	cs_option(c->cs, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

static uint64_t addr_at(const struct x86_code *c, size_t i)
{
	uint64_t a;

	memcpy(&a, (const char *)c->v + i * c->elem, sizeof(a));
	return a;
}

int x86_code__read(struct x86_code *c, uint64_t start, uint64_t size)
{
	unsigned char *buf;
	cs_insn *in;
	size_t cnt;
	int ret = 0;

	buf = elf_file__copy(c->ef, start, size, &ret);
	if (!buf)
		return ret;
	cnt = cs_disasm(c->cs, buf, size, start, 0, &in);
	if (!cnt) {
		free(buf);
		return -EINVAL;
	}
	if (c->n + cnt > c->cap) {
		void *v = realloc(c->v, (c->n + cnt) * c->elem);

		if (!v) {
			ret = -ENOMEM;
			goto out;
		}
		c->v = v;
		c->cap = c->n + cnt;
	}
	for (size_t i = 0; i < cnt; i++) {
		void *rec = (char *)c->v + c->n++ * c->elem;

		memset(rec, 0, c->elem);
		c->describe(c->cs, &in[i], rec);
	}
out:
	cs_free(in, cnt);
	free(buf);
	return ret;
}

static int cmp_addr(const void *a, const void *b)
{
	uint64_t x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x < y ? -1 : x > y;
}

void x86_code__sort(struct x86_code *c)
{
	if (c->n)
		qsort(c->v, c->n, c->elem, cmp_addr);
}

long x86_code__find(const struct x86_code *c, uint64_t addr)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t a = addr_at(c, mid);

		if (a == addr)
			return (long)mid;
		if (a < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void x86_code__free(struct x86_code *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
	if (c->cs)
		cs_close(&c->cs);
}
