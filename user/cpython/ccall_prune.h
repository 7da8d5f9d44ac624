/* SPDX-License-Identifier: MIT */
/* --c-calls: the start sites a call instruction needs (ccall_prune.c). */
#ifndef TRACER_CCALL_PRUNE_H
#define TRACER_CCALL_PRUNE_H
#include <stdint.h>
#include "cpython/ccall_sites.h"
#include "cpython/dispatch_internal.h"

/* Remove from PLAN the start sites of the family F's handlers that reach
 * no call ending a C call (IS_END, per instruction of C) without passing
 * another kept start site. SITE_OF: each member's site (instruction index);
 * OUTSIDE: code other instructions reach. 0 or -ENOMEM. */
int ccall_prune__starts(const struct code *c, const struct family *f, const uint8_t *outside,
			const uint8_t *is_end, const long *site_of, struct cc_plan *plan);
#endif
