// SPDX-License-Identifier: MIT
/* The observer effect in the summary and in JSON metadata (observer.h). */
#include <stdlib.h>
#include "output/observer.h"
#include "util/text_escape.h"

/* the N functions of most total time: ids in *OUT (to free), their count */
static size_t top_funcs(const struct probe_share *ps, size_t n, uint32_t **out)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;

	*out = v;
	if (!v)
		return 0;
	/* insertion into a short sorted list: N is small */
	for (uint32_t id = 0; id < ps->n_funcs; id++) {
		const struct probe_share_func *f = &ps->funcs[id];
		size_t at = k;

		if (!f->calls || !f->total_ns)
			continue;
		while (at > 0 && ps->funcs[v[at - 1]].total_ns < f->total_ns)
			at--;
		if (at >= n)
			continue;
		for (size_t j = (k < n ? k : n - 1); j > at; j--)
			v[j] = v[j - 1];
		v[at] = id;
		if (k < n)
			k++;
	}
	return k;
}

void observer__subtracted(const struct probe_cost *pc, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	if (!pc->subtracted)
		return;
	snprintf(buf, len, "--subtract-probe-cost: times corrected: each probe hit's calibrated "
		 "cost taken out, %.2f us an entry, %.2f us a return, %.2f us more a return from "
		 "a single-stepped site (%llu such hits) (docs/observer-effect.md)",
		 probe_cost__entry_ns(pc) / 1e3, probe_cost__return_ns(pc) / 1e3,
		 (probe_cost__return_after_ns(pc, true) - probe_cost__return_after_ns(pc, false)) /
		 1e3, (unsigned long long)pc->slow_hits);
}

static double per_call_ns(const struct probe_cost *pc)
{
	return probe_cost__entry_ns(pc) + probe_cost__return_ns(pc);
}

void observer__print(FILE *f, const struct probe_share *ps, const struct probe_cost *pc,
		     const struct func_names *names)
{
	struct probe_share_thread *th = NULL;
	size_t n_th = 0, n;
	uint32_t *top;

	/* (-a, a recording older than format 9, or a failure: said) */
	if (!pc->measured) {
		fputs("\nobserver effect: not measured", f);
		if (pc->note[0]) {
			fputs(": ", f);
			text_escape__term(f, pc->note);
		}
		fputc('\n', f);
		return;
	}
	/* (the kind and the note may come from a recording: escaped) */
	fprintf(f, "\nobserver effect (docs/observer-effect.md): a call's probes cost %.2f us: "
		"entry %.2f us (trap %.2f calibrated + BPF %.2f measured), return %.2f us (",
		per_call_ns(pc) / 1e3, probe_cost__entry_ns(pc) / 1e3, pc->trap_entry_ns / 1e3,
		pc->bpf_entry_ns / 1e3, probe_cost__return_ns(pc) / 1e3);
	text_escape__term(f, pc->return_kind);
	fprintf(f, " trap %.2f + BPF %.2f); BPF runs %llu entries, %llu returns\n",
		pc->trap_return_ns / 1e3, pc->bpf_return_ns / 1e3,
		(unsigned long long)pc->bpf_entry_runs, (unsigned long long)pc->bpf_return_runs);
	if (pc->line_runs)
		fprintf(f, "  line probe: %llu hits, %.2f us each, %.1f ms in all (not in the "
			"shares below: they are lower bounds)\n", (unsigned long long)pc->line_runs,
			pc->line_ns / 1e3, pc->line_runs * pc->line_ns / 1e6);
	if (pc->subtracted)
		fprintf(f, "  SUBTRACTED (--subtract-probe-cost): the self and total times of the "
			"summary, .folded, .svg, .pprof and .speedscope.json are corrected: each "
			"entry %.2f us (%.2f before its timestamp, %.2f after), each return %.2f us "
			"(%.2f before, %.2f after), a return from a single-stepped site %.2f us more, "
			"after (%llu such hits, %d site(s)); not the .json/.pftrace timelines; the "
			"probe columns below are of the measured times\n",
			probe_cost__entry_ns(pc) / 1e3, probe_cost__entry_before_ns(pc) / 1e3,
			probe_cost__entry_after_ns(pc) / 1e3, probe_cost__return_ns(pc) / 1e3,
			probe_cost__return_before_ns(pc) / 1e3,
			probe_cost__return_after_ns(pc, false) / 1e3,
			(probe_cost__return_after_ns(pc, true) - probe_cost__return_after_ns(pc, false)) /
			1e3, (unsigned long long)pc->slow_hits, pc->slow_sites);
	if (pc->silent_hits)
		fprintf(f, "  evaluator entry probe (gen.throw): %llu hits, %.2f us each, %.1f ms in "
			"all, make no event: in no function's probe share%s\n",
			(unsigned long long)pc->silent_hits, pc->silent_ns / 1e3,
			pc->silent_hits * pc->silent_ns / 1e6,
			pc->subtracted ? ", NOT subtracted (each falls on the function calling "
					 "into the evaluator from C: on 3.11 a generator's consumer)" : "");
	if (pc->note[0]) {
		fputs("  note: ", f);
		text_escape__term(f, pc->note);
		fputc('\n', f);
	}
	if (!probe_share__threads(ps, &th, &n_th)) {
		for (size_t i = 0; i < n_th && i < OBSERVER_TOP_FUNCS; i++)
			fprintf(f, "  PID %u TID %u: %llu probe hits (%llu entries, %llu returns), "
				"%.1f ms of probes\n", th[i].pid, th[i].tid,
				(unsigned long long)(th[i].entries + th[i].returns),
				(unsigned long long)th[i].entries, (unsigned long long)th[i].returns,
				(th[i].entries * probe_cost__entry_ns(pc) +
				 th[i].returns * probe_cost__return_ns(pc)) / 1e6);
		if (n_th > OBSERVER_TOP_FUNCS)
			fprintf(f, "  ... %zu more threads\n", n_th - OBSERVER_TOP_FUNCS);
	}
	free(th);
	n = top_funcs(ps, OBSERVER_TOP_FUNCS, &top);
	if (n)
		fprintf(f, "  %7s %12s %12s %12s  %s\n", "probes", "probe hits", "probes (ms)",
			"total (ms)", "function (probe hits inside its calls x cost / its total)");
	for (size_t i = 0; i < n; i++) {
		const struct probe_share_func *pf = &ps->funcs[top[i]];
		const struct func_info *fi = func_names__get(names, top[i]);

		fprintf(f, "  %6.1f%% %12llu %12.3f %12.3f  ", 100 * probe_share__fraction(pf, pc),
			(unsigned long long)(pf->entries + pf->returns),
			probe_share__cost_ns(pf, pc) / 1e6, pf->total_ns / 1e6);
		if (fi)
			text_escape__term(f, fi->qualname);
		else
			fprintf(f, "<unknown function %u>", top[i]);
		fputc('\n', f);
	}
	free(top);
}

static void kv_num(struct json_writer *jw, const char *key, double v)
{
	json_writer__key(jw, key);
	json_writer__printf(jw, "%.1f,", v);
}

void observer__json(struct json_writer *jw, const struct probe_share *ps,
		    const struct probe_cost *pc, const struct func_names *names)
{
	struct probe_share_thread *th = NULL;
	size_t n_th = 0, n;
	uint32_t *top;

	json_writer__raw(jw, "\"observer_effect\":{");
	json_writer__printf(jw, "\"measured\":%s,", pc->measured ? "true" : "false");
	json_writer__key(jw, "note");
	json_writer__string(jw, pc->note);
	if (!pc->measured) {
		json_writer__raw(jw, "},");
		return;
	}
	json_writer__raw(jw, ",");
	kv_num(jw, "per_call_ns", per_call_ns(pc));
	kv_num(jw, "entry_ns", probe_cost__entry_ns(pc));
	kv_num(jw, "return_ns", probe_cost__return_ns(pc));
	kv_num(jw, "trap_entry_ns", pc->trap_entry_ns);
	kv_num(jw, "trap_return_ns", pc->trap_return_ns);
	kv_num(jw, "bpf_entry_ns", pc->bpf_entry_ns);
	kv_num(jw, "bpf_return_ns", pc->bpf_return_ns);
	json_writer__printf(jw, "\"bpf_entry_runs\":%llu,\"bpf_return_runs\":%llu,",
			    (unsigned long long)pc->bpf_entry_runs,
			    (unsigned long long)pc->bpf_return_runs);
	json_writer__printf(jw, "\"line_hits\":%llu,", (unsigned long long)pc->line_runs);
	kv_num(jw, "line_ns", pc->line_ns);
	json_writer__key(jw, "return_probe");
	json_writer__string(jw, pc->return_kind);
	/* --subtract-probe-cost corrects the aggregate outputs, never this
	 * timeline (user/analysis/probe_subtract.h) */
	json_writer__printf(jw, ",\"subtracted_from_aggregates\":%s,\"timeline_corrected\":false,",
			    pc->subtracted ? "true" : "false");
	kv_num(jw, "entry_before_ns", probe_cost__entry_before_ns(pc));
	kv_num(jw, "return_before_ns", probe_cost__return_before_ns(pc));
	kv_num(jw, "slow_extra_ns", pc->slow_extra_ns);
	json_writer__printf(jw, "\"slow_sites\":%d,\"slow_hits\":%llu,\"silent_hits\":%llu,",
			    pc->slow_sites, (unsigned long long)pc->slow_hits,
			    (unsigned long long)pc->silent_hits);
	json_writer__printf(jw, "\"silent_ns\":%.1f", pc->silent_ns);
	json_writer__raw(jw, ",\"threads\":[");
	if (!probe_share__threads(ps, &th, &n_th))
		for (size_t i = 0; i < n_th; i++)
			json_writer__printf(jw, "%s{\"pid\":%u,\"tid\":%u,\"entries\":%llu,"
					    "\"returns\":%llu}", i ? "," : "", th[i].pid, th[i].tid,
					    (unsigned long long)th[i].entries,
					    (unsigned long long)th[i].returns);
	free(th);
	json_writer__raw(jw, "],\"functions\":[");
	n = top_funcs(ps, OBSERVER_TOP_FUNCS_JSON, &top);
	for (size_t i = 0; i < n; i++) {
		const struct probe_share_func *pf = &ps->funcs[top[i]];
		const struct func_info *fi = func_names__get(names, top[i]);

		json_writer__raw(jw, i ? ",{\"name\":" : "{\"name\":");
		json_writer__string(jw, fi ? fi->qualname : NULL);
		json_writer__raw(jw, ",\"file\":");
		json_writer__string(jw, fi ? fi->file : NULL);
		json_writer__printf(jw, ",\"line\":%u,\"calls\":%llu,\"total_ns\":%llu,"
				    "\"entries\":%llu,\"returns\":%llu,\"probe_ns\":%.1f,"
				    "\"share\":%.6f}", fi ? fi->line : 0,
				    (unsigned long long)pf->calls, (unsigned long long)pf->total_ns,
				    (unsigned long long)pf->entries, (unsigned long long)pf->returns,
				    probe_share__cost_ns(pf, pc), probe_share__fraction(pf, pc));
	}
	free(top);
	json_writer__raw(jw, "]},");
}
