/* SPDX-License-Identifier: MIT */
/* The exiting frame's register at an exit site, following the paths into
 * its label back (see exit_preds.c). */
#ifndef TRACER_CPYTHON_EXIT_PREDS_H
#define TRACER_CPYTHON_EXIT_PREDS_H
#include <stddef.h>
#include <stdint.h>
#include "cpython/dispatch_internal.h"
#include "cpython/exit_reg.h"

/* exit_reg__find for the site SITE of the label ENTRY in code C, with what
 * every way into ENTRY leaves equal; INDIRECT: the targets of indirect
 * jumps (the handlers, the function's entry). 0 and OUT, -ENOENT, or
 * -ENOMEM. */
int exit_preds__find(const struct code *c, const uint64_t *indirect, size_t n_indirect,
		     uint64_t entry, uint64_t site, int frame_back, struct exit_reg *out);
#endif
