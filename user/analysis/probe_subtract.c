// SPDX-License-Identifier: MIT
/* The split of a probe hit's cost around its timestamp (probe_subtract.h). */
#include "analysis/probe_subtract.h"

void probe_subtract__set(struct probe_split *sp, const struct probe_cost *pc)
{
	*sp = (struct probe_split){ .on = pc->subtracted };
	if (!sp->on)
		return;
	sp->entry_before = probe_cost__entry_before_ns(pc);
	sp->entry_after = probe_cost__entry_after_ns(pc);
	sp->return_before = probe_cost__return_before_ns(pc);
	sp->return_after = probe_cost__return_after_ns(pc, false);
	sp->slow_after = probe_cost__return_after_ns(pc, true) - sp->return_after;
}
