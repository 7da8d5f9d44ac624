// SPDX-License-Identifier: MIT
/* tracer report RECORDING.trace [-o FILE]...: replay a recording into outputs. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "outputs.h"
#include "recording.h"
#include "session.h"

struct report_opts {
	const char *input;
	const char *outputs[SESSION_MAX_OUTPUTS];
	int n_outputs;
};

static const char report_doc[] =
"Convert a recording made with `tracer -o NAME.trace` into other outputs, with\n"
"the same results a direct run gives. Without -o, print the summary.\n"
"\n"
"EXAMPLES:\n"
"  tracer report run.trace                 # summary\n"
"  tracer report run.trace -o run.json     # Chrome/Perfetto timeline\n"
"\n"
"OPTIONS:";

static const struct argp_option report_options[] = {
	{ "output", 'o', "FILE", 0, "Write FILE (format by suffix; repeatable)", 0 },
	{},
};

static error_t report_parse(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;

	switch (key) {
	case 'o':
		if (o->n_outputs == SESSION_MAX_OUTPUTS)
			argp_error(state, "too many -o");
		o->outputs[o->n_outputs++] = arg;
		break;
	case ARGP_KEY_ARG:
		if (o->input)
			argp_error(state, "one recording at a time");
		o->input = arg;
		break;
	case ARGP_KEY_END:
		if (!o->input)
			argp_error(state, "which recording? (tracer report RECORDING.trace)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct argp argp = { report_options, report_parse, "RECORDING.trace",
					  report_doc, NULL, NULL, NULL };
	struct report_opts o = {};
	struct rec_reader *rd;
	struct outputs *out = NULL;
	struct rec_record *r = malloc(sizeof(*r));
	struct in_end end = {};
	bool have_end = false;
	char err[512];
	int ret, exit_code = 1;

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (!r)
		return 1;
	rd = rec_reader__open(o.input);
	if (!rd) {
		fprintf(stderr, "tracer: cannot read %s: %s\n", o.input,
			errno == EINVAL ? "not a tracer recording" : strerror(errno));
		free(r);
		return 1;
	}
	if (outputs__open(o.outputs, o.n_outputs, false, &out, err, sizeof(err))) {
		fprintf(stderr, "tracer: %s\n", err);
		goto cleanup;
	}
	while ((ret = rec_reader__next(rd, r)) > 0) {
		switch (r->kind) {
		case REC_PROCESS:
			outputs__process(out, &r->process);
			break;
		case REC_THREAD:
			outputs__thread(out, &r->thread);
			break;
		case REC_EVENT:
			outputs__event(out, &r->hdr, r->hdr.size);
			break;
		case REC_END:
			end = r->end;
			have_end = true;
			break;
		}
	}
	if (ret < 0)
		fprintf(stderr, "tracer: %s: %s after the last complete record; "
			"converting what came before\n", o.input,
			ret == -EPIPE ? "the recording is cut short" : "corrupt data");
	if (!have_end) {
		fprintf(stderr, "tracer: %s has no end record (the recording was cut short): "
			"calls still open are closed at its last event\n", o.input);
		end.flags |= IN_END_RECORDING_TRUNCATED;
	}
	exit_code = outputs__end(out, &end) ? 1 : (ret < 0 || !have_end ? 2 : 0);
cleanup:
	outputs__free(out);
	rec_reader__close(rd);
	free(r);
	return exit_code;
}
