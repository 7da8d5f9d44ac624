/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * GC collections and imports, as slices (TR_EV_RUNTIME). Included once, by
 * bpf/tracer.bpf.c, at the end: it uses proc_cfg_at (procs.bpf.h), the
 * coverage bootstrap's hiding (coverage.bpf.h) and the off-window check of
 * uretprobes armed before the switch (tracer.bpf.c).
 */
#ifndef TRACER_RUNTIME_BPF_H
#define TRACER_RUNTIME_BPF_H

/*
 * Slices on the thread that runs them (TR_EV_RUNTIME). Where the build has
 * USDT probes, python:gc__start/gc__done bracket the collector and
 * python:import__find__load__start/done an import that finds and loads a
 * module (not one already in sys.modules). Elsewhere a uprobe + uretprobe
 * pair sits on the collector (gc_collect_main, or collect and its GCC
 * clones) and on PyImport_ImportModuleLevelObject, which every import
 * statement calls; userspace keeps only the statements inside which
 * importlib's _find_and_load ran (user/analysis/analyzer.c), the same loads the
 * USDT probe reports. The attachment's BPF cookie says what the probed
 * function is (TR_RT_* kind, and where the generation is).
 */
static __always_inline struct tr_ev_runtime *runtime_event(__u64 pid_tgid, __u32 instance,
							   __u8 kind,
							   __u8 flags, __s64 value)
{
	struct tr_ev_runtime *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return NULL;
	}
	fill_hdr(&e->hdr, TR_EV_RUNTIME, sizeof(*e), pid_tgid, instance);
	e->hdr.flags = flags;
	e->kind = kind;
	e->name_enc = 0;
	e->pad = 0;
	e->name_len = 0;
	e->value = value;
	return e;
}

/* a slice of KIND begins or ends (no name); COOKIE and IP: see proc_cfg_at */
static __always_inline int runtime_mark(__u8 kind, __u8 flags, __s64 value, __u64 cookie,
					__u64 ip)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, cookie, ip);
	struct tr_ev_runtime *e;

	if (!cfg || hidden_runtime(cfg))
		return 0;
	e = runtime_event(pid_tgid, cfg->instance, kind, flags, value);
	if (e)
		submit(e, sizeof(*e));
	return 0;
}

SEC("usdt")
int BPF_USDT(usdt_gc_start, int generation)
{
	return runtime_mark(TR_RT_GC, 0, generation, USDT_COOKIE(ctx), PT_REGS_IP(ctx));
}

SEC("usdt")
int BPF_USDT(usdt_gc_done, long collected)
{
	return runtime_mark(TR_RT_GC, TR_RT_END, collected, USDT_COOKIE(ctx), 0);
}

SEC("usdt")
int BPF_USDT(usdt_import_start, __u64 modname)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, USDT_COOKIE(ctx), PT_REGS_IP(ctx));
	struct tr_ev_runtime *e;
	long n;

	if (!cfg || hidden_runtime(cfg))
		return 0;
	e = runtime_event(pid_tgid, cfg->instance, TR_RT_IMPORT, 0, -1);
	if (!e)
		return 0;
	n = bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)modname);
	if (n > 0) {
		e->name_enc = TR_STR_UTF8;
		e->name_len = n - 1;
		if (n == sizeof(e->name))
			e->hdr.flags |= TR_RT_NAME_TRUNC;
	} else {
		drop(TR_DROP_READ_FAIL);	/* the slice stays, unnamed */
	}
	submit(e, sizeof(*e));
	return 0;
}

SEC("usdt")
int BPF_USDT(usdt_import_done, __u64 modname, int found)
{
	return runtime_mark(TR_RT_IMPORT, TR_RT_END, found ? 1 : 0, USDT_COOKIE(ctx), 0);
}

/* entry of the collector or of PyImport_ImportModuleLevelObject */
SEC("uprobe")
int runtime_entry(struct pt_regs *ctx)
{
	__u32 was = live_now();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, cookie, PT_REGS_IP(ctx));
	__u8 kind = cookie & 0xff, gen = (cookie >> 8) & 0xff, flags = 0;
	struct task_struct *task;
	struct uprobe_task *ut;
	struct tr_ev_runtime *e;
	int trunc = 0;
	__s64 value;

	if (!cfg) {
		if (kind != TR_RT_GC_GENERATION)	/* (no uretprobe there) */
			off_window_call(was);
		return 0;
	}
	if (hidden_runtime(cfg))
		return 0;
	/* ctx offsets must be constant: read them all, then choose */
	__u64 a0 = PT_REGS_PARM1(ctx), a1 = PT_REGS_PARM2(ctx), a2 = PT_REGS_PARM3(ctx);
	__u64 a3 = PT_REGS_PARM4(ctx), a4 = PT_REGS_PARM5(ctx);
	if (kind == TR_RT_IMPORT) {
		/* (name, globals, locals, fromlist, level) */
		value = (int)a4;
		flags |= TR_RT_STATEMENT;
	} else {
		value = gen == 0 ? (int)a0 : gen == 1 ? (int)a1 : gen == 2 ? (int)a2
		      : gen == 3 ? (int)a3 : gen == 4 ? (int)a4
		      : (gen >= 0x10 && gen < 0x20) ? gen - 0x10 : -1;
		if (kind == TR_RT_GC_GENERATION)
			return runtime_mark(TR_RT_GC, TR_RT_GENERATION, value, cookie, 0);
		if (value == -1 && gen != TR_RT_GEN_UNKNOWN && (cookie & TR_RT_COOKIE_GEN_SITE))
			flags |= TR_RT_GEN_LATER;
	}
	task = bpf_get_current_task_btf();
	ut = task->utask;
	if (ut && ut->depth >= uretprobe_max_depth)
		flags |= TR_RT_END_UNPROBED;
	e = runtime_event(pid_tgid, cfg->instance, kind, flags, value);
	if (!e)
		return 0;
	if (kind == TR_RT_IMPORT) {
		e->name_enc = read_unicode(&cfg->layout, a0, e->name, sizeof(e->name),
					   &e->name_len, &trunc, NULL);
		if (trunc)
			e->hdr.flags |= TR_RT_NAME_TRUNC;
	}
	submit(e, sizeof(*e));
	return 0;
}

/* the return of the function runtime_entry saw entering (attached to the
 * same process, after it; see TR_RT_END_UNPROBED for deep stacks) */
SEC("uretprobe")
int runtime_exit(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), kind = cookie & 0xff;
	__s64 rc = PT_REGS_RC(ctx);

	if (off_window_return())
		return 0;
	/* the collector returns the unreachable objects it found; the import
	 * function the module, or NULL with an exception set */
	return runtime_mark(kind, TR_RT_END, kind == TR_RT_IMPORT ? rc != 0 : rc, cookie, 0);
}

#endif
