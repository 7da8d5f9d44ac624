/* SPDX-License-Identifier: MIT */
/* CPython structure layouts, per interpreter version. */
#ifndef TRACER_PY_LAYOUT_H
#define TRACER_PY_LAYOUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tracer.h"

/* Offsets used only by userspace (reading the process from outside). */
struct py_runtime_layout {
	int32_t runtime_tstate_current;	/* _PyRuntime.gilstate.tstate_current (<=3.11), -1 else */
	int32_t runtime_interpreters_main; /* _PyRuntime.interpreters.main */
	int32_t interp_eval_frame;	/* PyInterpreterState.eval_frame (PEP 523 hook) */
	/* 3.12+, offsets in _PyRuntime of the main interpreter's GIL
	 * (_main_interpreter._gil), of its last_holder (the thread state
	 * running Python code), and of the interpreter's pointer to the GIL it
	 * uses (ceval.gil, which must point to the former); -1 before */
	int32_t runtime_gil_holder;
	int32_t runtime_gil_ptr;
	int32_t runtime_gil;
	/* the thread states' pthread key (Py_tss_t autoTSSkey: {int
	 * _is_initialized; pthread_key_t _key;}), how sampling finds a
	 * thread's state */
	int32_t runtime_tss_key;
};

/* Layout for MAJOR.MINOR from the built-in table (derived from DWARF of
 * CPython builds, see tools/derive-offsets.py). 0, or -ENOTSUP when the
 * version is not in the table. */
int py_layout__for_version(unsigned major, unsigned minor,
			   struct tr_py_layout *out, struct py_runtime_layout *rt);

/* The same for a free-threaded build (FREE_THREADED) or not: only 3.14t
 * has a row of the former. */
int py_layout__for_build(unsigned major, unsigned minor, bool free_threaded,
			 struct tr_py_layout *out, struct py_runtime_layout *rt);

/* 3.13+: fill the layout from the bytes of _Py_DebugOffsets (the start of
 * _PyRuntime, read from the process or the binary). Checks the "xdebugpy"
 * cookie and the version. 0, -EINVAL (not debug offsets) or -ENOTSUP
 * (also: a free-threaded build other than 3.14t's). */
int py_layout__from_debug_offsets(const void *buf, size_t len,
				  struct tr_py_layout *out, struct py_runtime_layout *rt);

/* lowest and highest minor versions (of 3.x) the table supports */
#define PY_LAYOUT_MIN_MINOR 8
#define PY_LAYOUT_MAX_MINOR 14
#endif
