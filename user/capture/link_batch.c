// SPDX-License-Identifier: MIT
/*
 * Why the links of a session are destroyed from many threads at once.
 *
 * Removing a uprobe (the close of its perf event) waits in the kernel for
 * RCU grace periods, so that no CPU still runs the program it removes:
 * trace_uprobe's unregistration waits for an RCU-tasks-trace and an SRCU
 * grace period, perf's tracepoint unregistration for more. On this kind of
 * VM that is 65-150 ms per link, whatever the link, and a session has tens
 * of them (3.12's dispatch strategy: 17): removed one after the other they
 * took 1.4-1.9 s of every session's end, longer than anything else after
 * the target exits.
 *
 * A grace period serves every waiter that came before it began: waits
 * that overlap share it. So each link is destroyed by its own thread (up
 * to THREADS_MAX, each taking the next link left). Part of a perf uprobe's
 * removal still runs under the kernel's event_mutex (perf_uprobe_destroy),
 * one at a time: the 17 links of 3.12 went from 1.4-1.9 s to ~0.8 s
 * (Linux 6.18, 2-CPU VM), not to one removal's time. The order of removal is then arbitrary:
 * callers first turn the session's switch to stopped (include/tracer.h),
 * after which the programs do nothing, so no order is needed for
 * exactness (there used to be one: entries before returns).
 *
 * Links made as uprobe_multi links (user/capture/uprobe_multi.c) have one
 * such wait for all their sites, outside the mutex; they are closed here
 * with the others.
 *
 * A thread that cannot be made leaves its share to the others and to the
 * calling thread, which takes links too: the batch always completes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "capture/link_batch.h"

#define THREADS_MAX 64
#define STACK_BYTES (256 << 10)

struct batch {
	struct bpf_link **links;
	int *fds;
	size_t n, nfd;
	atomic_size_t next;	/* links first, then fds */
};

static void *destroy_some(void *arg)
{
	struct batch *b = arg;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n + b->nfd) {
		if (i < b->n) {
			bpf_link__destroy(b->links[i]);
			b->links[i] = NULL;
		} else if (b->fds[i - b->n] >= 0) {
			close(b->fds[i - b->n]);
			b->fds[i - b->n] = -1;
		}
	}
	return NULL;
}

void link_batch__destroy(struct bpf_link **links, size_t n, int *fds, size_t nfd)
{
	struct batch b = { .links = links, .n = n, .fds = fds, .nfd = nfd };
	pthread_t tids[THREADS_MAX];
	pthread_attr_t attr;
	bool small = !pthread_attr_init(&attr);
	size_t made = 0;

	/* (a close needs little stack) */
	if (small && pthread_attr_setstacksize(&attr, STACK_BYTES)) {
		pthread_attr_destroy(&attr);
		small = false;
	}
	/* the calling thread is one of them */
	while (made + 1 < n + nfd && made < THREADS_MAX &&
	       !pthread_create(&tids[made], small ? &attr : NULL, destroy_some, &b))
		made++;
	destroy_some(&b);
	for (size_t i = 0; i < made; i++)
		pthread_join(tids[i], NULL);
	if (small)
		pthread_attr_destroy(&attr);
}
