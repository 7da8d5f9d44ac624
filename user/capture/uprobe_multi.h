/* SPDX-License-Identifier: MIT */
/*
 * Many uprobes of one program in one BPF link (the kernel's uprobe_multi
 * link, Linux 6.6+), made with the bpf() system call: libbpf 1.1 (Debian
 * 12) has no call for it.
 */
#ifndef TRACER_UPROBE_MULTI_H
#define TRACER_UPROBE_MULTI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the kernel's BPF_TRACE_UPROBE_MULTI (enum bpf_attach_type): a program
 * loaded with it as its expected attach type attaches only this way */
#define UPROBE_MULTI_ATTACH_TYPE 48

/* does the running kernel have uprobe_multi links? (its release: 6.6+) */
bool uprobe_multi__supported(void);
/* Attach PROG_FD (loaded with UPROBE_MULTI_ATTACH_TYPE) at the N file
 * OFFSETS of PATH, with the BPF cookies COOKIES, as return probes when
 * RET; only in process PID (-1: every process). REF_CTR_OFFSETS (NULL:
 * none; 0: none for that site): the file offset of each site's SDT
 * semaphore, which the kernel raises while the link lives. The link's fd,
 * or -errno. */
int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *ref_ctr_offsets, const uint64_t *cookies, size_t n,
			 bool ret, int pid);
#endif
