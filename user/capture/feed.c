// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "capture/attach_walk.h"
#include "capture/cover_session.h"
#include "capture/feed.h"
#include "util/hashmap.h"
#include "util/text_escape.h"
#include "output/outputs.h"

int feed__init(struct feed *f, struct outputs *out)
{
	memset(f, 0, sizeof(*f));
	f->out = out;
	f->threads = hashmap__new();
	f->py_names = hashmap__new();
	return f->threads && f->py_names ? 0 : -ENOMEM;
}

/* the name a thread was described with: malloc'ed, or this when there
 * was no memory for a copy */
static char name_unknown[1];

static void free_name(void *ctx, void *value)
{
	if (value != name_unknown)
		free(value);
}

static void free_name1(void *value)
{
	free_name(NULL, value);
}

void feed__free(struct feed *f)
{
	hashmap__free(f->threads, free_name1);
	hashmap__free(f->py_names, free);
	f->threads = f->py_names = NULL;
	hashmap__free(f->walk_rejected, NULL);
	f->walk_rejected = NULL;
}

static void describe_thread(struct feed *f, uint32_t pid, uint32_t tid)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	struct in_thread t = { .pid = pid, .tid = tid };
	char path[64], *py_name, *told;
	FILE *fp;

	if (key == f->last_thread)
		return;
	f->last_thread = key;
	if (hashmap__get(f->threads, key))
		return;
	f->new_threads++;
	if ((py_name = hashmap__del(f->py_names, key))) {
		snprintf(t.name, sizeof(t.name), "%s", py_name);
		free(py_name);
	} else {
		snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
		fp = fopen(path, "re");
		if (fp) {
			if (fgets(t.name, sizeof(t.name), fp))
				t.name[strcspn(t.name, "\n")] = 0;
			fclose(fp);
		}
		if (!t.name[0])
			snprintf(t.name, sizeof(t.name), "%u", tid);
	}
	told = strdup(t.name);
	if (hashmap__set(f->threads, key, told ? told : name_unknown))
		free(told);
	outputs__thread(f->out, &t);
}

int feed__event(void *ctx, void *data, size_t len)
{
	struct feed *f = ctx;
	const struct tr_ev_hdr *h = data;

	if (len < sizeof(*h))
		return 0;
	/* the attach walk's verdicts, and the frames of a rejected walk (a
	 * map that cannot grow keeps them: frames seen twice, not lost) */
	if ((h->type == TR_EV_ATTACH_WALK ||
	     (h->type == TR_EV_CALL && (h->flags & TR_CALL_ATTACH_WALK))) &&
	    !attach_walk__keep(&f->walk_rejected, data, len, &(int){ 0 }))
		return 0;
	f->events++;
	if (h->type != TR_EV_CODE && h->type != TR_EV_EXIT)
		describe_thread(f, h->pid, h->tid);
	if (f->cover)
		cover_session__event(f->cover, data, len);
	outputs__event(f->out, data, len);
	return 0;
}

/*
 * A name from `threading` arrives after the thread's first event (a
 * Thread enters threading._active in its own first Python calls) and may
 * change (Thread.name = ...): a thread already described is described
 * again with it when it differs from the name it has (sinks take a
 * repeated thread record as a rename: on 3.14, whose OS names are
 * Python's, often no rename at all); one not seen yet is described with
 * it at its first event.
 */
int feed__thread_name(struct feed *f, uint32_t pid, uint32_t tid, const char *name)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	struct in_thread t = { .pid = pid, .tid = tid };
	char *told = hashmap__get(f->threads, key);
	char *pending = hashmap__get(f->py_names, key);
	const char *now = told ? told : pending;
	char *copy;

	/* as much of it as fits, cut between characters (the outputs escape
	 * what is not UTF-8) */
	memcpy(t.name, name, text_escape__utf8_prefix(name, strlen(name), sizeof(t.name) - 1));
	if (now && !strcmp(now, t.name))
		return 0;
	if (!(copy = strdup(t.name)))
		return -ENOMEM;
	if (hashmap__set(told ? f->threads : f->py_names, key, copy)) {
		free(copy);
		return -ENOMEM;
	}
	if (!told) {
		free(pending);
		return 0;
	}
	free_name(NULL, told);
	outputs__thread(f->out, &t);
	return 0;
}

void feed__forget_pid(struct feed *f, uint32_t pid)
{
	hashmap__del_upper(f->threads, pid, free_name, NULL);
	hashmap__del_upper(f->py_names, pid, free_name, NULL);
	if (f->last_thread >> 32 == pid)
		f->last_thread = 0;
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

int feed__check_host(bool v)
{
	verbose = v;
	libbpf_set_print(libbpf_print);
	if (geteuid() != 0) {
		fprintf(stderr, "tracer: must run as root (it loads BPF programs: CAP_BPF, "
				"CAP_PERFMON); try sudo\n");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "tracer: this kernel has no BTF (/sys/kernel/btf/vmlinux): it needs "
				"CONFIG_DEBUG_INFO_BTF=y\n");
		return 1;
	}
	return 0;
}

int feed__signal_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

int feed__timer_fd(double seconds, bool repeat)
{
	struct itimerspec its = {
		.it_value.tv_sec = (time_t)seconds,
		.it_value.tv_nsec = (long)((seconds - (time_t)seconds) * 1e9),
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (repeat)
		its.it_interval = its.it_value;
	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

int feed__epoll(const int *fds, int n)
{
	struct epoll_event add = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	for (int i = 0; ep >= 0 && i < n; i++) {
		if (fds[i] < 0)
			continue;
		add.data.fd = fds[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &add);
	}
	return ep;
}
