/* SPDX-License-Identifier: MIT */
/* Destroying many BPF links at once (the end of a session). */
#ifndef TRACER_LINK_BATCH_H
#define TRACER_LINK_BATCH_H
#include <stddef.h>

struct bpf_link;

/* Destroy the N links of LINKS (NULL entries skipped), concurrently, and
 * set each entry to NULL. In no order: only for links whose programs do
 * nothing any more (the session's switch is stopped) or whose order does
 * not matter. */
void link_batch__destroy(struct bpf_link **links, size_t n);
#endif
