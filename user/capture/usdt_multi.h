/* SPDX-License-Identifier: MIT */
/*
 * USDT probes through uprobe_multi links (Linux 6.6+), for the programs
 * written with libbpf's usdt.bpf.h (SEC("usdt"), BPF_USDT, bpf_usdt_arg,
 * bpf_usdt_cookie). libbpf 1.1 (Debian 12) attaches a USDT probe as one
 * perf-event uprobe per site, each removed with its own waits under
 * perf's global event_mutex (user/capture/uprobe_multi.c): Debian
 * python3.11's seven USDT probes took ~0.2 s of every session's end.
 */
#ifndef TRACER_USDT_MULTI_H
#define TRACER_USDT_MULTI_H
#include <stddef.h>
#include <stdint.h>

struct bpf_program;
struct bpf_map;

/*
 * Attach PROG (loaded with UPROBE_MULTI_ATTACH_TYPE) at every site of the
 * SDT probe PROVIDER:NAME of the ELF file PATH, in process PID only (-1:
 * every process), its usdt cookie COOKIE (bpf_usdt_cookie). Each site's
 * arguments go into SPECS (usdt.bpf.h's __bpf_usdt_specs) under an id of
 * their own, the site's BPF cookie; the kernel raises the probe's
 * semaphore while the link lives. The link's fd, *SITES, and the ids
 * taken appended to *IDS (*N_IDS used of *CAP_IDS; released with
 * usdt_multi__release once the link is closed), or -errno.
 */
int usdt_multi__attach(struct bpf_program *prog, struct bpf_map *specs, const char *path,
		       const char *provider, const char *name, uint64_t cookie, int pid,
		       size_t *sites, int **ids, size_t *n_ids, size_t *cap_ids);
/* give back N spec ids (after their links are closed) */
void usdt_multi__release(const int *ids, size_t n);
#endif
