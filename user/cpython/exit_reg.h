/* SPDX-License-Identifier: MIT */
/* Which register holds the exiting frame at an exit site after the frame
 * switch (see exit_reg.c). */
#ifndef TRACER_CPYTHON_EXIT_REG_H
#define TRACER_CPYTHON_EXIT_REG_H
#include <stdbool.h>
#include <stdint.h>
#include <capstone/capstone.h>

struct elf_file;

struct exit_reg {
	int reg;		/* x86 encoding number: rax 0 ... rsi 6, rdi 7, r8 8 ... */
	bool cleared;		/* the frame's `previous` is already NULL there */
	const char *rule;	/* how it was found (exit_reg.c's rules) */
};

/* For the emulated instruction at SITE, reached from ENTRY by straight-line
 * code that switches frames (FRAME_BACK: offset of a frame's `previous`):
 * 0 and OUT, or -ENOENT when no register is known to hold the frame. CS is
 * a capstone handle with details on. */
int exit_reg__find(struct elf_file *ef, csh cs, uint64_t entry, uint64_t site, int frame_back,
		   struct exit_reg *out);

/* Registers known to hold one value on entry to a place: same[g] is the
 * lowest-numbered register equal to register g there (g: none known). */
struct exit_reg_eq {
	int8_t same[16];
};

void exit_reg__eq_none(struct exit_reg_eq *eq);
/* Meet EQ with the equalities at the end of the straight-line code
 * [FROM, TO) (FIRST: EQ holds nothing yet): on every path seen so far,
 * which registers are equal. 0, or -ENOENT when [FROM, TO) is not one run
 * of instructions (or too long). */
int exit_reg__eq_meet(struct elf_file *ef, csh cs, uint64_t from, uint64_t to,
		      struct exit_reg_eq *eq, bool first);
/* exit_reg__find, knowing that the registers EQ says are equal at ENTRY
 * (NULL: none) */
int exit_reg__find_eq(struct elf_file *ef, csh cs, uint64_t entry, uint64_t site, int frame_back,
		      const struct exit_reg_eq *eq, struct exit_reg *out);
#endif
