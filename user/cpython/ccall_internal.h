/* SPDX-License-Identifier: MIT */
/*
 * Internals of the C-call site planners shared by ccall_sites.c (3.11-3.14)
 * and ccall_sites_310.c (3.8-3.10): disassembly, the value stack register,
 * PLT names, the end site after a call, the family's own code; and by the
 * finder of a C call's result at its end sites (ccall_result.c).
 */
#ifndef TRACER_CPYTHON_CCALL_INTERNAL_H
#define TRACER_CPYTHON_CCALL_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpython/ccall_sites.h"
#include "cpython/dispatch_internal.h"

/* the 64-bit register R (or a part of it) as enum tr_reg, 0 if none of ours */
int tr_reg_of(x86_reg r);
/* the value stack pointer's register (enum tr_reg) from POP_TOP's handler, 0 */
int stack_reg(const struct code *c, uint64_t pop_top);
/* the function a direct call of T, a PLT stub, reaches: its name */
bool plt_name(const struct code *c, uint64_t t, char *name, size_t len);
/* the end site after the call at I, -1 if none */
long end_site(const struct code *c, const uint8_t *outside, size_t i, bool *emulated);
/* MARK what the family's entries reach through code only it reaches */
void reach_family(const struct code *c, const struct family *f, const uint8_t *outside,
		  uint8_t *mark, long *stack);
/* add the site at instruction S to V (once per address) */
int add_site(struct cc_site *v, int *n, int max, const struct code *c, long s, bool emulated,
	     const char *what, int *n_slow);
/* the end callees defined in the file itself (a non-PIE executable calls
 * them directly): name and address (0: not there) */
#define CC_MAX_CALLEES 8
struct cc_callees {
	int n;
	const char *name[CC_MAX_CALLEES];
	uint64_t addr[CC_MAX_CALLEES];
};
/* the end site SITE (an index of C) after the call at index CALL: where the
 * callee's result is there, as its BPF cookie (include/tracer.h,
 * TR_CCALL_RES_*), merged into END's (0 when two paths to it disagree).
 * The result's kind is the callee's where DIRECT or the PLT names it, else
 * REGION_KIND (TR_CCALL_RES_SSIZE, _INT, 0, or -1: unknown) */
void ccall_result__merge(const struct code *c, size_t call, size_t site, int64_t region_kind,
			 const struct cc_callees *direct, struct cc_site *end);
/* add the end site S (an index of C; -1: none, an error) after the call at
 * CALL to PLAN, with where its result is (ccall_result__merge): 0, or
 * -ENOTSUP with the reason in ERR */
int add_end_site(struct cc_plan *plan, const struct code *c, size_t call, long s,
		 bool emulated, int64_t region_kind, const struct cc_callees *direct, char *err,
		 size_t errlen);
#endif
