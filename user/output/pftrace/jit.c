// SPDX-License-Identifier: MIT
/*
 * JIT registrations (TR_EV_JIT) in the Perfetto trace: an instant event
 * per compiled unit on its process's track, category "jit", named as
 * registered, with its address and size (and the registering thread,
 * whether it was written before the attach, read from the perf map then,
 * and "source": "jitdump" for a jitdump's code loads) as arguments.
 */
#include <string.h>
#include "output/pftrace/fields.h"
#include "output/pftrace/internal.h"
#include "output/sinks.h"

/* JIT code registered: an instant on its process's track (absolute time:
 * the thread sequences' clocks are incremental) */
int pf_jit(struct sink *s, const struct jit_rec *r)
{
	struct pftrace_sink *ps = (struct pftrace_sink *)s;
	struct pb_writer *pb = &ps->pb;
	size_t t = pf_packet(ps, SEQ_GLOBAL), m;

	pb__uint(pb, TP_TIMESTAMP, r->ts);
	m = pb__begin(pb, TP_TRACK_EVENT);
	pb__uint(pb, TE_TYPE, TYPE_INSTANT);
	pb__uint(pb, TE_TRACK_UUID, pf_proc_uuid(ps, r->pid));
	pb__string(pb, TE_CATEGORIES, "jit");
	pf_text(pb, TE_NAME, r->name ? r->name : "", r->name ? strlen(r->name) : 0);
	pf_arg_uint(pb, "address", r->addr);
	pf_arg_uint(pb, "size", r->size);
	pf_arg_uint(pb, "tid", r->tid);
	if (r->source == JIT_SRC_JITDUMP)
		pf_arg_str(pb, "source", "jitdump", 7);
	if (r->flags & JIT_REC_BEFORE_ATTACH)
		pf_arg_uint(pb, "before_attach", 1);
	if (r->flags & JIT_REC_NAME_TRUNC)
		pf_arg_uint(pb, "name_truncated", 1);
	pb__end(pb, m);
	return pf_packet_end(ps, t);
}
