// SPDX-License-Identifier: MIT
/* A live session's poll loop (see session_poll.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <bpf/libbpf.h>
#include "capture/async_tasks.h"
#include "capture/children.h"
#include "capture/exec_follow.h"
#include "capture/feed.h"
#include "capture/jit_session.h"
#include "capture/session_poll.h"
#include "capture/status_line.h"
#include "capture/thread_names.h"
#include "capture/wall.h"

void session_subtract__refresh(struct session_subtract *sb)
{
	if (sb->cost.subtracted)
		probe_cost__refresh(sb->meter, &sb->cost, sb->out);
}

const char *session__poll(struct ring_buffer *rb, int sfd, int pfd, int tfd,
			     struct wall *wall, struct jit_dump_follow *jf,
			     struct exec_follow *x, struct status_line *sl,
			     struct thread_names *names, struct async_tasks *at,
			     struct children *ch, struct session_subtract *sb, bool *exited)
{
	int fds[] = { ring_buffer__epoll_fd(rb), sfd, pfd, tfd, wall ? wall__fd(wall) : -1 };
	int ep = feed__epoll(fds, 5);
	struct epoll_event ev[5];
	const char *why = NULL;

	while (!why) {
		/* the BPF side wakes us only when much is pending: a short
		 * timeout picks up the rest */
		int n = epoll_wait(ep, ev, 5, 20);
		if (n < 0 && errno != EINTR) {
			why = "epoll error";
			break;
		}
		/* the code loads appended to the jitdump before the samples
		 * taken since: they may be in that code */
		if (jit_session__follow(jf)) {
			why = "out of memory";
			break;
		}
		session_subtract__refresh(sb);
		ring_buffer__consume(rb);
		exec_follow__check(x, false);
		children__tick(ch);
		status_line__tick(sl);
		if (thread_names__tick(names, false)) {
			why = "out of memory";
			break;
		}
		async_tasks__tick(at, false);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					why = strsignal(si.ssi_signo);
			} else if (ev[i].data.fd == pfd) {
				why = "the target exited";
				*exited = true;
			} else if (ev[i].data.fd == tfd) {
				why = "the duration (-d) expired";
			} else if (wall && ev[i].data.fd == wall__fd(wall)) {
				/* a failed read is counted in its ticks */
				wall__tick(wall);
				ring_buffer__consume(rb);
			}
		}
	}
	close(ep);
	return why;
}
