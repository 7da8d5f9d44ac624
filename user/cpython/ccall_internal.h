/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the planner of the C-call sites (ccall_sites.c) and
 * the finder of a C call's result at its end sites (ccall_result.c).
 */
#ifndef TRACER_CPYTHON_CCALL_INTERNAL_H
#define TRACER_CPYTHON_CCALL_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpython/ccall_sites.h"
#include "cpython/dispatch_internal.h"

/* disassemble LEN bytes at ADDR (caller frees *IN with cs_free) */
size_t disasm_at(const struct code *c, uint64_t addr, size_t len, cs_insn **in);
/* the function a direct call of T, a PLT stub, reaches: its name into NAME */
bool plt_name(const struct code *c, uint64_t t, char *name, size_t len);
/* the end site SITE (an index of C) after the call at index CALL: where the
 * callee's result is there, as its BPF cookie (include/tracer.h,
 * TR_CCALL_RES_*), merged into END's (0 when two paths to it disagree) */
void ccall_result__merge(const struct code *c, size_t call, size_t site, struct cc_site *end);
#endif
