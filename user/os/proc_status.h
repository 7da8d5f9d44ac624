/* SPDX-License-Identifier: MIT */
/* The ids of a process (/proc/PID/status) and when it started
 * (/proc/PID/stat). */
#ifndef TRACER_PROC_STATUS_H
#define TRACER_PROC_STATUS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The uids and gids of process PID: real, effective, saved, fs (the
 * "Uid:" and "Gid:" lines). 0, -errno, or -EINVAL when a line is missing
 * or malformed. */
int proc_status__ids(int pid, uid_t uids[4], gid_t gids[4]);

/* Who a process acts as: its effective uid and gid and its supplementary
 * groups (what a program run on its behalf takes, user/os/run_as.c). */
#define PROC_MAX_GROUPS 256
struct proc_creds {
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	gid_t groups[PROC_MAX_GROUPS];
};
/* The credentials in a /proc/PID/status TEXT (LEN bytes): the second ids
 * of "Uid:" and "Gid:", the "Groups:" line. 0; -EINVAL when a line is
 * missing or malformed; -E2BIG: more than PROC_MAX_GROUPS groups. */
int proc_status__parse_creds(const char *text, size_t len, struct proc_creds *c);
/* those of process PID, read in one go: 0 or -errno */
#define PROC_STATUS_MAX 65536
int proc_status__creds(int pid, struct proc_creds *c);

/* The start time in clock ticks since boot (field 22) of a /proc/PID/stat
 * line TEXT (LEN bytes; the command name, field 2, may hold anything, even
 * ") "): 0, or -EINVAL when malformed. */
int proc_status__parse_start(const char *text, size_t len, unsigned long long *ticks);
/* When process PID started, in CLOCK_BOOTTIME ns (to the kernel's clock
 * tick, 10 ms here, rounded down). 0 or -errno. */
int proc_status__start_ns(int pid, uint64_t *ns);
/* The pid of process PID in its innermost PID namespace: the last number
 * of a "NSpid:" LINE of /proc/PID/status; 0 or -EINVAL. */
int proc_status__parse_nspid(const char *line, uint32_t *ns_pid);
int proc_status__ns_pid(int pid, uint32_t *ns_pid);
/* The cgroup v2 path of a /proc/PID/cgroup TEXT (LEN bytes: its "0::"
 * line) into BUF (N bytes): 0, -ENOENT (no v2 line), -EINVAL (malformed or
 * longer than BUF). */
int proc_status__parse_cgroup2(const char *text, size_t len, char *buf, size_t n);
int proc_status__cgroup2(int pid, char *buf, size_t n);
/* The parent pid of a "PPid:" LINE of /proc/PID/status: 0 or -EINVAL */
int proc_status__parse_ppid(const char *line, int *ppid);
/* that of process PID: 0 or -errno (-EINVAL: no such line) */
int proc_status__ppid(int pid, int *ppid);
#endif
