/* SPDX-License-Identifier: MIT */
/*
 * The eval strategy cannot tell greenlets apart (docs/greenlets.md): a
 * target traced with it that has greenlet's extension module mapped at the
 * start gets a warning, said before tracing and in every output with the
 * target's others. (Greenlet imported during the session: said at the end
 * by the analyzer, user/analysis/analyzer.c.)
 */
#ifndef TRACER_GREENLET_WATCH_H
#define TRACER_GREENLET_WATCH_H
#include <stdbool.h>

struct target;

/* does PID map greenlet's extension module? (_greenlet.*.so of greenlet
 * 1.0+, greenlet.*.so before) */
bool greenlet_watch__mapped(int pid);
/* T is traced with the eval strategy and maps greenlet's module: the
 * warning among T's (call it before the target's warnings are said) */
void greenlet_watch__check(struct target *t);
#endif
