// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "util/mono_clock.h"
#include "capture/wall.h"
#include "tracer.skel.h"

struct wall {
	struct tracer_bpf *skel;
	struct bpf_link *link;
	int tfd;
	struct wall_ticks ticks;
};

int wall__check_kernel(char *err, size_t errlen)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2) {
		snprintf(err, errlen, "--wall: cannot tell the kernel's version");
		return -ENOTSUP;
	}
	if (major < 6 || (major == 6 && minor < 1)) {
		snprintf(err, errlen, "--wall needs Linux 6.1 or later (a task iterator filtered "
			 "by process, and bpf_copy_from_user_task); this is %s. Sample CPU time "
			 "with --sample alone", u.release);
		return -ENOTSUP;
	}
	return 0;
}

int wall__start(struct tracer_bpf *skel, int pid, unsigned hz, struct wall **out, char *err,
		size_t errlen)
{
	union bpf_iter_link_info li = { .task = { .pid = pid } };
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, io, .link_info = &li,
			    .link_info_len = sizeof(li));
	long period = 1000000000L / hz;
	struct itimerspec its = {
		.it_value = { period / 1000000000L, period % 1000000000L },
		.it_interval = { period / 1000000000L, period % 1000000000L },
	};
	struct wall *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->skel = skel;
	w->tfd = -1;
	wall_ticks__init(&w->ticks, period);
	w->link = bpf_program__attach_iter(skel->progs.sample_wall, &io);
	if (!w->link) {
		ret = -errno;
		if (pid)
			snprintf(err, errlen, "--wall: cannot attach the task iterator to PID %d: %s",
				 pid, strerror(errno));
		else
			snprintf(err, errlen, "--wall: cannot attach the task iterator: %s",
				 strerror(errno));
		goto cleanup;
	}
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->tfd < 0 || timerfd_settime(w->tfd, 0, &its, NULL)) {
		ret = -errno;
		snprintf(err, errlen, "--wall: cannot start the ticker: %s", strerror(errno));
		goto cleanup;
	}
	*out = w;
	return 0;
cleanup:
	wall__stop(w);
	return ret;
}

int wall__fd(const struct wall *w)
{
	return w->tfd;
}

int wall__tick(struct wall *w)
{
	uint64_t expirations = 0, start;
	char buf[64];
	ssize_t n;
	int fd;

	if (read(w->tfd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return errno == EAGAIN ? 0 : -errno;
	/* the weight is read by the BPF side in this tick's samples */
	w->skel->bss->wall_period_ns = wall_ticks__tick(&w->ticks, mono_clock__ns(), expirations);
	start = mono_clock__ns();
	fd = bpf_iter_create(bpf_link__fd(w->link));
	if (fd < 0) {
		w->ticks.failed++;
		return -errno;
	}
	/* the program writes nothing: one read runs it on every thread */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		w->ticks.failed++;
	close(fd);
	w->ticks.read_ns += mono_clock__ns() - start;
	return n < 0 ? -errno : 0;
}

const struct wall_ticks *wall__ticks(const struct wall *w)
{
	return &w->ticks;
}

void wall__stop(struct wall *w)
{
	if (!w)
		return;
	if (w->tfd >= 0)
		close(w->tfd);
	bpf_link__destroy(w->link);
	free(w);
}
