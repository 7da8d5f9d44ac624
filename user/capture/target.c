// SPDX-License-Identifier: MIT
/*
 * Inspecting a process before tracing it.
 *
 * The interpreter lives either in a shared libpython3.X or in the
 * executable itself. We find it in /proc/PID/maps and open it through
 * /proc/PID/root, so a process in another mount namespace (a container) is
 * inspected through its own view of the file system.
 *
 * The file is analysed once (user/cpython/binary.c: version, layout, what each
 * strategy needs, all as ELF addresses); here it is placed in the process
 * (load bias) and the process's own checks are made.
 *
 * How a strategy is chosen (the first that is exact for the build):
 *   0. On 3.11 with USDT probes (Debian's): DISPATCH, measured ~3x cheaper
 *      per call than USDT there, which needs its `line` probe (make bench);
 *      not when coverage wants the line events only USDT gives.
 *   1. USDT probes python:function__entry/__return (builds with SystemTap
 *      probes, up to 3.11: 3.12 removed them).
 *   2. DISPATCH (3.11+): uprobes in the eval loop's opcode handlers, chosen
 *      by user/cpython/dispatch_sites.c (exit_unwind from DWARF, else from
 *      the code: user/cpython/unwind_site.c); on 3.12+ attached, the main
 *      interpreter must use its own GIL.
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
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "os/elf_file.h"
#include "os/proc_maps.h"
#include "os/root_cache.h"
#include "cpython/binary_store.h"
#include "capture/target.h"
#include "cpython/build_kind.h"
#include "cpython/pyversion.h"
#include "model/strategy.h"
#include "model/warnings.h"

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
	warnings__add(t->warnings, &t->n_warnings, "%s", msg);
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

/*
 * A path to mapping M's file from here. A maps path is written from the
 * reader's root where the file is reachable from it (a process chroot'ed
 * below ours shows /CHROOT/usr/bin/python3), else from the process's own
 * (a container's /usr/bin/python3): the one whose inode is the mapping's
 * wins; /proc/PID/map_files/ (the mapping itself) when neither is.
 */
static void set_open_path(struct target *t, const struct map_entry *m)
{
	struct stat st;

	snprintf(t->open_path, sizeof(t->open_path), "/proc/%d/root%s", t->pid, m->path);
	if (!stat(t->open_path, &st) && st.st_ino == m->inode)
		return;
	if (!stat(m->path, &st) && st.st_ino == m->inode) {
		snprintf(t->open_path, sizeof(t->open_path), "%s", m->path);
		return;
	}
	snprintf(t->open_path, sizeof(t->open_path), "/proc/%d/map_files/%llx-%llx", t->pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
}

/* Find the mapped file with the interpreter: libpython first, else the executable. */
static int find_interpreter(struct target *t, const struct proc_maps *maps)
{
	const struct map_entry *m = proc_maps__find_basename_prefix(maps, "libpython3.");
	char exe_path[64];
	struct stat st;

	if (m) {
		snprintf(t->file, sizeof(t->file), "%s", m->path);
		set_open_path(t, m);
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
		set_open_path(t, m);
		if (has_interpreter(t->open_path))
			return 0;
		break;
	}
	return -ENOEXEC;
}

int target__is_python(int pid)
{
	struct target t = { .pid = pid };
	struct proc_maps maps;
	int ret = proc_maps__read(pid, &maps);

	if (ret)
		return ret;
	ret = find_interpreter(&t, &maps);
	proc_maps__free(&maps);
	return !ret ? 1 : ret == -ENOEXEC ? 0 : ret;
}

bool target__file_is_python(const char *path)
{
	struct elf_file *ef;
	bool yes;

	if (has_interpreter(path))
		return true;
	if (!(ef = elf_file__open(path)))
		return false;
	yes = elf_file__needs_prefix(ef, "libpython3.");
	elf_file__close(ef);
	return yes;
}

/* No CPython 3.8+ in T: is it a Python we refuse (PyPy, Python 2, an older
 * CPython), told by its executable or a libpython/libpypy it maps? Then
 * -ENOTSUP with the sentence in ERR; else 0. */
static int other_python(struct target *t, const struct proc_maps *maps, char *err,
			size_t errlen)
{
	char path[64], why[384];

	snprintf(path, sizeof(path), "/proc/%d/exe", t->pid);
	if (build_kind__other_python(path, t->exe, why, sizeof(why)))
		return ERR("PID %d (%s): %s", t->pid, t->exe, why), -ENOTSUP;
	for (size_t i = 0; i < maps->n; i++) {
		const char *base = strrchr(maps->v[i].path, '/');

		if (!base || (strncmp(base + 1, "libpython", 9) && strncmp(base + 1, "libpypy", 7)))
			continue;
		set_open_path(t, &maps->v[i]);
		if (build_kind__other_python(t->open_path, maps->v[i].path, why, sizeof(why)))
			return ERR("PID %d (%s): %s", t->pid, t->exe, why), -ENOTSUP;
	}
	return 0;
}

/* The PEP 523 frame evaluator of the main interpreter (0: the default one). */
static int read_eval_hook(const struct target *t, uint64_t *hook)
{
	uint64_t interp = 0;
	int err;

	*hook = 0;
	if (t->bin.rt.runtime_interpreters_main < 0 || t->bin.rt.interp_eval_frame < 0)
		return -ENOTSUP;
	err = target__read_mem(t->pid, t->runtime_addr + t->bin.rt.runtime_interpreters_main,
			       &interp, sizeof(interp));
	if (err)
		return err;
	if (!interp)
		return -EAGAIN;	/* not initialized yet */
	return target__read_mem(t->pid, interp + t->bin.rt.interp_eval_frame, hook, sizeof(*hook));
}

/* The dispatch strategy for T, as planned for its file (user/cpython/binary.c),
 * unless the process's GIL is not where the plan looks for the thread
 * state. On failure the reason is in ERR. */
static int use_dispatch(struct target *t, char *err, size_t errlen)
{
	const struct binary *b = &t->bin;
	char ver[32];
	int ret;

	if (!b->ds_tstate_vaddr)
		return ERR("%s", b->ds_why), b->ds_ret;
	if (b->has_own_gil && t->mode == TARGET_ATTACH) {
		/* the main interpreter must use its own GIL (it always does) */
		uint64_t gil = 0;
		ret = target__read_mem(t->pid, t->runtime_addr + b->rt.runtime_gil_ptr, &gil,
				       sizeof(gil));
		if (ret || (gil && gil != t->runtime_addr + b->rt.runtime_gil))
			return ERR("dispatch: PID %d: the main interpreter's GIL is not where "
				   "CPython %s keeps it", t->pid,
				   pyversion__format(b->version_hex, ver, sizeof(ver))), -ENOTSUP;
	}
	if (b->ds_ret)
		return ERR("%s", b->ds_why), b->ds_ret;
	if (b->ds_slow[0])
		warn(t, b->ds_slow);
	if (b->plan.unwind_from && strcmp(b->plan.unwind_from, "DWARF"))
		warn(t, "dispatch: no DWARF here: exit_unwind, where frames that exceptions leave "
			"are seen, was found by code analysis of the eval function");
	t->cfg.tstate_ptr_addr = t->load_bias + b->ds_tstate_vaddr;
	if (b->ds_shim_vaddr)
		t->cfg.shim_code = t->load_bias + b->ds_shim_vaddr;
	t->cfg.strategy = TR_STRATEGY_DISPATCH;
	return 0;
}

/* The first exact strategy for T, among those its file allows (a strategy
 * the user forces was checked against the file already). On a build with
 * both USDT and dispatch (3.11), dispatch comes first, being the faster
 * (model/strategy.c), unless LINES: coverage wants USDT's line events. */
static int choose_strategy(struct target *t, const char *force, bool lines, char *err,
			   size_t errlen)
{
	const struct binary *b = &t->bin;
	bool eval_exact = b->eval_sees_every_call;
	char why[384] = "", ver[32];
	int ret;

	if (!force && b->usdt && b->ds_tried && !lines &&
	    strategy__dispatch_before_usdt(b->version_hex)) {
		if (!use_dispatch(t, why, sizeof(why)))
			return 0;
		warn(t, why);	/* why not dispatch; usdt then */
	}
	if ((force && !strcmp(force, "usdt")) || (!force && b->usdt)) {
		t->cfg.strategy = TR_STRATEGY_USDT;
		t->cfg.tstate_ptr_addr = t->runtime_addr + b->rt.runtime_tstate_current;
		if (b->usdt_entry_needs_line)
			warn(t, "usdt on 3.11: the `line` probe is enabled too, since the entry probe "
				"only fires with it (CPython issue 98894); it slows the target down");
		return 0;
	}
	if (b->ds_tried) {
		ret = use_dispatch(t, why, sizeof(why));
		if (!ret || (force && !strcmp(force, "dispatch"))) {
			if (ret)
				ERR("--strategy=dispatch: %s", why);
			return ret;
		}
	}
	pyversion__format(b->version_hex, ver, sizeof(ver));
	if (!eval_exact && !b->has_perf_trampoline) {
		ERR("PID %d runs CPython %s without USDT probes and %s", t->pid, ver, why);
		return -ENOTSUP;
	}
	if (!eval_exact && t->mode == TARGET_LAUNCH && !force) {
		ERR("PID %d runs CPython %s and %s; --strategy=eval would start it with the perf "
		    "trampoline instead", t->pid, ver, why);
		return -ENOTSUP;
	}
	if (!eval_exact && t->mode == TARGET_ATTACH) {
		uint64_t hook = 0;
		int e = read_eval_hook(t, &hook);
		if (e == -EAGAIN) {
			ERR("PID %d has not made its main interpreter yet (it is starting): "
			    "try again once it runs", t->pid);
			return e;
		}
		if (e) {
			ERR("PID %d: cannot read the interpreter's frame evaluator hook: %s",
			    t->pid, strerror(-e));
			return e;
		}
		if (!hook) {
			ERR("PID %d runs CPython %s without the perf trampoline, and %s", t->pid,
			    ver, why);
			return -ENOTSUP;
		}
		/* another PEP 523 evaluator may run frames without the default one */
		if (b->trampoline_vaddr && hook - t->load_bias != b->trampoline_vaddr)
			warn(t, "a PEP 523 frame evaluator other than the perf trampoline is "
				"installed: frames it runs without _PyEval_EvalFrameDefault are not seen");
	}
	t->cfg.strategy = TR_STRATEGY_EVAL;
	if (!eval_exact && why[0])
		warn(t, why);
	warn(t, "eval: returns of calls nested more than 64 deep in a thread are not probed by "
		"the kernel (64 pending uretprobes per task); they are inferred from the frame "
		"chain: counts stay exact, their end times are upper bounds (flagged end_inferred)");
	if (b->eval_misses_init)
		warn(t, "eval on 3.13: once a call site of a class with a Python __init__ and the "
			"default __new__ is specialized (CALL_ALLOC_AND_ENTER_INIT), CPython runs that "
			"__init__ inside the caller's evaluator even with the perf trampoline: those "
			"__init__ calls are not seen");
	if (t->mode == TARGET_ATTACH)
		warn(t, "eval: the returns of frames already running at attach are not probed "
			"either: they are inferred the same way");
	return 0;
}

/* T's file, analysed through BINS, or for T alone */
static int analyse_file(struct binary_cache *bins, struct target *t, bool probe_calls,
			const char *force, char *err, size_t errlen)
{
	struct binary_req req = {
		.path = t->open_path, .name = t->file, .runner_pid = t->pid,
		.runner_creds = t->creds_known ? &t->creds : NULL,
		.probe_calls = probe_calls, .force = force,
	};
	const struct binary *b;
	int ret;

	if (!bins) {
		/* root's cache of analyses (cpython/binary_store.h); none when
		 * it cannot be used */
		struct root_cache *disk = NULL;

		root_cache__open(NULL, &disk);
		ret = binary_store__analyse(disk, &req, &t->bin, &t->bin_cached, err, errlen);
		root_cache__close(disk);
		return ret;
	}
	ret = binary_cache__get(bins, &req, &b, err, errlen);
	if (!ret)
		t->bin = *b;
	return ret;
}

int target__inspect(struct binary_cache *bins, int pid, enum target_mode mode,
		    unsigned probe, const char *force, struct target *t, char *err, size_t errlen)
{
	bool probe_calls = probe & TARGET_PROBE_CALLS;
	struct proc_maps maps = {};
	struct build_kind kind;
	uint64_t eval_addr;
	char link[64], why[384];
	ssize_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->mode = mode;
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, t->exe, sizeof(t->exe) - 1);
	if (n < 0) {
		ret = -errno;
		/* no exe link: no process, or one that has exited (a zombie),
		 * or a kernel thread */
		snprintf(link, sizeof(link), "/proc/%d", pid);
		if (ret == -ENOENT && access(link, F_OK))
			ERR("no process with PID %d", pid);
		else if (ret == -ENOENT && target__exited(pid, TARGET_EXIT_GRACE_MS))
			ERR("PID %d has exited (not reaped by its parent yet)", pid);
		else if (ret == -ENOENT)
			ERR("PID %d runs no program (a kernel thread): not a Python process", pid);
		else
			ERR("cannot inspect PID %d: %s", pid, strerror(errno));
		return ret == -ENOENT ? -ESRCH : ret;
	}
	t->creds_known = !proc_status__creds(pid, &t->creds);
	ret = proc_maps__read(pid, &maps);
	if (ret) {
		ERR("cannot read /proc/%d/maps: %s", pid, strerror(-ret));
		goto cleanup;
	}
	ret = find_interpreter(t, &maps);
	if (ret) {
		if (other_python(t, &maps, err, errlen))
			ret = -ENOTSUP;
		else
			ERR("PID %d (%s) is not a Python process: no CPython interpreter is "
			    "mapped in it", pid, t->exe);
		goto cleanup;
	}
	if (!build_kind__of_file(t->open_path, &kind) &&
	    (ret = build_kind__check(&kind, probe_calls, why, sizeof(why)))) {
		ERR("PID %d (%s): %s", pid, t->file, why);
		goto cleanup;
	}
	ret = analyse_file(bins, t, probe_calls, force, err, errlen);
	if (ret)
		goto cleanup;
	/* runtime addresses: the load bias comes from where the eval function is mapped */
	if (proc_maps__addr_of_offset(&maps, t->file, t->bin.eval_offset, &eval_addr)) {
		ret = -ENOENT;
		ERR("%s: cannot locate _PyEval_EvalFrameDefault/_PyRuntime in the process", t->file);
		goto cleanup;
	}
	t->load_bias = eval_addr - t->bin.eval_vaddr;
	t->runtime_addr = t->load_bias + t->bin.runtime_vaddr;
	t->cfg = t->bin.cfg;
	if (probe_calls) {
		ret = choose_strategy(t, force, probe & TARGET_PROBE_LINES, err, errlen);
		if (!ret && t->bin.runtime_missing[0])
			warn(t, t->bin.runtime_missing);
	}
	t->cfg.walk_running = mode == TARGET_ATTACH;
	t->cfg.instance = TR_SOLO_INSTANCE;	/* -a draws its own */
cleanup:
	proc_maps__free(&maps);
	/* whatever failed on the way (maps, memory, the file through
	 * /proc/PID/root), a process that is gone is said to be */
	if (ret && target__exited(pid, TARGET_EXIT_GRACE_MS)) {
		ERR("PID %d exited before it could be inspected", pid);
		ret = -ESRCH;
	}
	return ret;
}

bool target__exited(int pid, int grace_ms)
{
	struct pollfd pf = { .fd = syscall(SYS_pidfd_open, pid, 0), .events = POLLIN };
	bool gone = pf.fd < 0 ? errno == ESRCH : poll(&pf, 1, grace_ms) > 0;

	if (pf.fd >= 0)
		close(pf.fd);
	return gone;
}

int target__recheck(const struct target *t, const char *when, char *err, size_t errlen)
{
	struct proc_maps maps = {};
	uint64_t eval_addr = 0;
	char link[64], exe[sizeof(t->exe)] = "";
	ssize_t n;
	int ret;

	snprintf(link, sizeof(link), "/proc/%d/exe", t->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = 0;
	ret = proc_maps__read(t->pid, &maps);
	if (!ret)
		ret = proc_maps__addr_of_offset(&maps, t->file, t->bin.eval_offset, &eval_addr);
	proc_maps__free(&maps);
	if (target__exited(t->pid, ret || n <= 0 || eval_addr - t->bin.eval_vaddr != t->load_bias ?
				   TARGET_EXIT_GRACE_MS : 0)) {
		ERR("PID %d exited %s", t->pid, when);
		return -ESRCH;
	}
	if (ret || n <= 0 || eval_addr - t->bin.eval_vaddr != t->load_bias) {
		ERR("PID %d exec'd %s %s: it runs another image than the one inspected; "
		    "nothing is traced (try again)", t->pid, n > 0 ? exe : "another program", when);
		return -ESTALE;
	}
	return 0;
}

/* the template of T's file: its configuration with ELF addresses (the
 * load bias taken off), and where the probed code's segment lies */
void target__template(const struct target *t, struct tr_bin_cfg *bc, uint32_t id)
{
	memset(bc, 0, sizeof(*bc));
	bc->cfg = t->cfg;
	bc->cfg.instance = 0;
	bc->cfg.bin_id = id;
	bc->cfg.walk_running = 1;
	if (bc->cfg.tstate_ptr_addr)
		bc->cfg.tstate_ptr_addr -= t->load_bias;
	if (bc->cfg.shim_code)
		bc->cfg.shim_code -= t->load_bias;
	if (bc->cfg.tss_key_addr)
		bc->cfg.tss_key_addr -= t->load_bias;
	/* every probe lies in the evaluator's segment: vaddr - offset there */
	bc->text_delta = t->bin.eval_vaddr - t->bin.eval_offset;
}

void target__describe(const struct target *t, uint64_t attach_ts, struct in_process *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = t->pid;
	p->instance = t->cfg.instance;
	p->version_hex = t->bin.version_hex;
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
