/* SPDX-License-Identifier: MIT */
/*
 * Subcommands of `tracer`, recognised by the first argument before anything
 * else (so `tracer top -p 1` is the top subcommand, not `top` launched and
 * traced; `tracer -- top` launches it). Each gets argv with argv[0] =
 * "tracer NAME" (what its messages start with) and returns the process exit
 * status. `record` is not here: it is the default verb, tracing itself
 * (user/main.c), accepted by name as py-spy users type it.
 */
#ifndef TRACER_COMMANDS_H
#define TRACER_COMMANDS_H

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;	/* its line in `tracer --help` */
};

/* the subcommand called NAME, NULL when none is */
const struct command *commands__find(const char *name);
/* the I-th subcommand (for --help), NULL past the end */
const struct command *commands__at(unsigned i);

/* tracer layout 3.X | --from-binary PATH: print the CPython layout */
int cmd_layout(int argc, char **argv);
/* tracer report RECORDING.trace [-o FILE]...: convert a recording */
int cmd_report(int argc, char **argv);
/* tracer dump -p PID [--json]: every thread's Python stack, now */
int cmd_dump(int argc, char **argv);
/* tracer top -p PID: a live view of the hottest functions, sampled */
int cmd_top(int argc, char **argv);
#endif
