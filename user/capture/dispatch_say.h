/* SPDX-License-Identifier: MIT */
/* -v: where the dispatch strategy's probes go, said before tracing (see
 * dispatch_say.c). */
#ifndef TRACER_DISPATCH_SAY_H
#define TRACER_DISPATCH_SAY_H
#include <stdio.h>
#include "capture/target.h"

/* T's probe sites to F when its strategy is dispatch (else nothing): a
 * header naming the file, one line per site of its plan, and the
 * evaluator's entry */
void dispatch_say__sites(FILE *f, const struct target *t);
#endif
