// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "os/usdt_arg.h"

/*
 * The general registers by every name an SDT argument may use (64, 32,
 * 16 and 8-bit), with their offset in the kernel's struct pt_regs
 * (arch/x86/include/asm/ptrace.h, x86-64; a stable ABI: BPF programs read
 * it). A narrower name reads the low part of the same register: the
 * argument's size says how much of the value is kept.
 */
static const struct {
	const char *names[4];
	int off;
} regs[] = {
	{ { "rax", "eax", "ax", "al" }, 80 },	{ { "rbx", "ebx", "bx", "bl" }, 40 },
	{ { "rcx", "ecx", "cx", "cl" }, 88 },	{ { "rdx", "edx", "dx", "dl" }, 96 },
	{ { "rsi", "esi", "si", "sil" }, 104 },	{ { "rdi", "edi", "di", "dil" }, 112 },
	{ { "rbp", "ebp", "bp", "bpl" }, 32 },	{ { "rsp", "esp", "sp", "spl" }, 152 },
	{ { "r8", "r8d", "r8w", "r8b" }, 72 },	{ { "r9", "r9d", "r9w", "r9b" }, 64 },
	{ { "r10", "r10d", "r10w", "r10b" }, 56 }, { { "r11", "r11d", "r11w", "r11b" }, 48 },
	{ { "r12", "r12d", "r12w", "r12b" }, 24 }, { { "r13", "r13d", "r13w", "r13b" }, 16 },
	{ { "r14", "r14d", "r14w", "r14b" }, 8 },	{ { "r15", "r15d", "r15w", "r15b" }, 0 },
	{ { "rip", "eip", NULL, NULL }, 128 },
};

static int reg_off(const char *name)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (int j = 0; j < 4; j++)
			if (regs[i].names[j] && !strcmp(regs[i].names[j], name))
				return regs[i].off;
	return -1;
}

/* one argument, S (no spaces) */
static int parse_one(const char *s, struct usdt_arg *a)
{
	char reg[16];
	long long v;
	int size, n = 0;

	memset(a, 0, sizeof(*a));
	if (sscanf(s, "%d@%n", &size, &n) != 1 || !n)
		return -EINVAL;
	if (size != 1 && size != 2 && size != 4 && size != 8 && size != -1 && size != -2 &&
	    size != -4 && size != -8)
		return -EINVAL;
	a->size = size;
	s += n;
	n = 0;
	if (sscanf(s, "$%lld%n", &v, &n) == 1 && n && !s[n]) {
		a->kind = USDT_ARG_CONST;
		a->val = v;
		return 0;
	}
	if (sscanf(s, "%%%15[a-z0-9]%n", reg, &n) == 1 && n && !s[n]) {
		a->kind = USDT_ARG_REG;
	} else if ((sscanf(s, "%lld(%%%15[a-z0-9])%n", &v, reg, &n) == 2 && n && !s[n]) ||
		   (v = 0, n = 0, sscanf(s, "(%%%15[a-z0-9])%n", reg, &n) == 1 && n && !s[n])) {
		a->kind = USDT_ARG_REG_DEREF;
		a->val = v;
	} else {
		return -EINVAL;
	}
	a->reg_off = reg_off(reg);
	return a->reg_off < 0 ? -EINVAL : 0;
}

int usdt_arg__parse_all(const char *args, struct usdt_arg *out, int max)
{
	char one[64];
	int n = 0;

	if (!args)
		return -EINVAL;
	while (*args) {
		size_t len;

		while (*args == ' ')
			args++;
		if (!*args)
			break;
		len = strcspn(args, " ");
		if (len >= sizeof(one) || n >= max)
			return -EINVAL;
		memcpy(one, args, len);
		one[len] = '\0';
		if (parse_one(one, &out[n]))
			return -EINVAL;
		n++;
		args += len;
	}
	return n;
}
