/* SPDX-License-Identifier: MIT */
/*
 * A frame's local variables, read from outside (`tracer dump --locals`):
 * names from its code object's co_localsplusnames, values as a short safe
 * repr. CPython 3.11-3.14 (the _PyInterpreterFrame layout); nothing of the
 * process is run or changed.
 */
#ifndef TRACER_PY_LOCALS_H
#define TRACER_PY_LOCALS_H
#include <stddef.h>
#include <stdint.h>
#include "capture/py_mem.h"

struct py_local {
	char *name;	/* UTF-8 (a name the target gave: escape it to show it) */
	char *value;	/* the repr (py_locals.c says which objects have one) */
};

/* NULL when 3.MINOR's locals can be read, else why not (one line) */
const char *py_locals__unsupported(unsigned minor);
/* The bound locals of the frame at FRAME running the code object CODE, in
 * co_localsplusnames order, into *OUT (*N of them; free with
 * py_locals__free). 0; -ENOMEM; -EFAULT or -EINVAL when they cannot be read
 * (the thread moved on, or the code object is not laid out as expected):
 * then nothing to free. */
int py_locals__read(const struct py_mem *m, uint64_t frame, uint64_t code,
		    struct py_local **out, size_t *n);
void py_locals__free(struct py_local *v, size_t n);
/* the repr of object OBJ (tested alone): malloc'ed, NULL when out of memory */
char *py_locals__repr(const struct py_mem *m, uint64_t obj);
#endif
