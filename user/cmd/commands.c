// SPDX-License-Identifier: MIT
/* The table of subcommands (user/cmd/commands.h). */
#include <string.h>
#include "cmd/commands.h"

static const struct command table[] = {
	{ "dump", cmd_dump, "tracer dump -p PID [--json]          every thread's Python stack, now" },
	{ "top", cmd_top, "tracer top -p PID                    live view of the hottest functions" },
	{ "report", cmd_report, "tracer report RECORDING.trace -o FILE...   convert a recording (no root)" },
	{ "layout", cmd_layout, "tracer layout 3.X                    print a CPython structure layout" },
};

const struct command *commands__find(const char *name)
{
	for (unsigned i = 0; name && i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const struct command *commands__at(unsigned i)
{
	return i < sizeof(table) / sizeof(table[0]) ? &table[i] : NULL;
}
