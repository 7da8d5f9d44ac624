/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* --lines (bpf/sample.bpf.h): the line table of each code object a sample
 * met for the first time, sent in TR_EV_LINETABLE chunks after the walk
 * (user/analysis/sample_lines.c turns them into line numbers). Included
 * once, by bpf/sample.bpf.h, after the walk's slots. */
#ifndef TRACER_SAMPLE_LINES_BPF_H
#define TRACER_SAMPLE_LINES_BPF_H

struct linetable_send {
	struct task_struct *task;	/* whose memory: see user_read */
	__u64 pid_tgid;
	__u32 instance;
	__u32 cpu;
	__u32 n_new;
	__s16 linetable;	/* layout: the code's line table field */
	__s16 bytes_size;	/* layout: a bytes object's ob_size, ob_sval */
	__s16 bytes_sval;
};

/*
 * Chunk I % TR_LINETABLE_CHUNKS of the line table of new identity I /
 * TR_LINETABLE_CHUNKS. Chunk 0 always goes (a table too long or unreadable
 * is said by its flags); a lost chunk makes the identity be forgotten,
 * so that a later sample sends it again with its whole table.
 */
static __always_inline long linetable_step_of(__u32 i, struct linetable_send *ls,
					      struct task_struct *task)
{
	__u32 k = i / TR_LINETABLE_CHUNKS, c = i % TR_LINETABLE_CHUNKS, off, len, n;
	struct sample_slot *slot = bpf_map_lookup_elem(&sample_slots, &ls->cpu);
	struct sample_new_code *nc;
	struct tr_ev_linetable *e;
	__u64 size = 0;

	if (!slot || k >= ls->n_new)
		return 1;
	nc = &slot->new_codes[k & (SAMPLE_NEW_CODES_MAX - 1)];
	if (!c) {
		nc->flags = 0;
		nc->total = 0;
		if (ls->linetable < 0 ||
		    read_ptr(nc->code + ls->linetable, &nc->table, task) || !nc->table ||
		    read_ptr(nc->table + ls->bytes_size, &size, task))
			nc->flags = TR_LINETABLE_UNREADABLE;
		else if (size > TR_LINETABLE_MAX)
			nc->flags = TR_LINETABLE_TOO_LONG;
		else
			nc->total = size;
		if (nc->flags)
			nc->total = size > 0xffffffffULL ? 0xffffffff : size;
	}
	off = c * TR_LINETABLE_CHUNK;
	if (c && (nc->flags || off >= nc->total))
		return 0;
	len = nc->flags || off >= nc->total ? 0 : nc->total - off;
	if (len > TR_LINETABLE_CHUNK)
		len = TR_LINETABLE_CHUNK;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		forget_code(ls->pid_tgid, ls->instance, nc->code);
		nc->flags = TR_LINETABLE_UNREADABLE;	/* stop sending this one */
		return 0;
	}
	fill_hdr(&e->hdr, TR_EV_LINETABLE, TR_LINETABLE_HDR_SIZE + len, ls->pid_tgid,
		 ls->instance);
	e->hdr.flags = nc->flags;
	e->code = nc->code;
	e->total = nc->total;
	e->offset = off;
	e->pad = 0;
	/* 1..TR_LINETABLE_CHUNK bytes, in a form the verifier can bound */
	n = len - 1;
	barrier_var(n);
	n = (n & (TR_LINETABLE_CHUNK - 1)) + 1;
	if (len > TR_LINETABLE_CHUNK ||
	    (len && user_read(e->data, n, nc->table + ls->bytes_sval + off, task))) {
		/* the table cannot be had whole now (a page not in memory can be
		 * later): its lines are unknown, and its identity is forgotten
		 * so that a later sample sends it again */
		forget_code(ls->pid_tgid, ls->instance, nc->code);
		e->hdr.flags |= TR_LINETABLE_UNREADABLE;
		e->hdr.size = TR_LINETABLE_HDR_SIZE;
		len = 0;
		nc->flags = TR_LINETABLE_UNREADABLE;
	}
	e->len = len;
	submit(e, sizeof(*e));
	return 0;
}

/* the bpf_loop callbacks of linetable_step_of, as for sample_step */
static long linetable_step(__u32 i, void *data)
{
	return linetable_step_of(i, data, NULL);
}

static long linetable_step_task(__u32 i, void *data)
{
	struct linetable_send *ls = data;

	return linetable_step_of(i, ls, ls->task);
}
#endif /* TRACER_SAMPLE_LINES_BPF_H */
