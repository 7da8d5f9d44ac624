/* SPDX-License-Identifier: MIT */
/* --c-calls in a -p / launch session: planned for a target, attached with
 * its call probes (user/capture/probes.c), its lost ends read at the end. */
#ifndef TRACER_CAPTURE_CCALLS_H
#define TRACER_CAPTURE_CCALLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpython/ccall_sites.h"
#include "cpython/ccall_sites_310.h"
#include "model/model.h"
#include "tracer.h"

struct target;
struct tracer_bpf;

struct ccalls {
	struct cc_plan plan;
	uint64_t start_off[CC_MAX_STARTS];	/* file offsets of the sites */
	uint64_t end_off[CC_MAX_ENDS];
	struct tr_ccall_cfg cfg;		/* for the BPF map ccall_cfgs */
	/* 3.8-3.10, the eval strategy (user/cpython/ccall_sites_310.c): the
	 * start sites' program is ccall_eval_start, with these cookies; C
	 * calls end at the returns of the functions at RET_OFF too (uretprobes
	 * of ccall_eval_ret) */
	bool eval;
	uint64_t start_cookie[CC_MAX_STARTS];
	uint64_t ret_off[CC310_MAX_RETS];
	int n_rets;
};

/* what --c-calls supports, for the messages that refuse it */
#define CCALLS_SUPPORTED "the dispatch strategy on CPython 3.11 to 3.14 (stripped builds " \
			 "too), the eval strategy on 3.8 to 3.10 (with symbols), with -p PID or -- CMD"

/* Plan --c-calls for T (inspected, with a call strategy): T->ccalls, or
 * -ENOTSUP and the reason in ERR when T's interpreter or strategy is not
 * supported (nothing has been traced then). */
int ccalls__plan(struct target *t, char *err, size_t errlen);
void ccalls__free(struct target *t);
/* the file offsets of CC's planned sites (ELF: its file), into CC: 0, or
 * -ENOTSUP with the reason in ERR */
struct elf_file;
int ccalls__site_offsets(struct elf_file *ef, struct ccalls *cc, char *err, size_t errlen);
/* one line for the user before tracing: the sites and their cost */
void ccalls__say(const struct target *t);
/* after the stop: C calls whose end was not seen, as a warning into END */
void ccalls__end(const struct target *t, struct tracer_bpf *skel, struct in_end *end);
#endif
