/* SPDX-License-Identifier: MIT */
/* Destroying many BPF links at once (the end of a session). */
#ifndef TRACER_LINK_BATCH_H
#define TRACER_LINK_BATCH_H
#include <stddef.h>

struct bpf_link;

/* Destroy the N links of LINKS (NULL entries skipped) and close the NFD
 * link fds of FDS (made without libbpf: user/capture/uprobe_multi.c),
 * concurrently, and set each entry to NULL or -1. In no order: only for
 * links whose programs do nothing any more (the session's switch is
 * stopped) or whose order does not matter. */
void link_batch__destroy(struct bpf_link **links, size_t n, int *fds, size_t nfd);
#endif
