/* SPDX-License-Identifier: MIT */
/* Opcode numbers of a CPython build, asked of the interpreter itself. */
#ifndef TRACER_PY_OPCODES_H
#define TRACER_PY_OPCODES_H
#include <stddef.h>

/* the instructions the dispatch strategy probes (user/cpython/dispatch_sites.c) */
enum py_op {
	PY_OP_RESUME,
	PY_OP_RETURN_VALUE,
	PY_OP_RETURN_CONST,		/* 3.12+ */
	PY_OP_YIELD_VALUE,
	PY_OP_INSTRUMENTED_RESUME,	/* 3.12+: the forms sys.monitoring installs */
	PY_OP_INSTRUMENTED_RETURN_VALUE,
	PY_OP_INSTRUMENTED_RETURN_CONST,
	PY_OP_INSTRUMENTED_YIELD_VALUE,
	/* --c-calls (user/cpython/ccall_sites.c) */
	PY_OP_CALL,
	PY_OP_CALL_FUNCTION_EX,
	PY_OP_INSTRUMENTED_CALL,
	PY_OP_INSTRUMENTED_CALL_FUNCTION_EX,
	PY_OP_EXTENDED_ARG,
	PY_OP_POP_TOP,
	PY_OP_CALL_NO_KW_LIST_APPEND,	/* 3.12's name (a specialized form) */
	PY_OP_CALL_LIST_APPEND,		/* 3.13+'s */
	PY_OP_PRECALL,			/* 3.11 only: the call family's first half */
	PY_OP_PRECALL_NO_KW_LIST_APPEND,	/* 3.11's LIST_APPEND */
	PY_OP_EXTENDED_ARG_QUICK,	/* 3.11's quickened EXTENDED_ARG */
	PY_OP_CALL_KW,			/* 3.13+ */
	PY_OP_INSTRUMENTED_CALL_KW,
	PY_OP__COUNT,
};

struct py_opcodes {
	int num[PY_OP__COUNT];	/* -1: no such instruction in this version */
	/* the base instruction of each opcode (itself if it is one), from the
	 * interpreter's dis.deoptmap: what _PyOpcode_Deopt holds in the binary,
	 * for builds without its symbol; n_deopt = 0: not printed */
	unsigned char deopt[256];
	int n_deopt;
	/* --c-calls: which calls of a bound method (types.MethodType) the
	 * interpreter's own profiler reports as c_call (PY_PROFILE_BOUND_*; it
	 * changed within 3.12 and again in 3.14); -1: not printed */
	int profile_bound;
};
#define PY_PROFILE_BOUND_CFUNC 0x1	/* of a builtin function, by CALL */
#define PY_PROFILE_BOUND_DESCR 0x2	/* of a method descriptor, by CALL */
#define PY_PROFILE_BOUND_CFUNC_EX 0x4	/* ... by CALL_FUNCTION_EX (f(*args)) */
#define PY_PROFILE_BOUND_DESCR_EX 0x8

const char *py_opcodes__name(enum py_op op);

/* Parse the "NAME NUMBER" and "deopt SPECIALIZED BASE" lines the query
 * script prints. 0, or -EINVAL when a line is malformed, a number is out of
 * 0..255, or RESUME, RETURN_VALUE or YIELD_VALUE is missing. */
int py_opcodes__parse(const char *text, struct py_opcodes *out);

/* Run the interpreter of process PID (its /proc/PID/exe, inside its root
 * directory, with CREDS: its own, user/os/run_as.h; NULL: unknown, not run)
 * with -I -S to print its `opcode.opmap`. */
struct proc_creds;
int py_opcodes__query(int pid, const struct proc_creds *creds, struct py_opcodes *out, char *err,
		      size_t errlen);
#endif
