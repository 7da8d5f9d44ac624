/* SPDX-License-Identifier: MIT */
/*
 * The part of include/tracer.h that --c-calls shares with its BPF programs
 * (bpf/ccalls.bpf.h, bpf/ccalls_eval.bpf.h): the per-process configuration
 * and the cookies of the call sites. Included by tracer.h, whose plain
 * types it uses.
 */
#ifndef TRACER_CCALLS_H
#define TRACER_CCALLS_H

/*
 * --c-calls (bpf/ccalls.bpf.h), per traced process (map `ccall_cfgs`, keyed
 * by host tgid; written by userspace only when the option is given): where
 * the call sites find the value stack, and the addresses of the types that
 * make a callable a C function to sys.setprofile.
 */
enum tr_reg {	/* a general register of x86-64, as struct pt_regs names it */
	TR_REG_NONE = 0, TR_REG_RBX, TR_REG_RBP, TR_REG_R12, TR_REG_R13, TR_REG_R14,
	TR_REG_R15,
};

struct tr_ccall_cfg {
	tr_u64 cfunction_type;	/* &PyCFunction_Type (absolute) */
	tr_u64 cmethod_type;	/* &PyCMethod_Type */
	tr_u64 method_descr_type;	/* &PyMethodDescr_Type */
	tr_u64 method_type;	/* &PyMethod_Type (3.12+: a bound method of a C function) */
	tr_u64 module_type;	/* &PyModule_Type */
	tr_u64 list_append;	/* list.append's C function (list_append) */
	tr_u8 sp_reg;		/* enum tr_reg: the value stack pointer at every call site */
	tr_u8 op_call_ex;	/* CALL_FUNCTION_EX */
	tr_u8 op_call_ex_instr;	/* INSTRUMENTED_CALL_FUNCTION_EX (0: none) */
	tr_u8 op_extended_arg;	/* EXTENDED_ARG */
	tr_u8 op_call_kw;	/* 3.13+: CALL_KW (0: none) */
	tr_u8 op_call_kw_instr;	/* INSTRUMENTED_CALL_KW (0: none) */
	/* the value stack under a call: 3.12 (method or NULL, callable or
	 * self, args), 3.13+ with SELF_AFTER (callable, self or NULL, args);
	 * CALL_FUNCTION_EX's func likewise below or above its unused slot */
	tr_u8 self_after;
	/* 3.14+: CALL_FUNCTION_EX always has its kwargs slot (NULL if none) */
	tr_u8 ex_kwargs_slot;
	/* 3.14+: the value stack holds _PyStackRefs, their low bits tags */
	tr_u8 ref_tag_bits;
	/* which calls of a bound method (PyMethod_Type) the interpreter's own
	 * profiler reports (asked of it: PY_PROFILE_BOUND_* of
	 * user/cpython/py_opcodes.h): bit 0 of a builtin function, bit 1 of a
	 * method descriptor, by CALL (3.11's PRECALL); bits 2, 3 the same by
	 * CALL_FUNCTION_EX */
	tr_u8 bound_reported;
	tr_u8 op_extended_arg_quick;	/* 3.11: EXTENDED_ARG_QUICK (0: none) */
	tr_u8 pad[4];
	/* the addresses above are of process instance INSTANCE, whose load
	 * bias for the file is BIAS: after an exec into a new image of the
	 * same file (followed: user/capture/exec_follow.h) the BPF side moves
	 * them by the new image's bias (bpf/ccalls.bpf.h, ccall_cfg_of) */
	tr_u64 bias;
	tr_u32 instance;
	tr_u32 pad2;
	/* bitmap of the call family's opcodes (the attach walk: a thread
	 * inside one at the attach may be in a C call begun before it) */
	tr_u8 call_ops[32];
};
/* the BPF cookie of a 3.11 C-call start site in the handler of PRECALL or
 * of a specialized form of it: the call is keyed at the CALL that follows
 * (PRECALL and its one cache entry: 4 bytes on) */
#define TR_CCALL_SITE_PRECALL 0x2
#define TR_CCALL_PRECALL_TO_CALL 4
/* ... of CALL_KW or a form of it (3.13+: kwnames on top of the stack;
 * 3.14 specializes CALL_KW, so its opcode does not say so) */
#define TR_CCALL_SITE_KW 0x4
/* the BPF cookie of a C-call start site: the handler of a specialized
 * instruction that calls nothing when the callable is list.append */
#define TR_CCALL_SITE_LIST_APPEND 0x1
/* the BPF cookie of a C-call end site (user/cpython/ccall_result.c): where
 * the called function's result is there: TR_CCALL_RES_KNOWN | its kind |
 * the x86 number of the register holding it (rax 0 ... r15 15). Without
 * TR_CCALL_RES_KNOWN whether the call raised cannot be told there (counted:
 * ccall_exc_unknown, said). Kinds: a PyObject * (NULL: raised), a
 * Py_ssize_t or an int (< 0: raised) */
#define TR_CCALL_RES_KNOWN 0x100
#define TR_CCALL_RES_SSIZE 0x200
#define TR_CCALL_RES_INT   0x400
#define TR_CCALL_RES_REG   0x0f
/* with TR_CCALL_RES_MEM the result is in memory, at the register's value
 * plus the signed 16-bit displacement in the cookie's bits 16-31 (a spill
 * to the stack: pyenv 3.14.7, `mov %rax,-0x248(%rbp)`) */
#define TR_CCALL_RES_MEM   0x800
#define TR_CCALL_RES_DISP(c) ((__s16)((c) >> 16))

/* 3.8-3.10 (bpf/ccalls_eval.bpf.h): the BPF cookie of a C-call start
 * site is its instruction (TR_CCALL_EVAL_*), TR_CCALL_EVAL_UNITS where
 * f_lasti counts code units (3.10) rather than bytes, the register (enum
 * tr_reg) that holds the value stack pointer plus DELTA there, and DELTA / 8
 * (a signed byte) */
enum {
	TR_CCALL_EVAL_FUNCTION = 1,	/* CALL_FUNCTION */
	TR_CCALL_EVAL_KW,		/* CALL_FUNCTION_KW */
	TR_CCALL_EVAL_METHOD,		/* CALL_METHOD */
	TR_CCALL_EVAL_EX,		/* CALL_FUNCTION_EX */
};
#define TR_CCALL_EVAL_UNITS 0x10
#define TR_CCALL_EVAL_COOKIE(kind, units, reg, delta) \
	((tr_u64)(kind) | ((units) ? TR_CCALL_EVAL_UNITS : 0) | ((tr_u64)(reg) << 8) | \
	 ((tr_u64)(tr_u8)(signed char)((delta) / 8) << 16))
#define TR_CCALL_EVAL_KIND(cookie) ((cookie) & 0xf)
#define TR_CCALL_EVAL_REG(cookie) (((cookie) >> 8) & 0xf)
#define TR_CCALL_EVAL_DELTA(cookie) ((tr_s64)(signed char)(((cookie) >> 16) & 0xff) * 8)

#endif
