/* SPDX-License-Identifier: MIT */
/* Names of the probe strategies (enum tr_strategy), for every output. */
#ifndef TRACER_STRATEGY_H
#define TRACER_STRATEGY_H
#include <stdint.h>

/* "usdt", "eval", or "none" */
const char *strategy__name(uint32_t s);
/* what the strategy probes, e.g. "uprobe + uretprobe on _PyEval_EvalFrameDefault",
 * or NULL for an unknown strategy */
const char *strategy__probes(uint32_t s);
#endif
