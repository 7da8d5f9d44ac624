/* SPDX-License-Identifier: MIT */
/*
 * Reading a live CPython process's objects from outside (process_vm_readv):
 * words, str objects and dict entries, for `tracer dump`
 * (user/capture/py_stacks.c, py_thread_names.c). Every read is checked;
 * nothing is trusted to be what it claims beyond what is checked.
 */
#ifndef TRACER_PY_MEM_H
#define TRACER_PY_MEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tracer.h"

struct py_mem {
	int pid;
	unsigned minor;			/* 3.MINOR */
	const struct tr_py_layout *L;
};

/* LEN bytes at ADDR: 0 or -errno (-EFAULT when short) */
int py_mem__read(const struct py_mem *m, uint64_t addr, void *buf, size_t len);
/* the word at ADDR (0 when unreadable): 0 or -errno */
int py_mem__ptr(const struct py_mem *m, uint64_t addr, uint64_t *out);
/* the compact str object OBJ as UTF-8 (malloc'ed; at most 4096 bytes of
 * it), "<unreadable>" when it is not one; NULL when out of memory */
char *py_mem__str(const struct py_mem *m, uint64_t obj);
/* the first MAX code points of the compact str object OBJ into CPS (*N of
 * them) and its whole length in *LENGTH: 0, or -errno (-EINVAL: not a
 * compact str) */
int py_mem__str_chars(const struct py_mem *m, uint64_t obj, uint32_t *cps, size_t max,
		      size_t *n, int64_t *length);
/* is OBJ a compact ASCII str equal to S? */
bool py_mem__str_is(const struct py_mem *m, uint64_t obj, const char *s);
#endif
