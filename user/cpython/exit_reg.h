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
#endif
