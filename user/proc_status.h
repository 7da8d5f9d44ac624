/* SPDX-License-Identifier: MIT */
/* The ids of a process, from /proc/PID/status. */
#ifndef TRACER_PROC_STATUS_H
#define TRACER_PROC_STATUS_H
#include <sys/types.h>

/* The uids and gids of process PID: real, effective, saved, fs (the
 * "Uid:" and "Gid:" lines). 0, -errno, or -EINVAL when a line is missing
 * or malformed. */
int proc_status__ids(int pid, uid_t uids[4], gid_t gids[4]);
#endif
