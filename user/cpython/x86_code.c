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

size_t x86_code__each(csh cs, const unsigned char *buf, size_t size, uint64_t addr,
		      x86_code_visit visit, void *ctx)
{
	cs_insn *in = cs_malloc(cs);
	const uint8_t *code = buf;
	size_t n = 0;

	/* one instruction record reused: cs_disasm over a whole function
	 * allocates a detailed record per instruction (~1.7 KB each; tens
	 * of MB for an eval loop) */
	if (!in)
		return 0;
	while (size && cs_disasm_iter(cs, &code, &size, &addr, in)) {
		n++;
		if (visit(cs, in, ctx))
			break;
	}
	cs_free(in, 1);
	return n;
}

static int append_record(csh cs, const cs_insn *in, void *ctx)
{
	struct x86_code *c = ctx;
	void *rec;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		void *v = realloc(c->v, cap * c->elem);

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	rec = (char *)c->v + c->n++ * c->elem;
	memset(rec, 0, c->elem);
	c->describe(cs, in, rec);
	return 0;
}

int x86_code__read(struct x86_code *c, uint64_t start, uint64_t size)
{
	unsigned char *buf;
	size_t before = c->n, cnt;
	int ret = 0;

	buf = elf_file__copy(c->ef, start, size, &ret);
	if (!buf)
		return ret;
	cnt = x86_code__each(c->cs, buf, size, start, append_record, c);
	free(buf);
	if (!cnt)
		return -EINVAL;
	return c->n - before == cnt ? 0 : -ENOMEM;
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
