// SPDX-License-Identifier: MIT
/*
 * Analysing the file that holds a CPython interpreter, once for all the
 * processes that run it (user/capture/target.c applies it to one process).
 *
 * The version comes from the binary, never from a file name: the exported
 * constant Py_Version (3.11+), else the DT_SONAME of the library
 * (libpython3.X.so...), which the linker wrote into the binary. 3.13+
 * describe their own structures in _Py_DebugOffsets, the start of
 * _PyRuntime's initial value in .data: read from the file, it is what every
 * process of the binary starts with.
 *
 * What each call strategy needs from the file is prepared here; which one
 * a process gets also depends on the process (launched or attached, its
 * GIL, its frame evaluator hook), so target.c chooses. Here:
 *   - USDT: the python:function__entry/__return notes (and `line` on 3.11).
 *   - DISPATCH (3.11+), tried when USDT is not chosen: the interpreter
 *     prints its opcode numbers (py_opcodes__query, run through a process
 *     that runs it) and user/cpython/dispatch_sites.c picks the probe sites.
 *   - EVAL: the evaluator's offset and the perf trampoline's address.
 * A strategy the user forces that the file cannot have is refused here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "cpython/binary.h"
#include "cpython/build_kind.h"
#include "os/elf_file.h"
#include "cpython/py_opcodes.h"
#include "cpython/init_shim.h"

#define ERR(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

static int detect_version(struct elf_file *ef, uint32_t *hex)
{
	uint64_t v, sz;
	uint32_t val;
	const char *so;
	unsigned major, minor;

	if (!elf_file__find_symbol(ef, "Py_Version", &v, &sz) &&
	    elf_file__read_vaddr(ef, v, &val, sizeof(val)) == sizeof(val) && (val >> 24) == 3) {
		*hex = val;
		return 0;
	}
	so = elf_file__soname(ef);
	if (so && sscanf(so, "libpython%u.%u", &major, &minor) == 2) {
		*hex = major << 24 | minor << 16;
		return 0;
	}
	return -ENOENT;
}

/* The structure layout: 3.13+ from the file's _Py_DebugOffsets, else from
 * the built-in table (a version past the table's is refused before, by
 * build_kind__version). */
static int find_layout(struct binary *b, struct elf_file *ef, uint64_t rt_sz,
		       char *err, size_t errlen)
{
	unsigned major = b->version_hex >> 24, minor = (b->version_hex >> 16) & 0xff;
	unsigned char buf[4096];
	size_t len = rt_sz < sizeof(buf) ? rt_sz : sizeof(buf);
	ssize_t n;
	int ret;

	if (minor >= 13) {
		n = elf_file__read_vaddr(ef, b->runtime_vaddr, buf, len);
		ret = n < 0 ? (int)n : (size_t)n == len ? 0 : -EFAULT;
		if (!ret)
			ret = py_layout__from_debug_offsets(buf, len, &b->cfg.layout, &b->rt);
		if (!ret)
			return 0;
		/* a Py_GIL_DISABLED build has another object header and frame:
		 * the GIL build's row would be wrong, never a fallback. Only
		 * 3.14t's has a row (derived from such a build's DWARF) */
		if (build_kind__free_threaded_offsets(buf, len) == 1)
			return ERR("CPython %u.%u: a free-threaded build (Py_GIL_DISABLED): %s",
				   major, minor, minor == 14 ?
				   "its _Py_DebugOffsets fail the layout checks" :
				   "only 3.14t's layout is known (derived from and checked against a "
				   "3.14t build's DWARF; none of 3.13t was)"), -ENOTSUP;
	}
	ret = py_layout__for_version(major, minor, &b->cfg.layout, &b->rt);
	if (ret)
		ERR("CPython %u.%u: no structure layout known", major, minor);
	return ret;
}

/* The span of the code object the BPF side reads to check an identity. */
static int set_identity_span(struct tr_proc_cfg *c)
{
	const struct tr_py_layout *L = &c->layout;
	int name = L->code_qualname >= 0 ? L->code_qualname : L->code_name;
	int lo = name, hi = name + 8;

	if (L->code_filename < lo)
		lo = L->code_filename;
	if (L->code_firstlineno < lo)
		lo = L->code_firstlineno;
	if (L->code_filename + 8 > hi)
		hi = L->code_filename + 8;
	if (L->code_firstlineno + 4 > hi)
		hi = L->code_firstlineno + 4;
	if (lo < 0 || hi - lo > TR_FP_SPAN_MAX)
		return -ERANGE;
	c->fp_off = lo;
	c->fp_len = hi - lo;
	c->fp_name = name - lo;
	c->fp_file = L->code_filename - lo;
	c->fp_line = L->code_firstlineno - lo;
	/* the frame's code and back pointers: 8-byte aligned words */
	lo = L->frame_code < L->frame_back ? L->frame_code : L->frame_back;
	hi = (L->frame_code > L->frame_back ? L->frame_code : L->frame_back) + 8;
	if (lo < 0 || (lo | L->frame_code | L->frame_back) % 8 || hi - lo > 8 * TR_FR_WORDS_MAX)
		return -ERANGE;
	c->fr_off = lo;
	c->fr_words = (hi - lo) / 8;
	c->fr_code = (L->frame_code - lo) / 8;
	c->fr_back = (L->frame_back - lo) / 8;
	return 0;
}

/* the opcode query, run in a thread of its own */
struct ops_query {
	const struct binary_req *req;
	struct py_opcodes ops;
	char err[384];
	int ret;
};

static void *ops_query(void *arg)
{
	struct ops_query *q = arg;

	q->ret = py_opcodes__query(q->req->runner_pid, q->req->runner_creds, &q->ops, q->err,
				   sizeof(q->err));
	return NULL;
}

/*
 * The file's part of the dispatch strategy: the way to the thread state,
 * then the probe sites. A failure is kept in B (ds_ret, ds_why): whether
 * it ends in an error or another strategy is the process's choice.
 *
 * The opcode numbers come from the interpreter run in a process of its own
 * (50-250 ms, mostly its start); what the sites need besides (the
 * handlers' table, exit_unwind, the eval function disassembled: 0.1-0.3 s)
 * does not depend on them, so the query runs in a thread meanwhile. Its
 * failure is said first, as when the two ran one after the other.
 */
static int plan_dispatch(const struct binary_req *req, struct binary *b, struct elf_file *ef)
{
	unsigned minor = (b->version_hex >> 16) & 0xff;
	char *err = b->ds_why;
	size_t errlen = sizeof(b->ds_why);
	struct ops_query q = { .req = req };
	struct ds_prep *prep = NULL;
	char prep_err[384] = "";
	uint64_t shim, shim_sz;
	pthread_t tid;
	bool threaded;
	int ret, prep_ret;

	if (minor < 11)
		return ERR("dispatch: only for CPython 3.11+"), -ENOTSUP;
	if (minor == 11 && b->rt.runtime_tstate_current >= 0)
		b->ds_tstate_vaddr = b->runtime_vaddr + b->rt.runtime_tstate_current;
	else if (minor >= 12 && b->rt.runtime_gil_holder >= 0)
		b->ds_tstate_vaddr = b->runtime_vaddr + b->rt.runtime_gil_holder;
	else
		return ERR("dispatch: no way to the running thread state on 3.%u", minor), -ENOTSUP;
	threaded = !pthread_create(&tid, NULL, ops_query, &q);
	prep_ret = dispatch_sites__prepare(ef, req->path, b->cfg.layout.frame_back, &prep,
					   prep_err, sizeof(prep_err));
	if (threaded)
		pthread_join(tid, NULL);
	else
		ops_query(&q);
	ret = q.ret;
	if (ret) {
		snprintf(err, errlen, "%s", q.err);
		goto out;
	}
	ret = prep_ret;
	if (ret) {
		snprintf(err, errlen, "%s", prep_err);
		goto out;
	}
	ret = dispatch_sites__plan_prepared(prep, &q.ops, &b->plan, err, errlen);
	if (ret)
		goto out;
	for (int i = 0; i < b->plan.n; i++)
		if (elf_file__vaddr_to_offset(ef, b->plan.sites[i].vaddr, &b->site_offset[i])) {
			ERR("dispatch: probe site 0x%llx is not in the file",
			    (unsigned long long)b->plan.sites[i].vaddr);
			ret = -ENOTSUP;
			goto out;
		}
	if (b->plan.n_slow) {
		size_t used = snprintf(b->ds_slow, sizeof(b->ds_slow), "dispatch: %d probe site(s) "
				       "are on instructions the kernel single-steps (each hit 13-18 us "
				       "more than an emulated site's on a 2-vCPU VM; "
				       "--subtract-probe-cost measures it and takes it out of self "
				       "times):",
				       b->plan.n_slow);
		for (int i = 0; i < b->plan.n && used < sizeof(b->ds_slow); i++)
			if (!b->plan.sites[i].emulated)
				used += snprintf(b->ds_slow + used, sizeof(b->ds_slow) - used, " %s",
						 b->plan.sites[i].what);
	}
	/* 3.13+'s __init__ shim: its symbol, or found in .data (init_shim.c) */
	if (!elf_file__find_symbol(ef, "_Py_InitCleanup", &shim, &shim_sz) ||
	    (minor >= 13 && !init_shim__find(ef, &b->cfg.layout, q.ops.num[PY_OP_RESUME],
					     q.ops.num[PY_OP_RETURN_VALUE], &shim)))
		b->ds_shim_vaddr = shim;
	else if (minor >= 13) {
		ERR("dispatch: %s: no _Py_InitCleanup (the __init__ shim of 3.13+) found: "
		    "its frames' exits could not be told from returns", req->name);
		ret = -ENOTSUP;
		goto out;
	}
	b->ops = q.ops;
	b->ops_asked = true;
out:
	dispatch_sites__prep_free(prep);
	return ret;
}

/* Check the strategy the user forces, and prepare the candidates. */
static int plan_calls(const struct binary_req *req, struct binary *b, struct elf_file *ef,
		      char *err, size_t errlen)
{
	unsigned minor = (b->version_hex >> 16) & 0xff;
	const char *force = req->force;
	bool use_usdt;

	b->usdt = elf_file__has_usdt(ef, "python", "function__entry", NULL) &&
		  elf_file__has_usdt(ef, "python", "function__return", NULL) &&
		  (minor != 11 || elf_file__has_usdt(ef, "python", "line", NULL)) &&
		  b->rt.runtime_tstate_current >= 0;
	if (force && strcmp(force, "usdt") && strcmp(force, "eval") && strcmp(force, "dispatch")) {
		ERR("unknown strategy '%s' (usdt, dispatch, eval)", force);
		return -EINVAL;
	}
	if (force && !strcmp(force, "eval") && minor == 11) {
		ERR("--strategy=eval: CPython 3.11 runs a Python function called from Python "
		    "inside its caller's evaluator and has no perf trampoline (3.12+) to make "
		    "it call _PyEval_EvalFrameDefault: those calls would be missed (use %s)",
		    b->usdt ? "dispatch, the default here, or usdt" : "dispatch");
		return -ENOTSUP;
	}
	if (force && !strcmp(force, "dispatch") && minor < 11) {
		ERR("--strategy=dispatch: the dispatch sites are those of CPython 3.11+'s "
		    "evaluator; on 3.%u eval (the default) is exact", minor);
		return -ENOTSUP;
	}
	if (force && !strcmp(force, "usdt") && !b->usdt) {
		ERR("--strategy=usdt: %s has no usable python:function__entry/__return USDT probes",
		    req->name);
		return -ENOTSUP;
	}
	use_usdt = force && !strcmp(force, "usdt");
	/* not forced: dispatch is planned even where USDT is there, the
	 * process's choice (user/capture/target.c) takes the faster */
	if (!use_usdt && minor >= 11 && (!force || !strcmp(force, "dispatch"))) {
		b->ds_tried = true;
		b->ds_ret = plan_dispatch(req, b, ef);
	}
	return 0;
}

/* How GC collections and imports are probed: USDT where the build has the
 * probes (whatever the call strategy), else uprobes (user/cpython/runtime_sites.c) */
static void plan_runtime(const struct binary_req *req, struct binary *b, struct elf_file *ef)
{
	static const char *const probes[] = { "gc__start", "gc__done", "import__find__load__start",
					      "import__find__load__done" };
	char missing[192];

	b->runtime_usdt = true;
	for (int i = 0; i < 4; i++)
		b->runtime_usdt &= elf_file__has_usdt(ef, "python", probes[i], NULL);
	if (b->runtime_usdt)
		return;
	runtime_sites__find(ef, req->path, b->version_hex, &b->runtime, missing, sizeof(missing));
	if (missing[0])
		snprintf(b->runtime_missing, sizeof(b->runtime_missing), "not on the timeline: %s",
			 missing);
}

/* file offset of function SYM, 0 when it is not in the file */
static uint64_t offset_of(struct elf_file *ef, const char *sym)
{
	uint64_t v, sz, off;

	if (elf_file__find_symbol(ef, sym, &v, &sz) || elf_file__vaddr_to_offset(ef, v, &off))
		return 0;
	return off;
}

int binary__analyse(const struct binary_req *req, struct binary *b, char *err, size_t errlen)
{
	struct elf_file *ef;
	uint64_t v, sz, rt_sz;
	unsigned major, minor;
	int ret;

	memset(b, 0, sizeof(*b));
	ef = elf_file__open(req->path);
	if (!ef) {
		ret = -errno;
		ERR("cannot open %s: %s", req->path, strerror(-ret));
		return ret;
	}
	if (detect_version(ef, &b->version_hex)) {
		ret = -ENOTSUP;
		ERR("cannot tell the CPython version of %s (no Py_Version, no libpython soname)",
		    req->name);
		goto cleanup;
	}
	major = b->version_hex >> 24;
	minor = (b->version_hex >> 16) & 0xff;
	ret = build_kind__version(b->version_hex, err, errlen);	/* (3.15+ too) */
	if (ret)
		goto cleanup;
	b->eval_sees_every_call = minor <= 10;
	b->usdt_entry_needs_line = minor == 11;
	/* 3.11's YIELD_VALUE (Lib/opcode.py, the whole 3.11 series): see
	 * usdt_yield_op in include/tracer.h. (3.12+ have no function probes.
	 * 3.8-3.10 make the delegate current too, suspended at YIELD_FROM, but
	 * no USDT build of them is here to check a test of it on: not done,
	 * such a throw shows on a track of its own there.) */
	b->cfg.usdt_yield_op = minor == 11 ? 86 : 0;
	b->has_perf_trampoline = minor >= 12;
	b->has_monitoring = minor >= 12;
	b->has_own_gil = minor >= 12;
	b->eval_misses_init = minor == 13;
	/* the message says "in the process": target.c locates the evaluator
	 * in the process's mappings with the same words */
	if (elf_file__find_symbol(ef, "_PyEval_EvalFrameDefault", &b->eval_vaddr, &sz) ||
	    elf_file__vaddr_to_offset(ef, b->eval_vaddr, &b->eval_offset) ||
	    elf_file__find_symbol(ef, "_PyRuntime", &b->runtime_vaddr, &rt_sz)) {
		ret = -ENOENT;
		ERR("%s: cannot locate _PyEval_EvalFrameDefault/_PyRuntime in the process",
		    req->name);
		goto cleanup;
	}
	ret = find_layout(b, ef, rt_sz, err, errlen);
	if (ret)
		goto cleanup;
	b->cfg.layout.version_hex = b->version_hex;
	ret = set_identity_span(&b->cfg);
	if (ret) {
		ERR("CPython %u.%u: the code object's identity fields are too far apart", major, minor);
		goto cleanup;
	}
	if (!elf_file__find_symbol(ef, "py_trampoline_evaluator", &v, &sz))
		b->trampoline_vaddr = v;
	if (req->probe_calls) {
		ret = plan_calls(req, b, ef, err, errlen);
		if (ret)
			goto cleanup;
		plan_runtime(req, b, ef);
	}
	/* code_dealloc is a local symbol: only in builds with .symtab */
	b->dealloc_offset = offset_of(ef, "code_dealloc");
	b->cfg.dealloc_probed = b->dealloc_offset != 0;
	b->getsizeof_offset = offset_of(ef, "_PySys_GetSizeOf");
	b->perfmap_offset = offset_of(ef, "PyUnstable_WritePerfMapEntry");
cleanup:
	elf_file__close(ef);
	return ret;
}
