// SPDX-License-Identifier: MIT
/*
 * The /proc/PID parsers: the input's first byte picks one of
 * /proc/PID/stat (the start time), a line of /proc/PID/status (NSpid) and
 * /proc/PID/cgroup; the rest is the file's text.
 */
#include "fuzz.h"
#include "os/proc_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned which = fuzz_take(&in, 1) % 3;
	size_t len = in.left;
	char *text = fuzz_rest(&in, which == 1);
	unsigned long long ticks;
	uint32_t ns_pid;
	char cg[256];

	switch (which) {
	case 0:
		proc_status__parse_start(text, len, &ticks);
		break;
	case 1:
		proc_status__parse_nspid(text, &ns_pid);
		break;
	case 2:
		if (!proc_status__parse_cgroup2(text, len, cg, sizeof(cg)))
			(void)strlen(cg);
		/* a buffer just big enough or too small */
		proc_status__parse_cgroup2(text, len, cg, 2);
		break;
	}
	free(text);
	return 0;
}
