// SPDX-License-Identifier: MIT
/*
 * Processes in the Perfetto trace: a process track per process (its
 * threads' tracks under it), named as every output names a process
 * (user/model/proc_label.h), with an instant at its attach saying what is traced
 * and how exactly, and one at its end (exit, exec, or an exit not seen).
 *
 * A pid can be reused in a system-wide session: a process whose pid an
 * earlier, ended, process had gets tracks of its own (uuids from
 * PF_REUSED_UUID up, pftrace_int.h), and so do its threads: the earlier
 * process's threads are forgotten at its end, their sampled slices closed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/pftrace/fields.h"
#include "output/pftrace/internal.h"
#include "model/proc_label.h"
#include "cpython/pyversion.h"
#include "output/sinks.h"
#include "model/strategy.h"

uint64_t pf_proc_uuid(struct pftrace_sink *ps, uint32_t pid)
{
	struct pf_proc *p = hashmap__get(ps->procs, pid);

	return p ? p->uuid : (uint64_t)pid << 32;
}

uint64_t pf_thread_uuid(struct pftrace_sink *ps, uint32_t pid, uint32_t tid)
{
	struct pf_proc *p = hashmap__get(ps->procs, pid);

	if (p && p->uuid >= PF_REUSED_UUID)
		return ps->next_uuid++;
	return (uint64_t)pid << 32 | tid;
}

/* an instant on process PID's track at TS, named NAME; its arguments follow
 * (close with pf_instant_end) */
static size_t pf_instant(struct pftrace_sink *ps, uint32_t pid, uint64_t ts, const char *name,
			 size_t *m)
{
	struct pb_writer *pb = &ps->pb;
	size_t t = pf_packet(ps, SEQ_GLOBAL);

	pb__uint(pb, TP_TIMESTAMP, ts);
	*m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, TYPE_INSTANT);
	pb__uint(pb, TE_TRACK_UUID, pf_proc_uuid(ps, pid));
	pb__string(pb, TE_CATEGORIES, "tracer");
	pb__string(pb, TE_NAME, name);
	return t;
}

static int pf_instant_end(struct pftrace_sink *ps, size_t t, size_t m)
{
	pb__end(&ps->pb, m);
	return pf_packet_end(ps, t);
}

int pf_process(struct sink *s, const struct in_process *p)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	struct pf_proc *pp = hashmap__get(ps->procs, p->pid);
	struct pb_writer *pb = &ps->pb;
	uint32_t nw = p->n_warnings < IN_MAX_WARNINGS ? p->n_warnings : IN_MAX_WARNINGS;
	char ver[16], label[1024];
	const char *name;
	size_t t, m, d;

	/* the process track (described again when told again: the same
	 * process; new tracks for a new process with the pid) */
	if (!pp) {
		pp = calloc(1, sizeof(*pp));
		if (!pp || hashmap__set(ps->procs, p->pid, pp)) {
			free(pp);
			return -ENOMEM;
		}
		pp->uuid = (uint64_t)p->pid << 32;
	} else if (pp->ended) {
		pp->uuid = ps->next_uuid++;
		pp->ended = false;
	}
	pyversion__format(p->version_hex, ver, sizeof(ver));
	t = pf_packet(ps, SEQ_GLOBAL);
	m = pb__begin(pb, TP_TRACK_DESCRIPTOR);
	pb__uint(pb, TD_UUID, pp->uuid);
	d = pb__begin(pb, TD_PROCESS);
	pb__uint(pb, PD_PID, p->pid);
	name = proc_label__name(p, label, sizeof(label));
	pf_text(pb, PD_PROCESS_NAME, name, strlen(name));
	pb__end(pb, d);
	pb__end(pb, m);
	pf_packet_end(ps, t);
	/* what is traced and how exactly, at the attach, on the process track */
	snprintf(label, sizeof(label), "tracer: python %s, strategy %s, %u warning%s", ver,
		 strategy__name(p->strategy), nw, nw == 1 ? "" : "s");
	t = pf_instant(ps, p->pid, p->attach_ts, label, &m);
	pf_arg_str(pb, "python", ver, strlen(ver));
	pf_arg_str(pb, "strategy", strategy__name(p->strategy), strlen(strategy__name(p->strategy)));
	pf_arg_str(pb, "exe", p->exe, strnlen(p->exe, sizeof(p->exe)));
	pf_arg_str(pb, "lib", p->lib, strnlen(p->lib, sizeof(p->lib)));
	if (p->ns_pid)
		pf_arg_uint(pb, "ns_pid", p->ns_pid);
	if (p->cgroup[0])
		pf_arg_str(pb, "cgroup", p->cgroup, strnlen(p->cgroup, sizeof(p->cgroup)));
	pf_arg_warnings(pb, p->warnings, nw);
	return pf_instant_end(ps, t, m);
}

struct pf_end_ctx {
	struct pftrace_sink *ps;
	int err;
};

static void pf_thread_end(void *ctx, void *t)
{
	struct pf_end_ctx *c = ctx;
	int err = pf_close_thread_samples(c->ps, t);

	if (err && !c->err)
		c->err = err;
	pf_thread_free(t);
}

int pf_process_end(struct sink *s, const struct proc_end_rec *e)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	struct pf_proc *pp = hashmap__get(ps->procs, e->pid);
	struct pf_end_ctx c = { ps, 0 };
	size_t t, m;

	hashmap__del_upper(ps->threads, e->pid, pf_thread_end, &c);
	ps->last = NULL;
	if (!pp)
		return c.err;
	t = pf_instant(ps, e->pid, e->ts, e->flags & PROC_END_UNSEEN ?
		       "tracer: exit not seen (last seen then)" :
		       e->flags & PROC_END_EXEC ? "tracer: exec" : "tracer: exit", &m);
	pp->ended = true;
	int err = pf_instant_end(ps, t, m);

	return c.err ? c.err : err;
}
