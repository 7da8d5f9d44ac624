/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * JIT registrations: a uprobe on CPython's (3.12+)
 * PyUnstable_WritePerfMapEntry(const void *code_addr, unsigned int
 * code_size, const char *entry_name), the one function through which the
 * perf trampoline (-X perf) and any JIT using the perf-map API register
 * compiled code. Each call becomes a TR_EV_JIT with the address, the size
 * and the name (a bounded copy: a name longer than TR_JIT_NAME_MAX - 1
 * bytes is cut and flagged). Attached in every session mode (calls and
 * --sample) by user/capture/probes.c. Included once, by bpf/tracer.bpf.c, after
 * bpf/ringbuf.bpf.h and bpf/procs.bpf.h (proc_cfg_at).
 */
#ifndef TRACER_JIT_BPF_H
#define TRACER_JIT_BPF_H

SEC("uprobe")
int jit_register(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	const char *name = (const char *)PT_REGS_PARM3(ctx);
	struct tr_proc_cfg *cfg;
	struct tr_ev_jit *e;
	char next = 0;
	long n;

	cfg = proc_cfg_at(pid_tgid, system_wide ? bpf_get_attach_cookie(ctx) : 0, PT_REGS_IP(ctx));
	if (!cfg)
		return 0;	/* counted by proc_cfg_at */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&e->hdr, TR_EV_JIT, 0, pid_tgid, cfg->instance);
	e->addr = PT_REGS_PARM1(ctx);
	e->size = (__u32)PT_REGS_PARM2(ctx);
	n = name ? bpf_probe_read_user_str(e->name, TR_JIT_NAME_MAX, name) : 0;
	if (n < 0) {
		/* an unreadable name: the registration still counts */
		e->hdr.flags |= TR_JIT_NAME_TRUNC;
		n = 0;
	} else if (n > 0) {
		n--;	/* the NUL */
	}
	/* a full buffer: is there more? */
	if (n == TR_JIT_NAME_MAX - 1 &&
	    (user_read(&next, 1, (__u64)(name + TR_JIT_NAME_MAX - 1), NULL) || next))
		e->hdr.flags |= TR_JIT_NAME_TRUNC;
	n &= TR_JIT_NAME_MAX - 1;
	e->name_len = n;
	e->hdr.size = TR_JIT_FIXED + n;
	submit(e, sizeof(*e));
	return 0;
}

#endif /* TRACER_JIT_BPF_H */
