// SPDX-License-Identifier: MIT
/* The text of /proc/PID/maps, parsed, then searched as the tracer does. */
#include "fuzz.h"
#include "os/proc_maps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	char *text = fuzz_rest(&in, 0);
	struct proc_maps m = { 0 };
	uint64_t addr;

	if (!proc_maps__parse(text, size, &m)) {
		for (size_t i = 0; i < m.n; i++)
			(void)strlen(m.v[i].path);
		proc_maps__find_basename_prefix(&m, "libpython3.");
		if (m.n && m.v[0].path[0]) {
			proc_maps__find_path(&m, m.v[0].path);
			proc_maps__addr_of_offset(&m, m.v[0].path, 0x1000, &addr);
			proc_maps__addr_of_offset(&m, m.v[0].path, UINT64_MAX, &addr);
		}
		proc_maps__free(&m);
	}
	free(text);
	return 0;
}
