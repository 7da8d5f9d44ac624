/* SPDX-License-Identifier: MIT */
/* --c-calls on CPython 3.8-3.10, the eval strategy (see ccalls_eval.c). */
#ifndef TRACER_CAPTURE_CCALLS_EVAL_H
#define TRACER_CAPTURE_CCALLS_EVAL_H
#include <stddef.h>

struct target;

/* Plan --c-calls for T, a 3.8-3.10 target traced with the eval strategy:
 * T->ccalls, or -ENOTSUP and the reason in ERR (nothing traced then). */
int ccalls__plan_eval(struct target *t, char *err, size_t errlen);
/* one line for the user before tracing: the sites and their cost */
void ccalls__say_eval(const struct target *t);
#endif
