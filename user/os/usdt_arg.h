/* SPDX-License-Identifier: MIT */
/*
 * The arguments of a SystemTap SDT probe on x86-64, as its note spells
 * them ("8@%rbp -4@%eax -4@112(%rsp) 4@$5"): each one's size (negative:
 * signed) and where its value is at the probe: a register of struct
 * pt_regs, memory at a register plus an offset, or a constant. Only the
 * forms GCC and clang emit for x86-64 (those libbpf's USDT support reads
 * too); anything else is refused, never guessed.
 */
#ifndef TRACER_USDT_ARG_H
#define TRACER_USDT_ARG_H
#include <stdint.h>

#define USDT_ARGS_MAX 12

enum usdt_arg_kind { USDT_ARG_CONST, USDT_ARG_REG, USDT_ARG_REG_DEREF };

struct usdt_arg {
	enum usdt_arg_kind kind;
	int size;		/* 1, 2, 4 or 8 bytes; negative when signed */
	int reg_off;		/* the register's offset in struct pt_regs (not CONST) */
	int64_t val;		/* CONST: the value; REG_DEREF: the offset from the register */
};

/* Parse ARGS (the note's argument string) into OUT: the count (0 for an
 * empty string), or -EINVAL for a form not understood or more than MAX. */
int usdt_arg__parse_all(const char *args, struct usdt_arg *out, int max);
#endif
