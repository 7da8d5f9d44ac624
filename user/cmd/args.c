// SPDX-License-Identifier: MIT
/* Option values the subcommands share (see args.h). */
#include <errno.h>
#include <stdlib.h>
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
