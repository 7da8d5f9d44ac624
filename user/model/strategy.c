// SPDX-License-Identifier: MIT
#include <stddef.h>
#include "model/strategy.h"
#include "tracer.h"

const char *strategy__name(uint32_t s)
{
	switch (s) {
	case TR_STRATEGY_USDT: return "usdt";
	case TR_STRATEGY_EVAL: return "eval";
	case TR_STRATEGY_DISPATCH: return "dispatch";
	default: return "none";
	}
}

const char *strategy__probes(uint32_t s)
{
	switch (s) {
	case TR_STRATEGY_USDT: return "USDT probes python:function__entry/function__return";
	case TR_STRATEGY_EVAL: return "uprobe + uretprobe on _PyEval_EvalFrameDefault";
	case TR_STRATEGY_DISPATCH: return "uprobes in the eval loop's RESUME/RETURN/YIELD "
					  "handlers and exit_unwind";
	default: return NULL;
	}
}

bool strategy__dispatch_before_usdt(uint32_t version_hex)
{
	return version_hex >> 24 == 3 && ((version_hex >> 16) & 0xff) >= 11;
}

const char strategy__eval_greenlet_warning[] =
	"eval: greenlet is loaded, and this strategy cannot tell greenlets apart (its returns "
	"carry no frame): a thread's greenlets share one stack, their calls nest in each "
	"other's, returns may show unmatched or inferred (docs/greenlets.md)";
