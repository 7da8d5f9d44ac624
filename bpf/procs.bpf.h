/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * System-wide sessions (-a): which processes are traced, decided here.
 *
 * Userspace attaches each interpreter file's probes once, with pid -1: the
 * kernel then installs them in every process that maps the file, including
 * processes started later, from their first instruction (uprobes are per
 * inode; a USDT semaphore is raised in each new mm as it maps the file).
 * What a new process lacks is only its `procs` entry. The first probe hit
 * in it makes one:
 *
 *  - the probe's BPF cookie names the file (its upper 32 bits: bin_id), and
 *    `bins[bin_id]` holds the file's configuration with ELF virtual
 *    addresses (struct tr_bin_cfg);
 *  - the load bias comes from the mapping of the probed instruction
 *    (bpf_find_vma): the file's offset 0 sits at vm_start - vm_pgoff *
 *    PAGE_SIZE, and the probed segment's p_vaddr - p_offset (text_delta)
 *    turns that into the bias any address of the file is relocated by;
 *  - the filters (--comm, --cgroup, --exclude-pid) are applied; a process
 *    they leave out gets an entry flagged TR_PROC_IGNORED, so each later
 *    hit costs one lookup;
 *  - a session-unique instance id is drawn (a PID may be reused, an
 *    instance never is) and a TR_EV_PROC record sent before any event of
 *    the process, so userspace describes it before its first call.
 *
 * So a process of an already probed file is traced exactly from its first
 * call, with no userspace round trip. Only a file seen for the first time
 * waits for userspace to analyse and probe it (TR_EV_EXEC notices every
 * exec, user/sw_session.c looks).
 *
 * Processes end at sched_process_exit (the last thread) or at an exec into
 * another image: the entry is deleted and a TR_EV_EXIT sent. It follows
 * every event of the instance in the ring buffer (their reservations came
 * first), so userspace closes the process's open calls at that time.
 *
 * Two attachments of one file (an overlayfs path and its lower file are
 * two inodes to userspace but one to the uprobe layer) both hit: only the
 * one whose bin_id made the entry reports, the other returns.
 *
 * Included once, by bpf/tracer.bpf.c, after bpf/pyobj.bpf.h and
 * bpf/coverage.bpf.h.
 */
#ifndef TRACER_PROCS_BPF_H
#define TRACER_PROCS_BPF_H

/* ---- knobs, set by userspace before load ----------------------------- */
const volatile bool system_wide = false;
/* -p and launch sessions: follow the process into a new image of the same
 * interpreter file (its pid-filtered probes stay armed across the exec:
 * the kernel arms them in each new mm of the task that maps the file);
 * bins[0] holds the file's template (see the exec comment below) */
const volatile bool solo_follow = false;
#define COMM_FILTERS_MAX 8
const volatile __u32 comm_filters = 0;	/* --comm given: how many names */
const volatile char comm_filter[COMM_FILTERS_MAX][16] = {};
const volatile bool cgroup_filter_on = false;	/* --cgroup */
/*
 * The session's process tree (-p or launch):
 *  - tree_filter (--subprocesses): the -a machinery, with proc_wanted()
 *    true only for processes of the tree: the root (the launched or
 *    attached process) and every process forked from one of the tree, as
 *    proc_fork adds them (before the child runs: its first probe hit finds
 *    it there);
 *  - tree_watch (without --subprocesses): the tree is kept the same way, and
 *    its forks and execs told to userspace (TR_EV_FORK, TR_EV_EXEC), which
 *    counts the Python child processes left untraced
 *    (user/capture/children.c).
 * A process leaves the tree when it exits.
 */
const volatile bool tree_filter = false;
const volatile bool tree_watch = false;

/* --cgroup: the cgroup v2 directory (index 0) processes must be under */
/* writer: user/capture/sw_filter.c, before attach */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* --exclude-pid (host tgids); the tracer adds itself */
/* writer: user/capture/sw_filter.c, before attach */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} excluded_pids SEC(".maps");

/* the session's process tree (host tgids), see tree_filter */
/* writers: user/capture/sw_tree.c (the root, and the descendants running at
 * attach), proc_fork and proc_exit below */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} tree_pids SEC(".maps");

/* per interpreter file, by bin_id */
/* writer: user/capture/sw_bins.c, before the file's probes are attached */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TR_BINS_MAX);
	__type(key, __u32);
	__type(value, struct tr_bin_cfg);
} bins SEC(".maps");

/* scratch for a new entry (too big for the stack with the rest) */
/* written by BPF only (per-CPU scratch) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tr_proc_cfg);
} new_proc SEC(".maps");

/* the last instance id drawn; userspace draws its own from the same
 * counter (an atomic add on the mmapped .bss) */
__u32 last_instance;
/* processes a filter left out, execs noticed; forks into the tree the
 * full tree_pids could not hold (said: children not followed) */
__u64 procs_ignored, execs_seen, tree_full;
/* -p and launch: the traced process exec'd (its entry ended then); a
 * later hit without an entry is no loss to count */
__u32 solo_execd;

static __always_inline __u32 draw_instance(void)
{
	return __sync_fetch_and_add(&last_instance, 1) + 1;
}

struct vma_base {
	__u64 base;	/* where the file's offset 0 is mapped */
	bool found;
};

static long vma_base_of(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_base *b = data;

	b->base = vma->vm_start - (vma->vm_pgoff << 12);
	b->found = true;
	return 0;
}

/* does the process of TASK pass the filters? */
static __always_inline bool proc_wanted(struct task_struct *task, __u32 pid)
{
	char comm[16];
	bool match;

	if (bpf_map_lookup_elem(&excluded_pids, &pid))
		return false;
	if (tree_filter && !bpf_map_lookup_elem(&tree_pids, &pid))
		return false;
	if (cgroup_filter_on && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	if (!comm_filters)
		return true;
	if (bpf_probe_read_kernel(comm, sizeof(comm), task->group_leader->comm))
		return false;
	for (int f = 0; f < COMM_FILTERS_MAX; f++) {
		if (f >= comm_filters)
			break;
		match = true;
		for (int i = 0; i < 16; i++) {
			if (comm[i] != comm_filter[f][i]) {
				match = false;
				break;
			}
			if (!comm[i])
				break;
		}
		if (match)
			return true;
	}
	return false;
}

/* the TR_EV_PROC of a new instance of the current process */
static __always_inline void emit_proc(__u64 pid_tgid, const struct tr_proc_cfg *cfg, __u64 bias)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *leader = task->group_leader;
	struct pid *tp = BPF_CORE_READ(leader, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level);
	struct tr_ev_proc *e;
	int nr = 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return;
	}
	fill_hdr(&e->hdr, TR_EV_PROC, sizeof(*e), pid_tgid, cfg->instance);
	bpf_probe_read_kernel(&nr, sizeof(nr), &tp->numbers[level & 15].nr);
	e->bin_id = cfg->bin_id;
	e->ns_pid = nr;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->start_ns = BPF_CORE_READ(leader, start_time);
	e->bias = bias;
	submit(e, sizeof(*e));
}

/*
 * The first hit of a probe of file BIN_ID at instruction IP in a process
 * without an entry: make its entry (see the top comment). 0 when there is
 * one now (made here or by another of its threads meanwhile).
 */
static __noinline int proc_instantiate(__u64 pid_tgid, __u32 bin_id, __u64 ip)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vma_base vb = {};
	struct tr_bin_cfg *bin;
	struct tr_proc_cfg *cfg;
	__u32 pid = pid_tgid >> 32, zero = 0;
	__u64 bias;
	long err;

	bin = bpf_map_lookup_elem(&bins, &bin_id);
	cfg = bpf_map_lookup_elem(&new_proc, &zero);
	if (!bin || !cfg) {
		drop(TR_DROP_NO_CONFIG);
		return -1;
	}
	if (bpf_find_vma(task, ip, vma_base_of, &vb, 0) || !vb.found) {
		drop(TR_DROP_READ_FAIL);
		return -1;
	}
	bias = vb.base - bin->text_delta;
	__builtin_memcpy(cfg, &bin->cfg, sizeof(*cfg));
	if (cfg->tstate_ptr_addr)
		cfg->tstate_ptr_addr += bias;
	if (cfg->shim_code)
		cfg->shim_code += bias;
	if (cfg->tss_key_addr)
		cfg->tss_key_addr += bias;
	cfg->bin_id = bin_id;
	cfg->walk_running = 1;
	cfg->proc_flags = proc_wanted(task, pid) ? 0 : TR_PROC_IGNORED;
	cfg->instance = cfg->proc_flags ? 0 : draw_instance();
	err = bpf_map_update_elem(&procs, &pid, cfg, BPF_NOEXIST);
	if (err == -EEXIST)
		return 0;	/* another thread was first */
	if (err) {
		drop(TR_DROP_MAP_FULL);
		return -1;
	}
	if (cfg->proc_flags & TR_PROC_IGNORED)
		__sync_fetch_and_add(&procs_ignored, 1);
	else
		emit_proc(pid_tgid, cfg, bias);
	return 0;
}

/*
 * The configuration of the current process for a probe with COOKIE (0
 * outside -a). IP: the probed instruction of an entry-side probe, which
 * may make the entry of a process not seen yet; 0 for a return-side probe
 * (a return without its call: nothing to report). NULL too while the
 * session's switch is not on (bpf/ringbuf.bpf.h).
 */
static __always_inline struct tr_proc_cfg *proc_cfg_at(__u64 pid_tgid, __u64 cookie, __u64 ip)
{
	__u32 pid = pid_tgid >> 32, bin_id = cookie >> 32;
	struct tr_proc_cfg *cfg;

	if (!session_live())
		return NULL;
	cfg = bpf_map_lookup_elem(&procs, &pid);
	if (!system_wide) {
		if (cfg)
			return cfg;
		/* after an exec of the traced process: its first entry-side hit
		 * in the same file makes its new entry, as under -a */
		if (solo_execd) {
			if (!solo_follow || !ip || proc_instantiate(pid_tgid, 0, ip))
				return NULL;
			return bpf_map_lookup_elem(&procs, &pid);
		}
		drop(TR_DROP_NO_CONFIG);
		return NULL;
	}
	if (!cfg) {
		if (!ip || proc_instantiate(pid_tgid, bin_id, ip))
			return NULL;
		cfg = bpf_map_lookup_elem(&procs, &pid);
		if (!cfg)
			return NULL;
	}
	if ((cfg->proc_flags & TR_PROC_IGNORED) || cfg->bin_id != bin_id)
		return NULL;
	return cfg;
}

/* The instance of process PID ends (FLAGS: TR_EXIT_*) */
static __always_inline void end_instance(__u32 pid, __u32 tid, __u8 flags)
{
	struct tr_proc_cfg *cfg = bpf_map_lookup_elem(&procs, &pid);
	struct tr_ev_exit *e;

	if (!cfg)
		return;
	if (!(cfg->proc_flags & TR_PROC_IGNORED)) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			fill_hdr(&e->hdr, TR_EV_EXIT, sizeof(*e), (__u64)pid << 32 | tid,
				 cfg->instance);
			e->hdr.flags = flags;
			submit(e, sizeof(*e));
		} else {
			drop(TR_DROP_RINGBUF_FULL);	/* userspace sees it by the pid later */
		}
	}
	bpf_map_delete_elem(&procs, &pid);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = p->tgid, tid = p->pid;
	struct thread_state *ts;
	struct tr_ev_exec *e;

	/* -p, launch: only the traced process has an entry (its children
	 * have none); its instance ends, a hit in the new image makes the
	 * next one if the session follows (proc_cfg_at). A child of the
	 * tree is only told (tree_watch). */
	if (system_wide || bpf_map_lookup_elem(&procs, &pid)) {
		end_instance(pid, tid, TR_EXIT_EXEC);
		if (!system_wide)
			solo_execd = 1;
		/* the task (and its storage) lives on into the new image */
		ts = bpf_task_storage_get(&threads, p, 0, 0);
		if (ts) {
			ts->seen = 0;
			ts->hide_depth = 0;
			ts->hide_top = 0;
		}
		__sync_fetch_and_add(&execs_seen, 1);
	}
	if (tree_watch ? !bpf_map_lookup_elem(&tree_pids, &pid)
		       : !system_wide || !proc_wanted(p, pid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&e->hdr, TR_EV_EXEC, sizeof(*e), (__u64)pid << 32 | tid, 0);
	e->start_ns = p->group_leader->start_time;
	if (bpf_probe_read_kernel_str(e->file, sizeof(e->file), BPF_CORE_READ(bprm, filename)) < 0)
		e->file[0] = 0;
	submit(e, sizeof(*e));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p, bool group_dead)
{
	__u32 pid = p->tgid;

	if (system_wide && group_dead)
		end_instance(pid, p->pid, 0);
	if ((tree_filter || tree_watch) && group_dead)
		bpf_map_delete_elem(&tree_pids, &pid);
	return 0;
}

/*
 * A new process forked by one of the session's tree (tree_filter,
 * tree_watch) joins the tree, before it runs: under --subprocesses its
 * first probe hit (the probes of its parent's file are in its copy of the
 * address space) makes its entry, traced from its first call after the
 * fork. A new thread (same tgid) is no new process.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid, pid = child->tgid;
	struct tr_ev_fork *e;
	__u8 one = 1;

	if (pid == ppid || !bpf_map_lookup_elem(&tree_pids, &ppid))
		return 0;
	if (bpf_map_update_elem(&tree_pids, &pid, &one, BPF_ANY)) {
		__sync_fetch_and_add(&tree_full, 1);
		return 0;
	}
	if (!tree_watch)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return 0;
	}
	fill_hdr(&e->hdr, TR_EV_FORK, sizeof(*e), (__u64)pid << 32 | child->pid, 0);
	if (child->mm == parent->mm)
		e->hdr.flags = TR_FORK_SHARED_VM;
	e->ppid = ppid;
	e->pad = 0;
	submit(e, sizeof(*e));
	return 0;
}

#endif /* TRACER_PROCS_BPF_H */
