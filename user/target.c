// SPDX-License-Identifier: MIT
/*
 * Inspecting a process before tracing it.
 *
 * The interpreter lives either in a shared libpython3.X or in the
 * executable itself. We find it in /proc/PID/maps and open it through
 * /proc/PID/root, so a process in another mount namespace (a container) is
 * inspected through its own view of the file system.
 *
 * The version comes from the binary, never from a file name: the exported
 * constant Py_Version (3.11+), else the DT_SONAME of the library
 * (libpython3.X.so...), which the linker wrote into the binary.
 *
 * How a strategy is chosen (the first that is exact for the build):
 *   1. USDT probes python:function__entry/__return (builds with SystemTap
 *      probes, up to 3.11: 3.12 removed them).
 *   2. DISPATCH (3.11+): uprobes in the eval loop's opcode handlers, chosen
 *      by user/dispatch_sites.c; needs .symtab and DWARF (pyenv and most
 *      source builds have them).
 *   3. EVAL: uprobe on _PyEval_EvalFrameDefault. Every Python call enters
 *      it on 3.8-3.10; on 3.12+ only when a PEP 523 frame evaluator is
 *      installed, which the perf trampoline is (with --strategy=eval launch
 *      mode turns it on with PYTHONPERFSUPPORT=1; in attach mode we check
 *      the interpreter's hook).
 *   4. Otherwise refuse, saying why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf_file.h"
#include "proc_maps.h"
#include "py_opcodes.h"
#include "target.h"

#define ERR(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

int target__read_mem(int pid, uint64_t addr, void *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, (off_t)addr);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static void warn(struct target *t, const char *msg)
{
	if (t->n_warnings < IN_MAX_WARNINGS)
		snprintf(t->warnings[t->n_warnings++], sizeof(t->warnings[0]), "%s", msg);
}

/* Does the file at OPEN_PATH hold a CPython interpreter? */
static bool has_interpreter(const char *open_path)
{
	struct elf_file *ef = elf_file__open(open_path);
	uint64_t v, sz;
	bool yes;

	if (!ef)
		return false;
	yes = !elf_file__find_symbol(ef, "_PyEval_EvalFrameDefault", &v, &sz) &&
	      !elf_file__find_symbol(ef, "_PyRuntime", &v, &sz);
	elf_file__close(ef);
	return yes;
}

/* Find the mapped file with the interpreter: libpython first, else the executable. */
static int find_interpreter(struct target *t, const struct proc_maps *maps)
{
	const struct map_entry *m = proc_maps__find_basename_prefix(maps, "libpython3.");
	char exe_path[64];
	struct stat st;

	if (m) {
		snprintf(t->file, sizeof(t->file), "%s", m->path);
		snprintf(t->open_path, sizeof(t->open_path), "/proc/%d/root%s", t->pid, m->path);
		if (has_interpreter(t->open_path))
			return 0;
	}
	snprintf(exe_path, sizeof(exe_path), "/proc/%d/exe", t->pid);
	if (stat(exe_path, &st))
		return -errno;
	for (size_t i = 0; i < maps->n; i++) {
		m = &maps->v[i];
		if (m->inode != st.st_ino || m->path[0] != '/')
			continue;
		snprintf(t->file, sizeof(t->file), "%s", m->path);
		snprintf(t->open_path, sizeof(t->open_path), "/proc/%d/root%s", t->pid, m->path);
		if (has_interpreter(t->open_path))
			return 0;
		break;
	}
	return -ENOEXEC;
}

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

/* The PEP 523 frame evaluator of the main interpreter (0: the default one). */
static int read_eval_hook(const struct target *t, uint64_t *hook)
{
	uint64_t interp = 0;
	int err;

	*hook = 0;
	if (t->rt.runtime_interpreters_main < 0 || t->rt.interp_eval_frame < 0)
		return -ENOTSUP;
	err = target__read_mem(t->pid, t->runtime_addr + t->rt.runtime_interpreters_main,
			       &interp, sizeof(interp));
	if (err)
		return err;
	if (!interp)
		return -ESRCH;	/* not initialized yet */
	return target__read_mem(t->pid, interp + t->rt.interp_eval_frame, hook, sizeof(*hook));
}

/* The dispatch strategy for T: probe sites and the way to the thread state. */
static int plan_dispatch(struct target *t, struct elf_file *ef, char *err, size_t errlen)
{
	unsigned minor = (t->version_hex >> 16) & 0xff;
	struct py_opcodes ops;
	int ret;

	if (minor < 11)
		return ERR("dispatch: only for CPython 3.11+"), -ENOTSUP;
	if (minor == 11 && t->rt.runtime_tstate_current >= 0)
		t->cfg.tstate_ptr_addr = t->runtime_addr + t->rt.runtime_tstate_current;
	else if (minor >= 12 && t->rt.runtime_gil_holder >= 0)
		t->cfg.tstate_ptr_addr = t->runtime_addr + t->rt.runtime_gil_holder;
	else
		return ERR("dispatch: no way to the running thread state on 3.%u", minor), -ENOTSUP;
	if (minor >= 12 && t->mode == TARGET_ATTACH) {
		/* the main interpreter must use its own GIL (it always does) */
		uint64_t gil = 0;
		ret = target__read_mem(t->pid, t->runtime_addr + t->rt.runtime_gil_ptr, &gil,
				       sizeof(gil));
		if (ret || (gil && gil != t->runtime_addr + t->rt.runtime_gil))
			return ERR("dispatch: PID %d: the main interpreter's GIL is not where "
				   "CPython 3.%u keeps it", t->pid, minor), -ENOTSUP;
	}
	ret = py_opcodes__query(t->pid, &ops, err, errlen);
	if (ret)
		return ret;
	ret = dispatch_sites__plan(ef, t->open_path, &ops, t->cfg.layout.frame_back, &t->plan,
				   err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < t->plan.n; i++)
		if (elf_file__vaddr_to_offset(ef, t->plan.sites[i].vaddr, &t->site_offset[i]))
			return ERR("dispatch: probe site 0x%llx is not in the file",
				   (unsigned long long)t->plan.sites[i].vaddr), -ENOTSUP;
	if (t->plan.n_slow) {
		char msg[256];
		size_t used = snprintf(msg, sizeof(msg), "dispatch: %d probe site(s) are on "
				       "instructions the kernel single-steps (slower, ~10 us a hit):",
				       t->plan.n_slow);
		for (int i = 0; i < t->plan.n && used < sizeof(msg); i++)
			if (!t->plan.sites[i].emulated)
				used += snprintf(msg + used, sizeof(msg) - used, " %s",
						 t->plan.sites[i].what);
		warn(t, msg);
	}
	uint64_t shim, shim_sz;
	if (!elf_file__find_symbol(ef, "_Py_InitCleanup", &shim, &shim_sz))
		t->cfg.shim_code = t->load_bias + shim;
	t->cfg.strategy = TR_STRATEGY_DISPATCH;
	return 0;
}

static int choose_strategy(struct target *t, struct elf_file *ef, const char *force,
			   char *err, size_t errlen)
{
	unsigned minor = (t->version_hex >> 16) & 0xff;
	bool usdt = elf_file__has_usdt(ef, "python", "function__entry", NULL) &&
		    elf_file__has_usdt(ef, "python", "function__return", NULL) &&
		    (minor != 11 || elf_file__has_usdt(ef, "python", "line", NULL)) &&
		    t->rt.runtime_tstate_current >= 0;
	bool eval_exact = minor <= 10;
	char why[384] = "";
	int ret;

	if (force && strcmp(force, "usdt") && strcmp(force, "eval") && strcmp(force, "dispatch")) {
		ERR("unknown strategy '%s' (usdt, dispatch, eval)", force);
		return -EINVAL;
	}
	if (force && !strcmp(force, "usdt") && !usdt) {
		ERR("--strategy=usdt: %s has no usable python:function__entry/__return USDT probes",
		    t->file);
		return -ENOTSUP;
	}
	if ((force && !strcmp(force, "usdt")) || (!force && usdt)) {
		t->cfg.strategy = TR_STRATEGY_USDT;
		t->cfg.tstate_ptr_addr = t->runtime_addr + t->rt.runtime_tstate_current;
		if (minor == 11)
			warn(t, "usdt on 3.11: the `line` probe is enabled too, since the entry probe "
				"only fires with it (CPython issue 98894); it slows the target down");
		return 0;
	}
	if (minor >= 11 && (!force || !strcmp(force, "dispatch"))) {
		ret = plan_dispatch(t, ef, why, sizeof(why));
		if (!ret || (force && !strcmp(force, "dispatch"))) {
			if (ret)
				ERR("--strategy=dispatch: %s", why);
			return ret;
		}
		t->cfg.tstate_ptr_addr = 0;
	}
	if (!eval_exact && minor == 11) {
		ERR("PID %d runs CPython 3.11 without USDT probes and %s", t->pid, why);
		return -ENOTSUP;
	}
	if (!eval_exact && t->mode == TARGET_LAUNCH && !force) {
		ERR("PID %d runs CPython 3.%u and %s; --strategy=eval would start it with the perf "
		    "trampoline instead", t->pid, minor, why);
		return -ENOTSUP;
	}
	if (!eval_exact && t->mode == TARGET_ATTACH) {
		uint64_t hook = 0, tramp = 0, sz;
		int e = read_eval_hook(t, &hook);
		if (e) {
			ERR("PID %d: cannot read the interpreter's frame evaluator hook: %s",
			    t->pid, strerror(-e));
			return e;
		}
		if (!hook) {
			ERR("PID %d runs CPython %u.%u without the perf trampoline, and %s", t->pid,
			    3, minor, why);
			return -ENOTSUP;
		}
		/* another PEP 523 evaluator may run frames without the default one */
		if (!elf_file__find_symbol(ef, "py_trampoline_evaluator", &tramp, &sz) &&
		    hook - t->load_bias != tramp)
			warn(t, "a PEP 523 frame evaluator other than the perf trampoline is "
				"installed: frames it runs without _PyEval_EvalFrameDefault are not seen");
	}
	t->cfg.strategy = TR_STRATEGY_EVAL;
	if (!eval_exact && why[0])
		warn(t, why);
	warn(t, "eval: returns of calls nested more than 64 deep in a thread are not probed by "
		"the kernel (64 pending uretprobes per task); they are inferred from the frame "
		"chain: counts stay exact, their end times are upper bounds (flagged end_inferred)");
	if (minor == 13)
		warn(t, "eval on 3.13: once a call site of a class with a Python __init__ and the "
			"default __new__ is specialized (CALL_ALLOC_AND_ENTER_INIT), CPython runs that "
			"__init__ inside the caller's evaluator even with the perf trampoline: those "
			"__init__ calls are not seen");
	if (t->mode == TARGET_ATTACH)
		warn(t, "eval: the returns of frames already running at attach are not probed "
			"either: they are inferred the same way");
	return 0;
}

/* How GC collections and imports are probed: USDT where the build has the
 * probes (whatever the call strategy), else uprobes (user/runtime_sites.c) */
static void plan_runtime(struct target *t, struct elf_file *ef)
{
	static const char *const probes[] = { "gc__start", "gc__done", "import__find__load__start",
					      "import__find__load__done" };
	char missing[192], msg[256];

	t->runtime_usdt = true;
	for (int i = 0; i < 4; i++)
		t->runtime_usdt &= elf_file__has_usdt(ef, "python", probes[i], NULL);
	if (t->runtime_usdt)
		return;
	runtime_sites__find(ef, t->open_path, &t->runtime, missing, sizeof(missing));
	if (missing[0]) {
		snprintf(msg, sizeof(msg), "not on the timeline: %s", missing);
		warn(t, msg);
	}
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

int target__inspect(int pid, enum target_mode mode, bool probe_calls, const char *force,
		    struct target *t, char *err, size_t errlen)
{
	struct proc_maps maps = {};
	struct elf_file *ef = NULL;
	uint64_t eval_v, eval_sz, eval_addr, rt_v, rt_sz;
	unsigned major, minor;
	char link[64];
	ssize_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->mode = mode;
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, t->exe, sizeof(t->exe) - 1);
	if (n < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			ERR("no process with PID %d", pid);
		else
			ERR("cannot inspect PID %d: %s", pid, strerror(errno));
		return ret == -ENOENT ? -ESRCH : ret;
	}
	ret = proc_maps__read(pid, &maps);
	if (ret) {
		ERR("cannot read /proc/%d/maps: %s", pid, strerror(-ret));
		return ret;
	}
	ret = find_interpreter(t, &maps);
	if (ret) {
		ERR("PID %d (%s) is not a Python process: no CPython interpreter is mapped in it",
		    pid, t->exe);
		goto cleanup;
	}
	ef = elf_file__open(t->open_path);
	if (!ef) {
		ret = -errno;
		ERR("cannot open %s: %s", t->open_path, strerror(errno));
		goto cleanup;
	}
	if (detect_version(ef, &t->version_hex)) {
		ret = -ENOTSUP;
		ERR("cannot tell the CPython version of %s (no Py_Version, no libpython soname)",
		    t->file);
		goto cleanup;
	}
	major = t->version_hex >> 24;
	minor = (t->version_hex >> 16) & 0xff;
	if (major != 3 || minor < PY_LAYOUT_MIN_MINOR) {
		ret = -ENOTSUP;
		ERR("CPython %u.%u is not supported (3.%d to 3.%d are)", major, minor,
		    PY_LAYOUT_MIN_MINOR, PY_LAYOUT_MAX_MINOR);
		goto cleanup;
	}
	/* runtime addresses: the load bias comes from where the eval function is mapped */
	if (elf_file__find_symbol(ef, "_PyEval_EvalFrameDefault", &eval_v, &eval_sz) ||
	    elf_file__vaddr_to_offset(ef, eval_v, &t->eval_offset) ||
	    proc_maps__addr_of_offset(&maps, t->file, t->eval_offset, &eval_addr) ||
	    elf_file__find_symbol(ef, "_PyRuntime", &rt_v, &rt_sz)) {
		ret = -ENOENT;
		ERR("%s: cannot locate _PyEval_EvalFrameDefault/_PyRuntime in the process", t->file);
		goto cleanup;
	}
	t->load_bias = eval_addr - eval_v;
	t->runtime_addr = t->load_bias + rt_v;
	if (minor >= 13) {
		unsigned char buf[4096];
		size_t len = rt_sz < sizeof(buf) ? rt_sz : sizeof(buf);
		ret = target__read_mem(pid, t->runtime_addr, buf, len);
		if (!ret)
			ret = py_layout__from_debug_offsets(buf, len, &t->cfg.layout, &t->rt);
		if (ret && minor > PY_LAYOUT_MAX_MINOR) {
			ERR("CPython %u.%u: cannot read its _Py_DebugOffsets (%s)", major, minor,
			    strerror(-ret));
			goto cleanup;
		}
		if (ret)
			ret = py_layout__for_version(major, minor, &t->cfg.layout, &t->rt);
	} else {
		ret = py_layout__for_version(major, minor, &t->cfg.layout, &t->rt);
	}
	if (ret) {
		ERR("CPython %u.%u: no structure layout known", major, minor);
		goto cleanup;
	}
	t->cfg.layout.version_hex = t->version_hex;
	ret = set_identity_span(&t->cfg);
	if (ret) {
		ERR("CPython %u.%u: the code object's identity fields are too far apart", major, minor);
		goto cleanup;
	}
	if (probe_calls) {
		ret = choose_strategy(t, ef, force, err, errlen);
		if (!ret)
			plan_runtime(t, ef);
	}
	t->cfg.walk_running = mode == TARGET_ATTACH;
	/* code_dealloc is a local symbol: only in builds with .symtab */
	uint64_t dv, dsz;
	if (!elf_file__find_symbol(ef, "code_dealloc", &dv, &dsz) &&
	    !elf_file__vaddr_to_offset(ef, dv, &t->dealloc_offset))
		t->cfg.dealloc_probed = 1;
	if (!elf_file__find_symbol(ef, "_PySys_GetSizeOf", &dv, &dsz) &&
	    elf_file__vaddr_to_offset(ef, dv, &t->getsizeof_offset))
		t->getsizeof_offset = 0;
	if (!elf_file__find_symbol(ef, "PyUnstable_WritePerfMapEntry", &dv, &dsz) &&
	    elf_file__vaddr_to_offset(ef, dv, &t->perfmap_offset))
		t->perfmap_offset = 0;
cleanup:
	elf_file__close(ef);
	proc_maps__free(&maps);
	return ret;
}

void target__describe(const struct target *t, uint64_t attach_ts, struct in_process *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = t->pid;
	p->version_hex = t->version_hex;
	p->strategy = t->calls_inside ? TR_STRATEGY_NONE : t->cfg.strategy;
	p->attach_ts = attach_ts;
	snprintf(p->exe, sizeof(p->exe), "%s", t->exe);
	snprintf(p->lib, sizeof(p->lib), "%s", t->file);
	p->n_warnings = t->n_warnings;
	memcpy(p->warnings, t->warnings, sizeof(p->warnings));
}

void target__remove_perf_map(int pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", pid);
	if (!lstat(path, &st) && S_ISREG(st.st_mode))
		unlink(path);
}
