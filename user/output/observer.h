/* SPDX-License-Identifier: MIT */
/*
 * The observer effect as the outputs say it (docs/observer-effect.md):
 * what a probe hit cost in the session, the hits per thread, and per hot
 * function the share of its total time that is probe cost
 * (user/analysis/probe_share.h).
 */
#ifndef TRACER_OUTPUT_OBSERVER_H
#define TRACER_OUTPUT_OBSERVER_H
#include <stdio.h>
#include "model/func_names.h"
#include "analysis/probe_share.h"
#include "util/json_writer.h"

/* functions listed (by total time) */
#define OBSERVER_TOP_FUNCS 10
#define OBSERVER_TOP_FUNCS_JSON 50

/* the summary's paragraph (one line when the session measured no cost) */
void observer__print(FILE *f, const struct probe_share *ps, const struct probe_cost *pc,
		     const struct func_names *names);
/* --subtract-probe-cost: one line saying the times are corrected and by
 * how much per hit, into BUF (LEN bytes); "" when PC was not subtracted */
void observer__subtracted(const struct probe_cost *pc, char *buf, size_t len);
/* "observer_effect":{...}, (with its comma; nothing when not measured) */
void observer__json(struct json_writer *jw, const struct probe_share *ps,
		    const struct probe_cost *pc, const struct func_names *names);
#endif
