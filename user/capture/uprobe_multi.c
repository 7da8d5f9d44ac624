// SPDX-License-Identifier: MIT
/*
 * Why uprobe_multi links. libbpf 1.1 attaches each uprobe as a perf event
 * with the program linked to it. Removing one (closing its event) waits,
 * in the kernel, for several RCU grace periods under perf's global
 * event_mutex (perf_uprobe_destroy: the uprobe's unregistration, then
 * tracepoint_synchronize_unregister), one removal at a time even from many
 * threads: 65-150 ms per probe on a 2-CPU VM, 1.4-4 s for the 17 probe
 * sites of 3.12's dispatch strategy, most of a session's end. A
 * uprobe_multi link holds all the sites of one program and is removed with
 * one wait (uprobe_unregister_sync), outside that mutex: 20-175 ms for the
 * same 17 sites, measured on Linux 6.18 (user/capture/link_batch.c removes
 * the links of a session together).
 *
 * The program must be loaded with the link's attach type (probes.c sets it
 * before load, when the kernel has the link), and then attaches only this
 * way. What it sees is the same as through a perf event: the same
 * registers, the probe's address, its BPF cookie (bpf_get_attach_cookie),
 * the same uretprobe machinery (current->utask->depth). A link for one
 * process runs the program only in that thread group (the kernel's check).
 *
 * union bpf_attr's uprobe_multi fields are not in Debian 12's
 * linux/bpf.h (Linux 6.1): the link_create part is spelled out below, as
 * include/uapi/linux/bpf.h of Linux 6.6+ lays it out.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include "capture/uprobe_multi.h"
#include "os/kernel_version.h"

/* BPF_F_UPROBE_MULTI_RETURN */
#define MULTI_RETURN 1u

struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
	uint32_t pad;
};

bool uprobe_multi__supported(void)
{
	static int known = -1;	/* (one answer per run) */

	if (known < 0)
		known = kernel_version__at_least(6, 6);
	return known;
}

int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *ref_ctr_offsets, const uint64_t *cookies, size_t n,
			 bool ret, int pid)
{
	struct link_create_uprobe_multi a;
	long fd;

	if (!n || n > UINT32_MAX || prog_fd < 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	a.path = (uint64_t)(uintptr_t)path;
	a.offsets = (uint64_t)(uintptr_t)offsets;
	a.ref_ctr_offsets = (uint64_t)(uintptr_t)ref_ctr_offsets;
	a.cookies = (uint64_t)(uintptr_t)cookies;
	a.cnt = n;
	a.multi_flags = ret ? MULTI_RETURN : 0;
	a.pid = pid > 0 ? (uint32_t)pid : 0;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}
