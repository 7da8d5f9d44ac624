/* SPDX-License-Identifier: MIT */
/* Option values the subcommands share, checked the same way. */
#ifndef TRACER_CMD_ARGS_H
#define TRACER_CMD_ARGS_H
#include <argp.h>

/* ARG as a PID (1..2^31-1); a usage error (argp_error: exit 64) else */
int cmd_args__pid(struct argp_state *state, const char *arg);
/* ARG as a sampling rate in Hz (1..SAMPLER_MAX_HZ); a usage error else */
unsigned cmd_args__rate(struct argp_state *state, const char *arg);
/* ARG as a duration in seconds (> 0); a usage error else */
double cmd_args__duration(struct argp_state *state, const char *arg);
#endif
