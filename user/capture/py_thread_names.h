/* SPDX-License-Identifier: MIT */
/*
 * The names `threading` gives a live process's threads (Thread.name), read
 * from outside: sys.modules["threading"]._active, {ident: Thread}, and each
 * Thread's `_name` attribute. For `tracer dump` (user/capture/py_stacks.c).
 */
#ifndef TRACER_PY_THREAD_NAMES_H
#define TRACER_PY_THREAD_NAMES_H
#include <stdbool.h>
#include <stdint.h>
#include "capture/py_mem.h"
#include "capture/py_stacks.h"

/* Set py_name of each thread of S that threading._active of interpreter
 * INTERP lists (by ident). Best effort: a process that never imported
 * threading, or whose objects cannot be read, leaves the names NULL.
 * 0, or -ENOMEM. */
int py_thread_names__fill(const struct py_mem *m, uint64_t interp, struct py_stacks *s);
/* the global NAME of module MODULE (sys.modules[MODULE].NAME) of interpreter
 * INTERP, read the same way (user/capture/async_tasks.c): 0 when the module
 * is not imported, has no such global, or cannot be read; *ABSENT true
 * when sys.modules was read whole and has no MODULE */
uint64_t py_thread_names__module_attr(const struct py_mem *m, uint64_t interp,
				      const char *module, const char *name, bool *absent);
#endif
