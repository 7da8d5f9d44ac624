// SPDX-License-Identifier: MIT
/*
 * tracer report RECORDING.trace... [-o FILE]...: replay recordings into
 * outputs. Several recordings are read one after the other into the same
 * outputs (a process per recording keeps its own identity; coverage maps
 * merge); their end records are summed into one.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/commands.h"
#include "util/hashmap.h"
#include "output/outputs.h"
#include "output/sinks.h"
#include "record/recording.h"

#define REPORT_MAX_INPUTS 64

struct report_opts {
	const char *inputs[REPORT_MAX_INPUTS];
	int n_inputs;
	const char *outputs[OUTPUTS_MAX];
	int n_outputs;
	struct outputs_cfg cfg;		/* --coverage, --fail-under */
	int sort, top;		/* --sort, --top: the summary's table */
};

enum { OPT_COVERAGE = 0x100, OPT_FAIL_UNDER, REPORT_OPT_SORT, REPORT_OPT_TOP };

static const char report_doc[] =
"Convert a recording made with `tracer -o NAME.trace` into other outputs, with\n"
"the same results a direct run gives. Without -o, print the summary. Several\n"
"recordings go into the same outputs: coverage maps are merged (lines run in\n"
"any, calls summed); timelines show each recording's processes.\n"
"\n"
"EXAMPLES:\n"
"  tracer report run.trace                 # summary\n"
"  tracer report run.trace -o run.json     # Chrome/Perfetto timeline\n"
"  tracer report a.trace b.trace -o all.lcov  # one coverage map of both runs\n"
"  tracer report run.trace --coverage --fail-under=80  # CI: report, exit 2 below 80%\n"
"\n"
"OPTIONS:";

static const struct argp_option report_options[] = {
	{ "output", 'o', "FILE", 0, "Write FILE (format by suffix; repeatable)", 0 },
	{ "coverage", OPT_COVERAGE, NULL, 0, "Print the coverage report (as coverage.py's report -m: statements, missed, percent, missing lines per file) on stdout, instead of the summary", 0 },
	{ "fail-under", OPT_FAIL_UNDER, "PCT", 0, "Exit with status 2 when the coverage total is lower than PCT percent (needs a coverage output or --coverage)", 0 },
	{ "sort", REPORT_OPT_SORT, "KEY", 0, "The summary's table by KEY: self, total or calls (default: total)", 0 },
	{ "top", REPORT_OPT_TOP, "N", 0, "The summary's table: N functions (default 50; 0: all)", 0 },
	{},
};

static error_t report_parse(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;

	switch (key) {
	case 'o':
		if (o->n_outputs == OUTPUTS_MAX)
			argp_error(state, "too many -o");
		o->outputs[o->n_outputs++] = arg;
		break;
	case OPT_COVERAGE:
		o->cfg.coverage_report = true;
		break;
	case OPT_FAIL_UNDER:
		if (outputs__parse_fail_under(arg, &o->cfg.fail_under))
			argp_error(state, "--fail-under: not a percent from 0 to 100: %s", arg);
		o->cfg.fail_under_set = true;
		break;
	case REPORT_OPT_SORT:
		if ((o->sort = summary__parse_sort(arg)) < 0)
			argp_error(state, "--sort: self, total or calls, not %s", arg);
		break;
	case REPORT_OPT_TOP: {
		char *end;
		long n;

		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || n < 0 || n > 1000000)
			argp_error(state, "--top: a number of functions (0: all), not %s", arg);
		o->top = n;
		break;
	}
	case ARGP_KEY_ARG:
		if (o->n_inputs == REPORT_MAX_INPUTS)
			argp_error(state, "too many recordings (at most %d)", REPORT_MAX_INPUTS);
		o->inputs[o->n_inputs++] = arg;
		break;
	case ARGP_KEY_END:
		if (!o->n_inputs)
			argp_error(state, "which recording? (tracer report RECORDING.trace)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* the warnings of a recording's end record (a jitdump refused...), said by
 * the outputs as a live session says them; the same line from several
 * recordings once, and past IN_MAX_WARNINGS a last line says so */
static void end_add_warnings(struct in_end *end, const struct in_end *rec)
{
	for (uint32_t i = 0; i < rec->n_warnings && i < IN_MAX_WARNINGS; i++) {
		bool seen = false;

		for (uint32_t j = 0; j < end->n_warnings && !seen; j++)
			seen = !strcmp(end->warnings[j], rec->warnings[i]);
		if (seen)
			continue;
		if (end->n_warnings == IN_MAX_WARNINGS - 1) {
			snprintf(end->warnings[end->n_warnings++], sizeof(end->warnings[0]),
				 "more warnings in the recordings than can be listed here");
			return;
		}
		if (end->n_warnings >= IN_MAX_WARNINGS)
			return;
		snprintf(end->warnings[end->n_warnings++], sizeof(end->warnings[0]), "%s",
			 rec->warnings[i]);
	}
}

/*
 * Feed recording number NTH (from 1) to OUT; its end record is added to
 * *END. PIDS: pid -> the recording that has it. Returns 0, or 2 when it was
 * cut short or corrupt (said on stderr; what came before is used).
 */
static int replay(const char *path, uintptr_t nth, struct rec_record *r, struct outputs *out,
		  struct in_end *end, struct hashmap *pids)
{
	char why[PATH_MAX + 128];
	struct rec_reader *rd = rec_reader__open_why(path, why, sizeof(why));
	bool have_end = false;
	int ret;

	if (!rd) {
		fprintf(stderr, "tracer: %s\n", why);
		return -1;
	}
	while ((ret = rec_reader__next(rd, r)) > 0) {
		switch (r->kind) {
		case REC_PROCESS: {
			/* two recordings with the same pid would mix two processes
			 * (one recording can have several: instances tell them apart) */
			uintptr_t had = (uintptr_t)hashmap__get(pids, r->process.pid);

			if ((had && had != nth) || hashmap__set(pids, r->process.pid, (void *)nth)) {
				fprintf(stderr, "tracer: %s: %s\n", path, had
					? "a PID of it is in an earlier recording too: cannot merge them"
					: "out of memory");
				rec_reader__close(rd);
				return -1;
			}
			outputs__process(out, &r->process);
			break;
		}
		case REC_THREAD:
			outputs__thread(out, &r->thread);
			break;
		case REC_EVENT:
			outputs__event(out, &r->hdr, r->hdr.size);
			break;
		case REC_CODEMAP:
			outputs__codemap(out, &r->codemap);
			break;
		case REC_END:
			if (r->end.end_ts > end->end_ts)
				end->end_ts = r->end.end_ts;
			for (int i = 0; i < TR_DROP__COUNT; i++)
				end->drops[i] += r->end.drops[i];
			end->ringbuf_events += r->end.ringbuf_events;
			end->flags |= r->end.flags;
			if (!end->exit_code)
				end->exit_code = r->end.exit_code;
			/* how a launched command ended: the first recording's
			 * that knows (one per session end: of several
			 * recordings, the others' are not said) */
			if (!end->launch.how)
				end->launch = r->end.launch;
			/* one machine's clocks: the first recording's offset */
			if (!end->realtime_offset_ns)
				end->realtime_offset_ns = r->end.realtime_offset_ns;
			/* what a probe hit cost: the first recording's that
			 * measured it (docs/observer-effect.md) */
			if (!end->probe_cost.measured && r->end.probe_cost.measured)
				end->probe_cost = r->end.probe_cost;
			end_add_warnings(end, &r->end);
			have_end = true;
			break;
		}
	}
	rec_reader__close(rd);
	if (ret < 0)
		fprintf(stderr, "tracer: %s: %s after the last complete record; "
			"converting what came before\n", path,
			ret == -EPIPE ? "the recording is cut short" : "corrupt data");
	if (!have_end) {
		fprintf(stderr, "tracer: %s has no end record (the recording was cut short): "
			"calls still open are closed at its last event\n", path);
		end->flags |= IN_END_RECORDING_TRUNCATED;
	}
	return ret < 0 || !have_end ? 2 : 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct argp argp = { report_options, report_parse, "RECORDING.trace...",
					  report_doc, NULL, NULL, NULL };
	struct report_opts o = { .top = -1 };
	struct outputs *out = NULL;
	struct rec_record *r = malloc(sizeof(*r));
	struct hashmap *pids = hashmap__new();	/* of the recordings read so far */
	struct in_end end = {};
	int status = 0, exit_code = 1;
	char err[512];

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (!r || !pids)
		goto cleanup;
	if (outputs__open_cfg(o.outputs, o.n_outputs, &o.cfg, &out, err, sizeof(err))) {
		fprintf(stderr, "tracer: %s\n", err);
		goto cleanup;
	}
	outputs__set_summary(out, o.sort, o.top);
	for (int i = 0; i < o.n_inputs; i++) {
		int st = replay(o.inputs[i], i + 1, r, out, &end, pids);

		if (st < 0)
			goto cleanup;
		if (st > status)
			status = st;
	}
	exit_code = outputs__status(outputs__end(out, &end));
	exit_code = exit_code ? exit_code : status;
cleanup:
	outputs__free(out);
	hashmap__free(pids, NULL);
	free(r);
	return exit_code;
}
