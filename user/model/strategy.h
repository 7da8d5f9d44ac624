/* SPDX-License-Identifier: MIT */
/* Names of the probe strategies (enum tr_strategy), for every output. */
#ifndef TRACER_STRATEGY_H
#define TRACER_STRATEGY_H
#include <stdbool.h>
#include <stdint.h>

/* "usdt", "eval", or "none" */
const char *strategy__name(uint32_t s);
/* Is dispatch taken before USDT on a build that has both (CPython
 * VERSION_HEX)? On 3.11 the USDT entry probe fires only with the `line`
 * probe on (CPython issue 98894): dispatch costs a fraction of that per
 * call (make bench, "Debian 3.11: dispatch against USDT"). */
bool strategy__dispatch_before_usdt(uint32_t version_hex);
/* what the strategy probes, e.g. "uprobe + uretprobe on _PyEval_EvalFrameDefault",
 * or NULL for an unknown strategy */
const char *strategy__probes(uint32_t s);
/* said when the eval strategy traces a process that has greenlet loaded
 * (user/capture/greenlet_watch.c at the start, user/analysis/analyzer.c
 * when greenlet is imported during the session): < 256 bytes */
extern const char strategy__eval_greenlet_warning[];
#endif
