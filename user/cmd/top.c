// SPDX-License-Identifier: MIT
/*
 * `tracer top -p PID`: the hottest functions of a running process, live
 * (py-spy top). A sampling session (the same BPF sampler as --sample) whose
 * only output is the live view of user/output/top_view.c.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "capture/sampler.h"
#include "capture/session.h"
#include "cmd/args.h"
#include "cmd/commands.h"
#include "output/top_view.h"

static const char top_doc[] =
"Show the functions of process PID where its threads spend their time, live,\n"
"refreshed every second (like py-spy top): CPU samples of the running threads\n"
"(--wall: of every thread, running or not), counted since the start, per\n"
"function: self (the innermost frame) and total (anywhere on the stack).\n"
"Keys: s sorts by self, t by total, q quits (Ctrl-C too). Calls are not\n"
"counted (sampling): for exact call counts, trace: sudo tracer -p PID -d 10.\n"
"Needs a terminal. CPython 3.8-3.13, as --sample.\n"
"\n"
"EXAMPLES:\n"
"  sudo tracer top -p 1234\n"
"  sudo tracer top -p 1234 --wall -r 50     # waiting threads too, 50 Hz\n"
"\n"
"OPTIONS:";

enum { OPT_WALL = 0x100 };

static const struct argp_option top_options[] = {
	{ "pid", 'p', "PID", 0, "The process", 0 },
	{ "rate", 'r', "HZ", 0, "Samples per second (default 99)", 0 },
	{ "wall", OPT_WALL, NULL, 0, "Sample every thread, running or not (Linux 6.1+)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0 },
	{},
};

static error_t top_parse(int key, char *arg, struct argp_state *state)
{
	struct session_opts *o = state->input;

	switch (key) {
	case 'p':
		o->pid = cmd_args__pid(state, arg);
		break;
	case 'r':
		o->sample_hz = cmd_args__rate(state, arg);
		break;
	case OPT_WALL:
		o->wall = true;
		break;
	case 'd':
		o->duration = cmd_args__duration(state, arg);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	case ARGP_KEY_END:
		if (!o->pid)
			argp_error(state, "which process? -p PID");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	static const struct argp argp = { top_options, top_parse, NULL, top_doc, NULL, NULL,
					  NULL };
	struct session_opts o = { .ringbuf_bytes = 16 << 20, .view = &sink_top,
				  .summary_top = -1 };

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (!o.sample_hz)
		o.sample_hz = SAMPLER_DEFAULT_HZ;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tracer top: needs a terminal (for a table at the end instead: "
				"sudo tracer --sample -p %d -d SECONDS)\n", o.pid);
		return 1;
	}
	return session__run(&o);
}
