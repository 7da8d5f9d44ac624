/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Reading CPython objects of a traced process: its configuration (layout,
 * strategy), code object identities (sent once per identity, see the top
 * comment of bpf/tracer.bpf.c), frames and thread states, str objects.
 * Included once, by bpf/tracer.bpf.c, after bpf/ringbuf.bpf.h.
 */
#ifndef TRACER_PYOBJ_BPF_H
#define TRACER_PYOBJ_BPF_H

/* per traced process (host tgid): layout and strategy */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct tr_proc_cfg);
} procs SEC(".maps");

struct code_key {
	__u32 pid;
	__u32 pad;
	__u64 code;
};

/* what identifies a code object's identity cheaply (no string reads) */
struct code_fp {
	__u64 name;
	__u64 filename;
	__u32 firstlineno;
	__s32 co_flags;		/* not part of the identity: cached with it */
};

/* a bit of the cached co_flags no CPython flag uses: a function of the
 * coverage bootstrap, whose frames are hidden (see bpf/coverage.bpf.h) */
#define CO_TRACER_HIDDEN ((__s32)0x80000000)

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct code_key);
	__type(value, struct code_fp);
} code_cache SEC(".maps");

/* scratch space for the identity span of a code object */
struct fp_scratch {
	__u8 buf[2 * TR_FP_SPAN_MAX];
	__u64 words[2 * TR_FR_WORDS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_scratch);
} scratch SEC(".maps");

static __always_inline int read_ptr(__u64 addr, __u64 *out)
{
	*out = 0;
	return bpf_probe_read_user(out, sizeof(*out), (const void *)addr);
}

/*
 * Copy a compact str object's characters (raw, in its kind) into DST.
 * Returns the encoding byte (kind | TR_STR_ASCII), 0 when unreadable.
 */
static __always_inline __u8 read_unicode(const struct tr_py_layout *L, __u64 obj,
					 char *dst, __u32 cap, __u32 *len_out,
					 int *truncated)
{
	__s64 length = 0;
	__u32 state = 0, kind;
	__u64 data, n;

	*len_out = 0;
	if (!obj || L->unicode_length < 0 || L->unicode_state < 0)
		return 0;
	if (bpf_probe_read_user(&length, sizeof(length), (void *)(obj + L->unicode_length)) ||
	    bpf_probe_read_user(&state, sizeof(state), (void *)(obj + L->unicode_state)))
		return 0;
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || (kind != 1 && kind != 2 && kind != 4) ||
	    length < 0 || length > 0x7fffffff)
		return 0;	/* not a compact string: not a code object's name */
	if ((state >> 6) & 1)
		data = obj + L->unicode_ascii_size;
	else
		data = obj + L->unicode_compact_size;
	*len_out = length;
	n = (__u64)length * kind;
	if (n > cap) {
		n = cap;
		*truncated = 1;
	}
	barrier_var(n);
	if (n > cap)
		return 0;
	if (bpf_probe_read_user(dst, n, (void *)data))
		return 0;
	return kind | (((state >> 6) & 1) ? TR_STR_ASCII : 0);
}

/*
 * Make sure userspace knows the identity of CODE: send a TR_EV_CODE when the
 * code_cache entry for this address is missing or differs. 0 when the
 * identity was known to userspace, 1 when it has just been sent (a new
 * identity), -1 when it could not be sent (counted).
 */
static __always_inline int ensure_code(struct tr_proc_cfg *cfg, __u64 pid_tgid,
				       __u64 code, __s32 *co_flags)
{
	const struct tr_py_layout *L = &cfg->layout;
	struct code_key key = { .pid = pid_tgid >> 32, .code = code };
	struct code_fp fp = {}, *old;
	struct fp_scratch *sc;
	struct tr_ev_code *e;
	__u32 zero = 0, len = cfg->fp_len;
	int trunc = 0;

	/* freed code objects leave the cache: an entry is the same object */
	if (cfg->dealloc_probed && (old = bpf_map_lookup_elem(&code_cache, &key))) {
		*co_flags = old->co_flags;
		return 0;
	}
	/* one read of the span holding the identity fields */
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!sc)
		return -1;
	if (len > TR_FP_SPAN_MAX)
		len = TR_FP_SPAN_MAX;
	barrier_var(len);
	if (len > TR_FP_SPAN_MAX ||
	    bpf_probe_read_user(sc->buf, len, (void *)(code + cfg->fp_off))) {
		drop(TR_DROP_READ_FAIL);
		return -1;
	}
	fp.name = *(__u64 *)(sc->buf + (cfg->fp_name & (TR_FP_SPAN_MAX - 1)));
	fp.filename = *(__u64 *)(sc->buf + (cfg->fp_file & (TR_FP_SPAN_MAX - 1)));
	fp.firstlineno = *(__u32 *)(sc->buf + (cfg->fp_line & (TR_FP_SPAN_MAX - 1)));
	old = bpf_map_lookup_elem(&code_cache, &key);
	if (old && old->name == fp.name && old->filename == fp.filename &&
	    old->firstlineno == fp.firstlineno) {
		*co_flags = old->co_flags;
		return 0;
	}
	/* a new identity: its flags are read once, here */
	if (L->code_flags >= 0 &&
	    bpf_probe_read_user(&fp.co_flags, sizeof(fp.co_flags), (void *)(code + L->code_flags)))
		fp.co_flags = 0;
	/* a function of the coverage bootstrap (TR_HOOK_HIDE_FIRSTLINENO):
	 * marked in its cached flags, for hiding its frames */
	if (fp.firstlineno == TR_HOOK_HIDE_FIRSTLINENO) {
		fp.co_flags |= CO_TRACER_HIDDEN;
		cfg->hooks_seen = 1;
	}
	*co_flags = fp.co_flags;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return -1;
	}
	fill_hdr(&e->hdr, TR_EV_CODE, sizeof(*e), pid_tgid);
	e->code = code;
	e->firstlineno = fp.firstlineno;
	e->pad = 0;
	e->name_enc = read_unicode(L, fp.name, e->name, TR_NAME_MAX, &e->name_len, &trunc);
	if (trunc)
		e->hdr.flags |= TR_CODE_NAME_TRUNC;
	trunc = 0;
	e->file_enc = read_unicode(L, fp.filename, e->file, TR_FILE_MAX, &e->file_len, &trunc);
	if (trunc)
		e->hdr.flags |= TR_CODE_FILE_TRUNC;
	submit(e, sizeof(*e));
	if (bpf_map_update_elem(&code_cache, &key, &fp, BPF_ANY))
		drop(TR_DROP_MAP_FULL);	/* not lost: it will be sent again */
	return 1;
}

/* make the next ensure_code of CODE send its identity again */
static __always_inline void forget_code(__u64 pid_tgid, __u64 code)
{
	struct code_key key = { .pid = pid_tgid >> 32, .code = code };

	bpf_map_delete_elem(&code_cache, &key);
}

/* FRAME's code object and f_back/previous pointer, in one read */
static __always_inline int read_code_back(const struct tr_proc_cfg *cfg, __u64 frame,
					  __u64 *code, __u64 *back)
{
	__u32 zero = 0, n = cfg->fr_words;
	struct fp_scratch *sc = bpf_map_lookup_elem(&scratch, &zero);

	*code = *back = 0;
	if (!sc || !frame)
		return -1;
	if (n > TR_FR_WORDS_MAX)
		n = TR_FR_WORDS_MAX;
	barrier_var(n);
	if (n > TR_FR_WORDS_MAX ||
	    bpf_probe_read_user(sc->words, n * 8, (void *)(frame + cfg->fr_off)))
		return -1;
	*code = sc->words[cfg->fr_code & (TR_FR_WORDS_MAX - 1)];
	*back = sc->words[cfg->fr_back & (TR_FR_WORDS_MAX - 1)];
	return 0;
}

/* P, or the first frame from P outwards that is not a C-stack entry frame
 * (3.12+ link one between every two Python frames an evaluator runs) */
static __always_inline __u64 skip_entry_frames(const struct tr_py_layout *L, __u64 p)
{
	__u8 owner = 0;

	if (L->frame_owner < 0)
		return p;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (!p || bpf_probe_read_user(&owner, 1, (void *)(p + L->frame_owner)))
			return p;
		if (owner != L->owner_cstack)
			return p;
		if (read_ptr(p + L->frame_back, &p))
			return 0;
	}
	return p;
}

/* The frame a thread state says is executing (0 if none or unreadable). */
static __always_inline __u64 frame_of_tstate(const struct tr_py_layout *L, __u64 tstate)
{
	__u64 p = 0;

	if (!tstate || read_ptr(tstate + L->tstate_frame, &p) || !p)
		return 0;
	if (L->cframe_current_frame >= 0 && read_ptr(p + L->cframe_current_frame, &p))
		return 0;
	return p;
}

/*
 * 3.12+: does FRAME (running CODE, with CO_FLAGS) only run to create a
 * generator/coroutine? Creating one runs the new frame through the
 * evaluator up to RETURN_GENERATOR, which copies it into the generator; its
 * resumptions run that copy, whose instruction pointer is past the start.
 * sys.setprofile reports neither the creation as a call nor its return.
 */
static __always_inline bool creates_generator(const struct tr_py_layout *L, __u64 frame,
					      __u64 code, __s32 co_flags)
{
	__u64 instr = 0;

	/* CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR */
	if (!(co_flags & 0x2a0) || L->frame_owner < 0 || L->code_code_adaptive < 0 ||
	    L->frame_instr < 0)
		return false;
	if (read_ptr(frame + L->frame_instr, &instr))
		return false;
	return instr == code + L->code_code_adaptive + L->frame_instr_start;
}

#endif /* TRACER_PYOBJ_BPF_H */
