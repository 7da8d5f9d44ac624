// SPDX-License-Identifier: MIT
/* Option values the subcommands share (see args.h). */
#include <errno.h>
#include <stdlib.h>
#include "capture/sampler.h"
#include "cmd/args.h"

int cmd_args__pid(struct argp_state *state, const char *arg)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(arg, &end, 10);
	if (errno || *end || end == arg || pid <= 0 || pid > 0x7fffffff)
		argp_error(state, "invalid PID: %s", arg);
	return pid;
}

unsigned cmd_args__rate(struct argp_state *state, const char *arg)
{
	char *end;
	long hz;

	errno = 0;
	hz = strtol(arg, &end, 10);
	if (errno || *end || end == arg || hz <= 0 || hz > SAMPLER_MAX_HZ)
		argp_error(state, "invalid sampling rate (1-%d Hz): %s", SAMPLER_MAX_HZ, arg);
	return hz;
}

double cmd_args__duration(struct argp_state *state, const char *arg)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || *end || end == arg || !(s > 0))
		argp_error(state, "invalid duration: %s", arg);
	return s;
}
