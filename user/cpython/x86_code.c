// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cpython/x86_code.h"
#include "os/elf_file.h"

/* The kernel's x86_nops (arch/x86/kernel/alternative.c), which uprobes
 * emulate (arch/x86/kernel/uprobes.c, branch_setup_xol_ops). */
static const unsigned char nops[][9] = {
	{ 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 }, { 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 }, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

/*
 * Does the kernel emulate this instruction instead of single-stepping it?
 * The rules of arch/x86/kernel/uprobes.c: branch_setup_xol_ops (call rel32,
 * jmp rel8/rel32, jcc rel8/rel32 without a 0x66 prefix; prefix* + 0x90;
 * the x86_nops) and push_setup_xol_ops (push r64, alone or with REX 0x41).
 */
bool x86_code__kernel_emulates(const unsigned char *b, size_t len)
{
	size_t i = 0;
	bool p66 = false, rex = false;

	if (len >= 1 && len <= 9 && !memcmp(b, nops[len - 1], len))
		return true;
	while (i < len && (b[i] == 0xf0 || b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x2e ||
			   b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x64 ||
			   b[i] == 0x65 || b[i] == 0x66 || b[i] == 0x67)) {
		p66 |= b[i] == 0x66;
		i++;
	}
	if (i < len && (b[i] & 0xf0) == 0x40) {
		rex = true;
		i++;
	}
	if (i >= len)
		return false;
	if (b[i] == 0x90 && !rex)
		return true;
	if (b[i] >= 0x50 && b[i] <= 0x57)
		return len == 1 || (len == 2 && b[0] == 0x41);
	if (p66)
		return false;
	if (b[i] == 0xe8 || b[i] == 0xe9 || b[i] == 0xeb || (b[i] >= 0x70 && b[i] <= 0x7f))
		return true;
	return b[i] == 0x0f && i + 1 < len && b[i + 1] >= 0x80 && b[i + 1] <= 0x8f;
}

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

int x86_code__gpr(x86_reg r, int *bits)
{
	static const x86_reg names[16][5] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
		{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL, X86_REG_INVALID },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL, X86_REG_INVALID },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, X86_REG_INVALID },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, X86_REG_INVALID },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, X86_REG_INVALID },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, X86_REG_INVALID },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, X86_REG_INVALID },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, X86_REG_INVALID },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, X86_REG_INVALID },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, X86_REG_INVALID },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, X86_REG_INVALID },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, X86_REG_INVALID },
	};
	static const int width[5] = { 64, 32, 16, 8, 8 };

	if (r == X86_REG_INVALID)
		return -1;
	for (int i = 0; i < 16; i++)
		for (int k = 0; k < 5; k++)
			if (names[i][k] == r) {
				if (bits)
					*bits = width[k];
				return i;
			}
	return -1;
}
