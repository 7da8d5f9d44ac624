/* SPDX-License-Identifier: MIT */
/* The sampler's part for free-threaded builds (3.14t), included by
 * bpf/sample.bpf.h: a frame measured in its thread's own copy of the
 * bytecode. */
#ifndef TRACER_SAMPLE_TLBC_BPF_H
#define TRACER_SAMPLE_TLBC_BPF_H

/*
 * A free-threaded build's frame (3.14t) runs its thread's copy of its
 * code's bytecode: co_tlbc->entries[tlbc_index] of the code object
 * (_PyFrame_GetBytecode). Entry 0 is co_code_adaptive itself, which the
 * walk's frame_offset measures from; the others are made for each thread
 * that specializes (every thread but the first, by default). This loop,
 * after the walk, reads each recorded frame's tlbc_index and instruction
 * pointer again (the walk keeps the frames' addresses) and measures a frame
 * in another copy from that copy. Not in the walk itself: its bpf_loop
 * callback is explored again for each of its branches, and there these
 * reads (even two stores) pushed sample_wall's verification from 713k
 * instructions to 951k, past its limit of 1M with the reads. For --wall the
 * thread may have moved on in between: its instruction is read a moment
 * after its frame was walked, as the walk's own reads of a running thread
 * are (see wall_walk).
 */
struct tlbc_fix {
	struct task_struct *task;	/* whose memory: see user_read */
	__u32 cpu;
	__u32 n;		/* frames recorded */
	__s16 code_tlbc;	/* layout: co_tlbc, the frame's tlbc_index and instr_ptr */
	__s16 frame_tlbc_index;
	__s16 frame_instr;
};

static __always_inline long tlbc_fix_of(__u32 i, struct tlbc_fix *x, struct task_struct *task)
{
	struct sample_slot *slot = bpf_map_lookup_elem(&sample_slots, &x->cpu);
	struct tr_sample_frame *f;
	__u64 arr = 0, size = 0, first = 0, instr = 0, frame;
	__u32 k = i & (TR_SAMPLE_FRAMES_MAX - 1), idx = 0;

	if (!slot || i >= x->n)
		return 1;
	f = &slot->ev.frames[k];
	frame = slot->addrs[k];
	if (user_read(&idx, sizeof(idx), frame + x->frame_tlbc_index, task)) {
		f->offset = TR_SAMPLE_NO_OFFSET;
		return 0;
	}
	if (!idx)
		return 0;	/* entry 0: measured by the walk */
	if (idx >= 0x10000 || read_ptr(frame + x->frame_instr, &instr, task) || read_ptr(f->code + x->code_tlbc, &arr, task) || !arr ||
	    read_ptr(arr, &size, task) || idx >= size ||
	    read_ptr(arr + 8 + (__u64)idx * 8, &first, task) || !first ||
	    instr < first || instr - first >= (1 << 28))
		f->offset = TR_SAMPLE_NO_OFFSET;
	else
		f->offset = instr - first;
	return 0;
}

/* its bpf_loop callbacks, as sample_step's */
static long tlbc_fix(__u32 i, void *data)
{
	return tlbc_fix_of(i, data, NULL);
}

static long tlbc_fix_task(__u32 i, void *data)
{
	struct tlbc_fix *x = data;

	return tlbc_fix_of(i, x, x->task);
}

#endif /* TRACER_SAMPLE_TLBC_BPF_H */
