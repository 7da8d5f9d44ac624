/* SPDX-License-Identifier: MIT */
/*
 * Every thread's Python stack of a live process, read from outside through
 * process_vm_readv (no probe, nothing stopped): the userspace twin of the
 * BPF frame walk of bpf/sample.bpf.h, with the same layouts
 * (user/cpython/py_layout.c) and the same rules (C-stack entry frames and
 * 3.13's __init__ shim are not calls; a line is the line table's for the
 * frame's instruction offset, as CPython's f_lineno). What `tracer dump`
 * prints.
 */
#ifndef TRACER_PY_STACKS_H
#define TRACER_PY_STACKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture/py_locals.h"

struct target;

/* the deepest stack read; deeper ones are cut (py_thread.truncated) */
#define PY_STACKS_MAX_FRAMES 4096

struct py_frame {
	char *name;		/* co_qualname (co_name before 3.11), UTF-8 */
	char *file;		/* co_filename, UTF-8 */
	uint32_t firstlineno;
	uint32_t line;		/* 0 when unknown */
	/* py_stacks__read_locals: its bound variables (py_locals.h), or
	 * locals_unreadable */
	struct py_local *locals;
	size_t n_locals;
	bool locals_unreadable;
};

struct py_thread {
	uint64_t ident;		/* threading.get_ident(): pthread_self() */
	int tid;		/* the OS thread (threading.get_native_id()), 0 if unknown */
	char os_name[32];	/* /proc/PID/task/TID/comm, "" if unknown */
	char *py_name;		/* threading.Thread.name, NULL if not found */
	bool truncated;		/* more than PY_STACKS_MAX_FRAMES */
	bool read_error;	/* the chain broke off at an unreadable frame */
	struct py_frame *frames;	/* innermost first */
	size_t n;
};

struct py_stacks {
	struct py_thread *v;	/* in the interpreter's order: newest thread first */
	size_t n;
};

/* Read every thread state of T's main interpreter and its frames. 0, or
 * -errno with a one-line reason in ERR (nothing to free then). */
int py_stacks__read(const struct target *t, struct py_stacks *out, char *err, size_t errlen);
/* the same with each frame's local variables (CPython 3.11-3.14: -ENOTSUP
 * and why in ERR for another) */
int py_stacks__read_locals(const struct target *t, struct py_stacks *out, char *err,
			   size_t errlen);
/* the same without the frames (py_thread.n 0): each thread's ident, tid,
 * OS and Python names, a few reads (what a session names tracks with) */
int py_stacks__read_names(const struct target *t, struct py_stacks *out, char *err,
			  size_t errlen);
void py_stacks__free(struct py_stacks *s);
#endif
