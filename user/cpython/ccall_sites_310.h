/* SPDX-License-Identifier: MIT */
/* Where --c-calls probes CPython 3.8's to 3.10's eval loop (see ccall_sites_310.c). */
#ifndef TRACER_CCALL_SITES_310_H
#define TRACER_CCALL_SITES_310_H
#include <stdbool.h>
#include <stdint.h>
#include "cpython/ccall_sites.h"
#include "os/elf_file.h"

#define CC310_MAX_RETS 3

/* Plan the C-call sites of the ELF file PATH (open as EF), a CPython 3.8,
 * 3.9 or 3.10 (UNITS: f_lasti counts code units, 3.10): COOKIES[i] is the
 * BPF cookie of start site i (TR_CCALL_EVAL_COOKIE); RETS[0..*N_RETS) the
 * functions whose returns end C calls too (uretprobes: after their calls
 * no site is both cheap and hit once). 0, or -errno with a one-line reason
 * in ERR. */
int ccall_sites_310__plan(struct elf_file *ef, const char *path, bool units,
			  struct cc_plan *plan, uint64_t cookies[CC_MAX_STARTS],
			  uint64_t rets[CC310_MAX_RETS], int *n_rets, char *err, size_t errlen);
#endif
