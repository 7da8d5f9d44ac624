/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * --c-calls: calls of C functions made by Python code, exactly those
 * sys.setprofile reports as c_call, each ended where its c_return or
 * c_exception would be. Dispatch strategy, CPython 3.11 to 3.14 (the sites,
 * and why each call is seen once: user/cpython/ccall_sites.c).
 *
 * ccall_start runs at a site in the handler of every instruction of the
 * CALL family (CALL, its specialized forms, CALL_FUNCTION_EX and the
 * instrumented forms), before the handler has touched the value stack: the
 * frame is the thread's executing frame, its prev_instr is the instruction
 * (opcode and oparg), the value stack pointer is in a register userspace
 * found from the code (tr_ccall_cfg.sp_reg). It reads the callable where
 * the instruction takes it and decides as the profiler does (3.12-3.14:
 * Python/legacy_tracing.c, sys_profile_call_or_return, given the callable
 * and the first argument by the instrumented CALL; 3.11: below):
 *   - a PyCFunction (PyCFunction_Type or its subclass PyCMethod_Type);
 *   - a method descriptor (PyMethodDescr_Type) with a first argument
 *     (self); with none it reports nothing;
 *   - a bound method (PyMethod_Type) whose function is a PyCFunction or
 *     a method descriptor, by CALL or CALL_FUNCTION_EX, as far as the
 *     interpreter said its profiler reports them (bound_reported);
 *   - nothing else (types, Python functions, objects with __call__).
 * A C call is sent as TR_EV_CALL flagged TR_CALL_C, FRAME = F | 1 (F the
 * Python frame, 8-aligned: a frame has one C call running at most), PARENT
 * = F, CODE = the PyMethodDef | 1, described once by a TR_EV_CODE flagged
 * TR_CODE_C_FUNC. The call is kept open in `ccall_open` under (process, F)
 * with the instruction's address.
 *
 * ccall_end runs at the sites right after the handlers' calls that may be
 * the C function (user/cpython/ccall_sites.c); a hit in a frame with an
 * open C call ends it (TR_EV_RETURN of F | 1); a hit with none (a type, an
 * object with __call__ was called) is nothing.
 *
 * Once, not twice: a specialized handler whose guard fails jumps into its
 * base instruction's handler, which may pass the base's own start site: a
 * start in F for the same instruction while F's call of it is open is that
 * instruction going on, not a call. A start in F for another instruction
 * while one is open means the open one's end was missed: it is ended there
 * (an upper bound) and counted in ccall_ends_lost, never silently.
 * LIST_APPEND's fast path calls nothing: its site (cookie
 * TR_CCALL_SITE_LIST_APPEND) sends the call and its return at once when the
 * guards it passes hold (the callable is list.append, self a list); and
 * when the call is already open for the same instruction (CALL's adaptive
 * form specialized itself into LIST_APPEND and dispatched that at once),
 * it ends it there.
 *
 * CPython 3.11 (the same sites, user/cpython/ccall_sites.c): a call is
 * PRECALL then CALL; a start site of PRECALL's family (cookie
 * TR_CCALL_SITE_PRECALL) keys its call at the CALL that follows, so the two
 * are one instruction here. A bound method counts as the interpreter's
 * profiler said it does (tr_ccall_cfg.bound_reported: asked of it, it
 * differs between 3.11, 3.12 releases, 3.13 and 3.14).
 */
#ifndef TRACER_CCALLS_BPF_H
#define TRACER_CCALLS_BPF_H

/* CPython object layouts (GIL builds, 3.8-3.14: unchanged) */
#define OB_TYPE 8		/* PyObject.ob_type */
#define TP_NAME 24		/* PyTypeObject.tp_name */
#define TP_FLAGS 168		/* PyTypeObject.tp_flags */
#define CF_ML 16		/* PyCFunctionObject.m_ml */
#define CF_SELF 24		/* .m_self */
#define CF_MODULE 32		/* .m_module */
#define MD_TYPE 16		/* PyMethodDescrObject.d_common.d_type */
#define MD_METHOD 40		/* .d_method */
#define ML_NAME 0		/* PyMethodDef.ml_name */
#define ML_METH 8		/* .ml_meth */
#define PM_FUNC 16		/* PyMethodObject.im_func */
#define TUPLE_SIZE 16		/* PyTupleObject.ob_size */
#define TUPLE_ITEM 24		/* .ob_item */
#define TPFLAGS_LIST_SUBCLASS (1UL << 25)
#define TPFLAGS_TYPE_SUBCLASS (1UL << 31)

/* per traced process (host tgid): written by userspace (user/capture/ccalls.c) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct tr_ccall_cfg);
} ccall_cfgs SEC(".maps");

/* ccall_cfg_of's copy being moved (per CPU: off the BPF stack) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tr_ccall_cfg);
} ccall_cfg_scratch SEC(".maps");

struct ccall_key {
	__u64 frame;
	__u32 pid;
	__u32 instance;
};

struct ccall_val {
	__u64 instr;		/* the call instruction's address */
	__u64 def;		/* the PyMethodDef */
};

/* the open C call of each Python frame; written by BPF only. (No map of
 * this file is preallocated but the one-entry scratch above: a session
 * without --c-calls pays nothing.) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct ccall_key);
	__type(value, struct ccall_val);
} ccall_open SEC(".maps");

struct ccall_def_key {
	__u32 pid;
	__u32 instance;
	__u64 def;
};

/* PyMethodDefs whose TR_EV_CODE was sent; written by BPF only (full: the
 * identity is sent again, counted as map_full, never lost) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct ccall_def_key);
	__type(value, __u8);
} ccall_defs SEC(".maps");

/* C calls whose end was not seen, ended at the next start in their frame */
__u64 ccall_ends_lost;

/* threads the attach walk found running a call instruction (said) */
__u64 ccall_walk_in_call;

/*
 * The attach walk (bpf/attach_walk.bpf.h) found thread TASK of process PID
 * with FRAME its innermost Python frame: with --c-calls, is FRAME running
 * an instruction of the call family (a thread blocked in time.sleep,
 * select, a socket's recv: what a user attaches to)? Then a C call may be
 * running since before the attach, which is not shown (the callable is not
 * read here: 3.12 and 3.13 keep the value stack pointer in a register of
 * the blocked eval loop only), only counted and said
 * (user/capture/ccalls.c). Its end, if it comes, finds no open call.
 */
static __always_inline void ccall_walk_check(const struct tr_proc_cfg *cfg, __u32 pid,
					     __u64 frame, struct task_struct *task)
{
	struct tr_ccall_cfg *cc = bpf_map_lookup_elem(&ccall_cfgs, &pid);
	__u64 instr = 0;
	__u8 op = 0;

	if (!cc || cfg->layout.frame_instr < 0 ||
	    read_ptr(frame + cfg->layout.frame_instr, &instr, task) || !instr ||
	    user_read(&op, 1, instr, task))
		return;
	if (cc->call_ops[(op >> 3) & 31] & (1u << (op & 7)))
		__sync_fetch_and_add(&ccall_walk_in_call, 1);
}

/* register REG of CTX: all read at constant offsets (the verifier wants
 * them so), then one chosen */
static __always_inline __u64 ccall_reg(struct pt_regs *ctx, __u8 reg)
{
	__u64 bx = ctx->bx, bp = ctx->bp, r12 = ctx->r12, r13 = ctx->r13, r14 = ctx->r14,
	      r15 = ctx->r15;

	barrier_var(bx);
	barrier_var(bp);
	barrier_var(r12);
	barrier_var(r13);
	barrier_var(r14);
	barrier_var(r15);
	return reg == TR_REG_RBX ? bx : reg == TR_REG_RBP ? bp : reg == TR_REG_R12 ? r12 :
	       reg == TR_REG_R13 ? r13 : reg == TR_REG_R14 ? r14 : reg == TR_REG_R15 ? r15 : 0;
}

static __always_inline __u64 ob_type(__u64 obj)
{
	__u64 t = 0;

	if (obj)
		read_ptr(obj + OB_TYPE, &t, NULL);
	return t;
}

/* a C function's identity, read while the callable is certainly alive */
struct ccall_id {
	__u64 def;
	__u64 owner;		/* a type object, or a module's name (a str), or 0 */
	bool owner_is_type;
};

/* a PyCFunction object's identity: its method def, and whose it is (the
 * type of m_self, m_self itself if it is a type, else the module's name) */
static __always_inline bool cfunction_id(const struct tr_ccall_cfg *cc, __u64 f,
					 struct ccall_id *id)
{
	__u64 self = 0, st, flags = 0;

	if (read_ptr(f + CF_ML, &id->def, NULL) || !id->def)
		return false;
	read_ptr(f + CF_SELF, &self, NULL);
	st = ob_type(self);
	if (!self || st == cc->module_type) {
		read_ptr(f + CF_MODULE, &id->owner, NULL);
		id->owner_is_type = false;
		return true;
	}
	read_ptr(st + TP_FLAGS, &flags, NULL);
	id->owner = (flags & TPFLAGS_TYPE_SUBCLASS) ? self : st;
	id->owner_is_type = true;
	return true;
}

static __always_inline bool is_cfunction(const struct tr_ccall_cfg *cc, __u64 t)
{
	return t && (t == cc->cfunction_type || t == cc->cmethod_type);
}

/*
 * Is the instruction at INSTR, with the value stack at SP, a C call to
 * sys.setprofile? Fills ID, and *APPEND_FAST when the callable is
 * list.append called on a list (the guards of LIST_APPEND's fast path).
 */
static __always_inline bool ccall_decide(const struct tr_ccall_cfg *cc, __u64 instr, __u64 sp,
					 bool kw_site, struct ccall_id *id, bool *append_fast)
{
	__u8 code[4] = {};
	__u64 callable = 0, self = 0, t, flags = 0;
	__u32 oparg;
	bool ex, kw;

	*append_fast = false;
	if (!sp || user_read(code, sizeof(code), instr - 2, NULL))
		return false;
	oparg = code[3];
	if (code[0] == cc->op_extended_arg ||
	    (cc->op_extended_arg_quick && code[0] == cc->op_extended_arg_quick))
		oparg |= (__u32)code[1] << 8;	/* (more than 65535 arguments: no) */
	ex = code[2] == cc->op_call_ex || (cc->op_call_ex_instr && code[2] == cc->op_call_ex_instr);
	kw = kw_site ||
	     (cc->op_call_kw && (code[2] == cc->op_call_kw || code[2] == cc->op_call_kw_instr));
	if (ex) {
		/* 3.12 (unused, func, callargs, kwargs if oparg & 1); 3.13+
		 * (func, unused, callargs, kwargs if oparg & 1) */
		__u64 at = sp - 8 * (3 + (cc->ex_kwargs_slot ? 1 : (oparg & 1))), args = 0, n = 0;

		if (read_ptr(at + (cc->self_after ? 0 : 8), &callable, NULL) ||
		    read_ptr(at + 16, &args, NULL))
			return false;
		callable &= ~(__u64)cc->ref_tag_bits;
		args &= ~(__u64)cc->ref_tag_bits;
		if (args && !read_ptr(args + TUPLE_SIZE, &n, NULL) && (__s64)n > 0)
			read_ptr(args + TUPLE_ITEM, &self, NULL);
		else
			/* none: no c_call of a method descriptor (3.11's
			 * do_call_core wants a first argument; 3.12+ give the
			 * profiler Py_None, whose binding to the descriptor
			 * fails). (The size of a tuple, or of the list that
			 * f(*xs) turns into one.) */
			self = 0;
	} else {
		/* 3.12 (method or NULL, callable or self, args[oparg]); 3.13+
		 * (callable, self or NULL, args[oparg]), CALL_KW with kwnames
		 * above */
		__u64 top = sp - (kw ? 8 : 0), at = top - 8 * (2 + (__u64)oparg), lo = 0, hi = 0;
		bool has_self;
		__u32 total;

		if (oparg > 0xffff || read_ptr(at, &lo, NULL) || read_ptr(at + 8, &hi, NULL))
			return false;
		lo &= ~(__u64)cc->ref_tag_bits;
		hi &= ~(__u64)cc->ref_tag_bits;
		if (cc->self_after) {
			callable = lo;
			has_self = hi != 0;
		} else {
			callable = lo ? lo : hi;
			has_self = lo != 0;
		}
		total = oparg + (has_self ? 1 : 0);
		if (total)
			read_ptr(top - 8 * (__u64)total, &self, NULL);
		self &= ~(__u64)cc->ref_tag_bits;
	}
	t = ob_type(callable);
	if (!t)
		return false;
	if (is_cfunction(cc, t))
		return cfunction_id(cc, callable, id);
	if (t == cc->method_descr_type) {
		__u64 meth = 0;

		if (!self || read_ptr(callable + MD_METHOD, &id->def, NULL) || !id->def ||
		    read_ptr(callable + MD_TYPE, &id->owner, NULL))
			return false;
		id->owner_is_type = true;
		if (!ex && cc->list_append && !read_ptr(id->def + ML_METH, &meth, NULL) &&
		    meth == cc->list_append) {
			read_ptr(ob_type(self) + TP_FLAGS, &flags, NULL);
			*append_fast = flags & TPFLAGS_LIST_SUBCLASS;
		}
		return true;
	}
	if (t == cc->method_type) {
		/* as the interpreter's profiler said it reports them: a
		 * method's function, when a builtin function or a method
		 * descriptor (then with the method's self), by CALL or by
		 * CALL_FUNCTION_EX (tr_ccall_cfg.bound_reported) */
		__u8 want = ex ? cc->bound_reported >> 2 : cc->bound_reported;
		__u64 func = 0, ft;

		if (!(want & 3) || read_ptr(callable + PM_FUNC, &func, NULL))
			return false;
		ft = ob_type(func);
		if ((want & 1) && is_cfunction(cc, ft))
			return cfunction_id(cc, func, id);
		if (!(want & 2) || ft != cc->method_descr_type ||
		    read_ptr(func + MD_METHOD, &id->def, NULL) || !id->def ||
		    read_ptr(func + MD_TYPE, &id->owner, NULL))
			return false;
		id->owner_is_type = true;
		return true;
	}
	return false;
}

/* send the identity of ID's function once per process instance */
static __always_inline int ensure_cfunc(struct tr_proc_cfg *cfg, __u64 pid_tgid,
					const struct ccall_id *id)
{
	struct ccall_def_key key = { .pid = pid_tgid >> 32, .instance = cfg->instance,
				     .def = id->def };
	struct tr_ev_code *e;
	__u64 name = 0, tp_name = 0;
	int trunc = 0;
	long n;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&ccall_defs, &key))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return -1;
	}
	fill_hdr(&e->hdr, TR_EV_CODE, sizeof(*e), pid_tgid, cfg->instance);
	e->hdr.flags = TR_CODE_C_FUNC;
	e->code = id->def | 1;
	e->firstlineno = 0;
	e->pad = 0;
	e->name_len = e->file_len = 0;
	e->name_enc = e->file_enc = TR_STR_UTF8;
	read_ptr(id->def + ML_NAME, &name, NULL);
	n = name ? bpf_probe_read_user_str(e->name, TR_NAME_MAX, (const void *)name) : 0;
	e->name_len = n > 0 ? n - 1 : 0;
	if (n < 0)
		drop(TR_DROP_READ_FAIL);
	if (id->owner_is_type) {
		e->hdr.flags |= TR_CODE_C_TYPE;
		read_ptr(id->owner + TP_NAME, &tp_name, NULL);
		n = tp_name ? bpf_probe_read_user_str(e->file, TR_FILE_MAX, (const void *)tp_name)
			    : 0;
		e->file_len = n > 0 ? n - 1 : 0;
	} else if (id->owner) {
		e->file_enc = read_unicode(&cfg->layout, id->owner, e->file, TR_FILE_MAX,
					   &e->file_len, &trunc, NULL);
		if (!e->file_enc) {
			e->file_enc = TR_STR_UTF8;
			e->file_len = 0;
		}
	}
	submit(e, sizeof(*e));
	if (bpf_map_update_elem(&ccall_defs, &key, &one, BPF_ANY))
		drop(TR_DROP_MAP_FULL);	/* not lost: sent again */
	return 0;
}

static __always_inline void ccall_event(__u8 type, __u64 pid_tgid, __u32 instance, __u64 frame,
					__u64 def)
{
	struct tr_ev_call *e;

	if (type == TR_EV_RETURN) {
		emit_return(pid_tgid, instance, frame | 1, def | 1, 0);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop(TR_DROP_RINGBUF_FULL);
		return;
	}
	fill_hdr(&e->hdr, TR_EV_CALL, sizeof(*e), pid_tgid, instance);
	e->hdr.flags = TR_CALL_C;
	e->frame = frame | 1;
	e->parent = frame;
	e->code = def | 1;
	submit(e, sizeof(*e));
}

/* the end of the C call of FRAME (DEF: its function's PyMethodDef), with
 * FLAGS: TR_RET_C_EXCEPTION (sys.setprofile's c_exception), or
 * TR_RET_END_INFERRED (its end was missed: ended where seen next) */
static __always_inline void ccall_return(__u64 pid_tgid, __u32 instance, __u64 frame, __u64 def,
					 __u8 flags)
{
	struct tr_ev_return *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r) {
		drop(TR_DROP_RINGBUF_FULL);
		return;
	}
	fill_hdr(&r->hdr, TR_EV_RETURN, sizeof(*r), pid_tgid, instance);
	r->hdr.flags = flags;
	r->frame = frame | 1;
	r->code = def | 1;
	submit(r, sizeof(*r));
}

/*
 * The C-call configuration of process PID, whose instance CFG is, for a
 * start site at IP. After the process exec'd a new image of the same
 * interpreter file (followed: user/capture/exec_follow.h) its addresses are
 * the old image's: moved here, at the new instance's first start-site hit,
 * by the new load bias, found as proc_instantiate finds it (the mapping of
 * IP, bins[0]'s text_delta). The opcodes and sites are the file's: the same.
 */
static __always_inline struct tr_ccall_cfg *ccall_cfg_of(struct tr_proc_cfg *cfg, __u32 pid,
							 __u64 ip)
{
	struct tr_ccall_cfg *cc = bpf_map_lookup_elem(&ccall_cfgs, &pid), *moved;
	struct vma_base vb = {};
	struct tr_bin_cfg *bin;
	__u32 zero = 0;
	__u64 delta;

	if (!cc || cc->instance == cfg->instance)
		return cc;
	bin = bpf_map_lookup_elem(&bins, &zero);
	if (!solo_follow || !bin ||
	    bpf_find_vma(bpf_get_current_task_btf(), ip, vma_base_of, &vb, 0) || !vb.found) {
		drop(TR_DROP_NO_CONFIG);
		return NULL;
	}
	moved = bpf_map_lookup_elem(&ccall_cfg_scratch, &zero);
	if (!moved)
		return NULL;
	__builtin_memcpy(moved, cc, sizeof(*moved));
	delta = vb.base - bin->text_delta - moved->bias;
	moved->cfunction_type += delta;
	moved->cmethod_type += delta;
	moved->method_descr_type += delta;
	moved->method_type += delta;
	moved->module_type += delta;
	moved->list_append += delta;
	moved->bias += delta;
	moved->instance = cfg->instance;
	/* (one update: a thread of the process racing here writes the same) */
	if (bpf_map_update_elem(&ccall_cfgs, &pid, moved, BPF_ANY)) {
		drop(TR_DROP_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&ccall_cfgs, &pid);
}

SEC("uprobe")
int ccall_start(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, 0, PT_REGS_IP(ctx));
	__u32 pid = pid_tgid >> 32;
	struct tr_ccall_cfg *cc;
	struct ccall_id id = {};
	struct ccall_val *open, val = {};
	struct thread_state *ts;
	__u64 frame, instr = 0, sp;
	bool append_fast, lappend;

	if (!cfg || !(cc = ccall_cfg_of(cfg, pid, PT_REGS_IP(ctx))))
		return 0;
	frame = running_frame(cfg);
	if (!frame || cfg->layout.frame_instr < 0 ||
	    read_ptr(frame + cfg->layout.frame_instr, &instr, NULL) || !instr)
		return 0;
	struct ccall_key key = { .frame = frame, .pid = pid, .instance = cfg->instance };
	__u64 cookie = bpf_get_attach_cookie(ctx), call_at = instr;

	/* 3.11: PRECALL and its CALL are one call (keyed at the CALL) */
	if (cookie & TR_CCALL_SITE_PRECALL)
		call_at = instr + TR_CCALL_PRECALL_TO_CALL;
	open = bpf_map_lookup_elem(&ccall_open, &key);
	lappend = cookie & TR_CCALL_SITE_LIST_APPEND;
	if (open && open->instr == call_at && !lappend)
		return 0;	/* the same instruction going on (top comment) */
	sp = ccall_reg(ctx, cc->sp_reg);
	if (!ccall_decide(cc, instr, sp, cookie & TR_CCALL_SITE_KW, &id, &append_fast))
		return 0;
	if (open && open->instr == call_at) {
		/* CALL specialized itself into LIST_APPEND and runs that now
		 * (the same instruction): its fast path ends the call here */
		if (append_fast) {
			ccall_event(TR_EV_RETURN, pid_tgid, cfg->instance, frame, open->def);
			bpf_map_delete_elem(&ccall_open, &key);
		}
		return 0;
	}
	/* its frames since before the attach first (tracer.bpf.c) */
	ts = first_seen(cfg, pid_tgid, frame);
	if (ts && ts->seen == THREAD_SEEN_BY_WALK)
		ts->seen = THREAD_SEEN;
	if (open) {
		/* another instruction of F: the open call's end was missed */
		__sync_fetch_and_add(&ccall_ends_lost, 1);
		ccall_return(pid_tgid, cfg->instance, frame, open->def, TR_RET_END_INFERRED);
		bpf_map_delete_elem(&ccall_open, &key);
	}
	if (ensure_cfunc(cfg, pid_tgid, &id) < 0)
		return 0;
	if (append_fast && lappend) {
		ccall_event(TR_EV_CALL, pid_tgid, cfg->instance, frame, id.def);
		ccall_event(TR_EV_RETURN, pid_tgid, cfg->instance, frame, id.def);
		return 0;
	}
	val.instr = call_at;
	val.def = id.def;
	if (bpf_map_update_elem(&ccall_open, &key, &val, BPF_ANY)) {
		drop(TR_DROP_MAP_FULL);	/* its end could not be matched: not sent */
		return 0;
	}
	ccall_event(TR_EV_CALL, pid_tgid, cfg->instance, frame, id.def);
	return 0;
}

/* general-purpose register N (x86 numbering: rax 0 ... r15 15) of CTX:
 * all read at constant offsets (the verifier wants them so), one chosen */
static __always_inline __u64 ccall_gpr(struct pt_regs *ctx, __u32 n)
{
	__u64 v[16] = { ctx->ax, ctx->cx, ctx->dx, ctx->bx, ctx->sp, ctx->bp, ctx->si, ctx->di,
			ctx->r8, ctx->r9, ctx->r10, ctx->r11, ctx->r12, ctx->r13, ctx->r14,
			ctx->r15 };

	barrier_var(n);
	return v[n & TR_CCALL_RES_REG];
}

/* C calls ended at a site where whether they raised cannot be told (its
 * cookie lacks TR_CCALL_RES_KNOWN: user/cpython/ccall_result.c); said */
__u64 ccall_exc_unknown;


/* the C call open in the running frame of CFG's thread PID_TGID, taken
 * out of ccall_open: its *FRAME and *DEF; false when none is open there
 * (a type or an object with __call__ was called, or the end was seen) */
static __always_inline bool ccall_take(struct tr_proc_cfg *cfg, __u64 pid_tgid, __u64 *frame,
				       __u64 *def)
{
	struct ccall_val *open;

	*frame = running_frame(cfg);
	if (!*frame)
		return false;
	struct ccall_key key = { .frame = *frame, .pid = pid_tgid >> 32,
				 .instance = cfg->instance };

	open = bpf_map_lookup_elem(&ccall_open, &key);
	if (!open)
		return false;
	*def = open->def;
	bpf_map_delete_elem(&ccall_open, &key);
	return true;
}

/*
 * The end of a C call: the site's cookie says where the callee's result is
 * (the site runs before the handler tests it): NULL, or < 0 for
 * PyObject_Size's and PyObject_IsInstance's, is sys.setprofile's
 * c_exception, sent as TR_RET_C_EXCEPTION.
 */
SEC("uprobe")
int ccall_end(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tr_proc_cfg *cfg = proc_cfg_at(pid_tgid, 0, 0);
	__u32 res = (__u32)bpf_get_attach_cookie(ctx);
	__u64 frame, def, v;
	bool raised = false;

	if (!cfg || !ccall_take(cfg, pid_tgid, &frame, &def))
		return 0;
	v = ccall_gpr(ctx, res);
	/* (a spill slot on the stack, unreadable: not known either) */
	if ((res & TR_CCALL_RES_MEM) && read_ptr(v + (__s64)TR_CCALL_RES_DISP(res), &v, NULL))
		res = 0;
	if (res & TR_CCALL_RES_KNOWN) {
		raised = res & TR_CCALL_RES_INT ? (__s32)v < 0 :
			 res & TR_CCALL_RES_SSIZE ? (__s64)v < 0 : !v;
	} else {
		__sync_fetch_and_add(&ccall_exc_unknown, 1);
	}
	ccall_return(pid_tgid, cfg->instance, frame, def, raised ? TR_RET_C_EXCEPTION : 0);
	return 0;
}

#endif /* TRACER_CCALLS_BPF_H */
