/* SPDX-License-Identifier: MIT */
/* Subcommands of `tracer`: each gets argv with argv[0] = its name and
 * returns the process exit status. */
#ifndef TRACER_COMMANDS_H
#define TRACER_COMMANDS_H

/* tracer layout 3.X | --from-binary PATH: print the CPython layout */
int cmd_layout(int argc, char **argv);
/* tracer report RECORDING.trace [-o FILE]...: convert a recording */
int cmd_report(int argc, char **argv);
#endif
