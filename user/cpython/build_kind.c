// SPDX-License-Identifier: MIT
/*
 * Builds we refuse, told apart by what their files hold.
 *
 * PyPy: its shared library (libpypy3.X-c.so, libpypy-c.so) or executable
 * exports RPython's entry points (pypy_main_startup, pypy_setup_home).
 * Python 2: Py_InitModule4 (Py_InitModule4_64 on 64-bit) exists only there
 * (Python 3 replaced it with PyModule_Create2). CPython 3.0-3.7: the
 * version from the library's soname (libpython3.6m.so.1.0) when there is
 * one, else 3.6 from _PyEval_EvalFrameDefault without _PyRuntime (PEP 523
 * came in 3.6, _PyRuntime in 3.7), else "3.5 or older".
 *
 * Free-threaded (Py_GIL_DISABLED): _Py_DebugOffsets, at the start of
 * _PyRuntime from 3.13, says it (its third field, free_threaded); the
 * library name says it too (libpython3.13t.so: the ABI flag "t"). Objects,
 * frames and thread states differ there (per-object locks, biased
 * reference counts, thread-local bytecode, no GIL to find the running
 * thread by). Sampling reads what _Py_DebugOffsets describes (plus the
 * "3.14t" row of user/cpython/py_layout.c): allowed here, and refused later
 * by the layout where that falls short (3.13t). Exact tracing was checked
 * against no such build: refused.
 *
 * Tail-calling interpreter (3.14+, clang 19+, e.g. uv's standalone builds):
 * each instruction is a function _TAIL_CALL_<op> reached through a table of
 * function pointers, not a label of _PyEval_EvalFrameDefault reached through
 * the computed-goto table the dispatch strategy probes: exact tracing is
 * refused; sampling reads frames from thread states, which the dispatch
 * technique does not change, so it stays. Told from the handlers' symbols
 * (.symtab); a stripped tail-calling build has no opcode_targets table
 * either, and dispatch is refused on that ground.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cpython/build_kind.h"
#include "cpython/py_layout.h"
#include "os/elf_file.h"

#define ERR(...) (snprintf(why, n, __VA_ARGS__), -ENOTSUP)

static bool build_kind__has(struct elf_file *ef, const char *sym)
{
	uint64_t v, sz;

	return !elf_file__find_symbol(ef, sym, &v, &sz);
}

int build_kind__version(uint32_t version_hex, char *why, size_t n)
{
	unsigned major = version_hex >> 24, minor = (version_hex >> 16) & 0xff;

	if (major == 3 && minor >= PY_LAYOUT_MIN_MINOR && minor <= PY_LAYOUT_MAX_MINOR)
		return 0;
	if (major == 2)
		return ERR("Python 2 is not supported (CPython 3.%d to 3.%d are)",
			   PY_LAYOUT_MIN_MINOR, PY_LAYOUT_MAX_MINOR);
	return ERR("CPython %u.%u is not supported (3.%d to 3.%d are)", major, minor,
		   PY_LAYOUT_MIN_MINOR, PY_LAYOUT_MAX_MINOR);
}

int build_kind__other_python(const char *path, const char *name, char *why, size_t n)
{
	struct elf_file *ef = elf_file__open(path);
	const char *soname;
	unsigned minor;
	int ret = 0;

	if (!ef)
		return 0;	/* not a file we can read: nothing to tell */
	soname = elf_file__soname(ef);
	if (build_kind__has(ef, "pypy_main_startup") || build_kind__has(ef, "pypy_setup_home") ||
	    (soname && !strncmp(soname, "libpypy", 7)))
		ret = ERR("%s is PyPy: PyPy is not supported (yet)", name);
	else if (build_kind__has(ef, "Py_InitModule4_64") || build_kind__has(ef, "Py_InitModule4"))
		ret = ERR("%s is Python 2: Python 2 is not supported (CPython 3.%d to 3.%d are)",
			  name, PY_LAYOUT_MIN_MINOR, PY_LAYOUT_MAX_MINOR);
	else if (soname && sscanf(soname, "libpython3.%u", &minor) == 1)
		ret = build_kind__version(0x03000000u | minor << 16, why, n);
	else if (build_kind__has(ef, "_PyEval_EvalFrameDefault") &&
		 !build_kind__has(ef, "_PyRuntime"))
		ret = build_kind__version(0x03060000u, why, n);
	else if (build_kind__has(ef, "PyModule_Create2") &&
		 !build_kind__has(ef, "_PyEval_EvalFrameDefault"))
		ret = ERR("%s is CPython 3.5 or older: not supported (3.%d to 3.%d are)", name,
			  PY_LAYOUT_MIN_MINOR, PY_LAYOUT_MAX_MINOR);
	elf_file__close(ef);
	return ret;
}

int build_kind__free_threaded_offsets(const void *blob, size_t len)
{
	const unsigned char *p = blob;
	uint64_t ft;

	if (len < 24 || memcmp(p, "xdebugpy", 8))
		return -EINVAL;
	memcpy(&ft, p + 16, sizeof(ft));
	return ft != 0;
}

int build_kind__of_file(const char *path, struct build_kind *k)
{
	struct elf_file *ef = elf_file__open(path);
	const char *soname;
	unsigned char blob[24];
	uint64_t v, sz;
	unsigned minor;
	char flags[8] = "";
	int ft = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (!ef)
		return -errno;
	soname = elf_file__soname(ef);
	if (!elf_file__find_symbol(ef, "_PyRuntime", &v, &sz) &&
	    elf_file__read_vaddr(ef, v, blob, sizeof(blob)) == sizeof(blob))
		ft = build_kind__free_threaded_offsets(blob, sizeof(blob));
	k->debug_offsets = ft >= 0;
	if (ft == 1) {
		k->free_threaded = true;
		snprintf(k->how, sizeof(k->how), "_Py_DebugOffsets.free_threaded");
	} else if (soname && sscanf(soname, "libpython3.%u%7[a-z]", &minor, flags) == 2 &&
		   strchr(flags, 't')) {
		k->free_threaded = true;
		snprintf(k->how, sizeof(k->how), "its library's name, %s", soname);
	}
	if (build_kind__has(ef, "_TAIL_CALL_NOP") || build_kind__has(ef, "_TAIL_CALL_RESUME")) {
		k->tail_calls = true;
		if (!k->how[0])
			snprintf(k->how, sizeof(k->how), "its _TAIL_CALL_* handler symbols");
	}
	elf_file__close(ef);
	return 0;
}

int build_kind__check(const struct build_kind *k, bool exact, char *why, size_t n)
{
	if (k->free_threaded && exact)
		return ERR("a free-threaded CPython build (Py_GIL_DISABLED, told by %s): exact "
			   "tracing is not supported there (its strategies find the running "
			   "thread state through the GIL, which this build runs without, and "
			   "none was checked against its frames); sampling is: --sample, on "
			   "3.14t", k->how);
	if (k->tail_calls && exact)
		return ERR("a CPython built with the tail-calling interpreter (told by %s): its "
			   "instructions are _TAIL_CALL_* functions, not the computed-goto labels "
			   "exact tracing probes; exact tracing is not supported there (sampling "
			   "is: --sample)", k->how);
	return 0;
}
