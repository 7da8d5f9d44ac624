/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The event stream: the ring buffer, how records are submitted (and the
 * consumer woken), and the counters of everything that could not be.
 * Included once, by bpf/tracer.bpf.c.
 */
#ifndef TRACER_RINGBUF_BPF_H
#define TRACER_RINGBUF_BPF_H

/* ---- knobs, set by userspace before load ----------------------------- */
/* wake the consumer up only after a CPU submitted this much (it also polls
 * on a short timeout): a wakeup raises an IPI, a VM exit in a guest, which
 * perf showed taking ~2% of a traced loop's time at 64 KiB */
const volatile __u64 wakeup_bytes = 1 << 20;

/* written by BPF only; read by user/capture/feed.c */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);	/* resized by userspace (--buffer) */
} events SEC(".maps");

/* drop counters, read by userspace through the skeleton's .bss */
__u64 drops[TR_DROP__COUNT];

/* the session's switch (include/tracer.h, enum tr_live): written by
 * userspace through the skeleton's .bss; hits after the stop, counted */
__u32 live;
__u64 after_stop;

/* whether a probe hit is an event (false: the session has not started or
 * has stopped) */
static __always_inline bool session_live(void)
{
	__u32 state = live;

	if (state == TR_LIVE_ON)
		return true;
	if (state == TR_LIVE_STOPPED)
		__sync_fetch_and_add(&after_stop, 1);
	return false;
}

static __always_inline void drop(int reason)
{
	if (reason >= 0 && reason < TR_DROP__COUNT)
		__sync_fetch_and_add(&drops[reason], 1);
}

/*
 * Bytes this CPU submitted since it last woke the consumer. Asking the ring
 * buffer how much data waits (bpf_ringbuf_query) reads positions the
 * consumer writes from another CPU: a cache miss per event, measured at
 * about 50 ns. A per-CPU count costs nothing shared; the consumer's poll
 * timeout (user/capture/session.c) picks up what no CPU has woken it for.
 */
/* written by BPF only (ringbuf.bpf.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unwoken SEC(".maps");

/* the flags for submitting SIZE more bytes: wake the consumer or not */
static __always_inline __u64 wakeup_flags(__u32 size)
{
	__u64 flags = BPF_RB_NO_WAKEUP, *pending;
	__u32 zero = 0;

	pending = bpf_map_lookup_elem(&unwoken, &zero);
	if (pending) {
		*pending += size;
		if (*pending >= wakeup_bytes) {
			*pending = 0;
			flags = BPF_RB_FORCE_WAKEUP;
		}
	}
	return flags;
}

static __always_inline void submit(void *e, __u32 size)
{
	bpf_ringbuf_submit(e, wakeup_flags(size));
}

static __always_inline void fill_hdr(struct tr_ev_hdr *h, __u8 type, __u16 size,
				     __u64 pid_tgid, __u32 instance)
{
	h->type = type;
	h->flags = 0;
	h->size = size;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->instance = instance;
	h->ts = bpf_ktime_get_ns();
}

#endif /* TRACER_RINGBUF_BPF_H */
