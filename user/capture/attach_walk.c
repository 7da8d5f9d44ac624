// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/attach_walk.h"
#include "capture/wall.h"
#include "util/hashmap.h"
#include "tracer.skel.h"
#include "model/warnings.h"
#include "os/kernel_version.h"

static void say(struct target *t, const char *why)
{
	warnings__add(t->warnings, &t->n_warnings,
		      "threads that make no call during the session are not shown (their "
		      "running frames cannot be read at the attach: %s)", why);
}

bool attach_walk__plan(struct target *t)
{
	char why[160];

	if (wall__check_kernel(why, sizeof(why))) {
		say(t, "Linux 6.1 or later is needed");
		return false;
	}
	if (t->cfg.layout.tstate_thread_id < 0 || t->bin.rt.runtime_tss_key <= 0 ||
	    !t->runtime_addr) {
		say(t, "where this CPython keeps its thread states is unknown");
		return false;
	}
	t->cfg.tss_key_addr = t->runtime_addr + t->bin.rt.runtime_tss_key;
	return true;
}

/*
 * Tagged arguments of global BPF functions came with Linux 6.8: there the
 * walk's code identities are verified once (attach_walk), ~60x fewer
 * instructions than with them inlined (attach_walk_61).
 */
static bool global_task_args(void)
{
	static int known = -1;	/* (one answer per run) */

	if (known < 0)
		known = kernel_version__at_least(6, 8);
	return known;
}

bool attach_walk__loads(const char *name)
{
	if (!strcmp(name, "attach_walk"))
		return global_task_args();
	if (!strcmp(name, "attach_walk_61"))
		return !global_task_args();
	return true;
}

void attach_walk__run(struct tracer_bpf *skel, struct target *t, bool verbose)
{
	union bpf_iter_link_info li = { .task = { .pid = t->pid } };
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, io, .link_info = &li,
			    .link_info_len = sizeof(li));
	/* (the one loaded) */
	struct bpf_program *prog = bpf_program__fd(skel->progs.attach_walk) >= 0
					   ? skel->progs.attach_walk : skel->progs.attach_walk_61;
	struct bpf_link *link = bpf_program__attach_iter(prog, &io);
	/* (the counters are the session's: -a walks each process found) */
	uint64_t unreadable = skel->bss->attach_walk_unreadable;
	char buf[64], why[96];
	ssize_t n = 0;
	int fd = -1;

	if (link)
		fd = bpf_iter_create(bpf_link__fd(link));
	/* the program writes nothing: one read runs it on every thread */
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (!link || fd < 0 || n < 0) {
		snprintf(why, sizeof(why), "the task iterator failed: %s", strerror(errno));
		say(t, why);
	} else if ((unreadable = skel->bss->attach_walk_unreadable - unreadable)) {
		snprintf(why, sizeof(why), "the thread state of %llu thread%s was not found "
			 "through its pthread key", (unsigned long long)unreadable,
			 unreadable == 1 ? "" : "s");
		say(t, why);
	}
	if (link && fd >= 0 && n >= 0 && verbose) {
		fprintf(stderr, "tracer: attach walk of PID %d: %llu threads' running frames (%llu frames); "
			"%llu walked at their own first event; %llu running no Python; "
			"%llu unreadable (the session's, so far)\n", t->pid,
			(unsigned long long)skel->bss->attach_walk_threads,
			(unsigned long long)skel->bss->attach_walk_frames,
			(unsigned long long)skel->bss->attach_walk_ran_first,
			(unsigned long long)skel->bss->attach_walk_not_python,
			(unsigned long long)skel->bss->attach_walk_unreadable);
	}
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
}

bool attach_walk__keep(struct hashmap **rejected, const void *data, size_t len, int *err)
{
	const struct tr_ev_hdr *h = data;
	uint64_t key = (uint64_t)h->pid << 32 | h->tid;

	if (h->type == TR_EV_ATTACH_WALK) {
		if (!(h->flags & TR_WALK_REJECTED))
			return false;
		if (!*rejected && !(*rejected = hashmap__new()))
			*err = -ENOMEM;
		else if (hashmap__set(*rejected, key, (void *)1))
			*err = -ENOMEM;
		return false;
	}
	return !(h->type == TR_EV_CALL && len >= sizeof(struct tr_ev_call) &&
		 (h->flags & TR_CALL_ATTACH_WALK) && *rejected && hashmap__get(*rejected, key));
}
