// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "proc_status.h"

/* LINE's four ids after TAG into OUT: true when it is that line, whole */
static int four_ids(const char *line, const char *tag, unsigned long out[4])
{
	size_t n = strlen(tag);

	return !strncmp(line, tag, n) &&
	       sscanf(line + n, "%lu %lu %lu %lu", &out[0], &out[1], &out[2], &out[3]) == 4;
}

int proc_status__ids(int pid, uid_t uids[4], gid_t gids[4])
{
	char path[64], line[256];
	unsigned long v[4];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (found != 3 && fgets(line, sizeof(line), f)) {
		if (four_ids(line, "Uid:", v)) {
			for (int i = 0; i < 4; i++)
				uids[i] = v[i];
			found |= 1;
		} else if (four_ids(line, "Gid:", v)) {
			for (int i = 0; i < 4; i++)
				gids[i] = v[i];
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -EINVAL;
}
