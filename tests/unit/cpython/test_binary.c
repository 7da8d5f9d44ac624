// SPDX-License-Identifier: MIT
/*
 * The analysis of an interpreter file (user/cpython/binary.c) and its cache
 * (user/cpython/binary_cache.c), on real interpreters. The truth comes from
 * elsewhere: the version from the interpreter itself (sys.hexversion, which
 * is Py_Version), symbols and segments from readelf's output, and the
 * 3.13 layout from a running process's memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "sleeper.h"
#include "cpython/binary_cache.h"
#include "capture/target.h"

#define DEBIAN311 "/usr/bin/python3.11"

static bool have(const char *path)
{
	if (!access(path, R_OK))
		return true;
	printf("SKIP: %s not present\n", path);
	return false;
}

/* run CMD; its first output line in BUF. 0 or -1 */
static int first_line(const char *cmd, char *buf, size_t n)
{
	FILE *f = popen(cmd, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, n, f) != NULL;
	pclose(f);
	return ok ? 0 : -1;
}

/* sys.hexversion of the interpreter PY, asked of it */
static uint32_t hexversion_of(const char *py)
{
	char cmd[600], out[64];

	snprintf(cmd, sizeof(cmd), "%s -I -S -c 'import sys; print(sys.hexversion)'", py);
	CHECK_EQ(first_line(cmd, out, sizeof(out)), 0);
	return strtoul(out, NULL, 10);
}

/* st_value of SYM in readelf -sW's listing of PATH (either table); 0 if absent */
static uint64_t readelf_symbol(const char *path, const char *sym)
{
	char cmd[600], line[512], name[256];
	unsigned long long v;
	uint64_t found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -sW '%s'", path);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %llx %*s %*s %*s %*s %*s %255s", &v, name) == 2 &&
		    !strcmp(strtok(name, "@"), sym))
			found = v;
	pclose(f);
	return found;
}

/* file offset of VADDR by readelf -lW's LOAD segments; -1 if in none */
static int64_t readelf_offset(const char *path, uint64_t vaddr)
{
	char cmd[600], line[512];
	unsigned long long off, va, pa, filesz;
	int64_t found = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s'", path);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " LOAD %llx %llx %llx %llx", &off, &va, &pa, &filesz) == 4 &&
		    vaddr >= va && vaddr < va + filesz)
			found = vaddr - va + off;
	pclose(f);
	return found;
}

/* does readelf -n list the SDT note NAME? */
static bool readelf_has_note(const char *path, const char *name)
{
	char cmd[600], line[512];
	bool yes = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -nW '%s'", path);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Name: ");
		if (p && !strcmp(strtok(p + 6, " \n"), name))
			yes = true;
	}
	pclose(f);
	return yes;
}

/* a function's offset as the analysis has it: readelf's, or 0 when the
 * symbol is not in the file */
static void check_offset(const char *path, const char *sym, uint64_t got)
{
	uint64_t v = readelf_symbol(path, sym);

	if (!v) {
		CHECK_EQ(got, 0);
		return;
	}
	CHECK_EQ(got, readelf_offset(path, v));
}

/* what every analysis must agree on with readelf and the interpreter */
static void check_file_facts(const char *path, const char *py, const struct binary *b)
{
	uint64_t eval = readelf_symbol(path, "_PyEval_EvalFrameDefault");

	/* builds before 3.11 have no Py_Version: then the soname's 3.X only */
	uint32_t mask = readelf_symbol(path, "Py_Version") ? ~0u : 0xffff0000u;

	CHECK_EQ(b->version_hex, hexversion_of(py) & mask);
	CHECK_EQ(b->cfg.layout.version_hex, b->version_hex);
	CHECK(eval != 0);
	CHECK_EQ(b->eval_vaddr, eval);
	CHECK_EQ(b->eval_offset, readelf_offset(path, eval));
	CHECK_EQ(b->runtime_vaddr, readelf_symbol(path, "_PyRuntime"));
	check_offset(path, "code_dealloc", b->dealloc_offset);
	CHECK_EQ(b->cfg.dealloc_probed, b->dealloc_offset != 0);
	check_offset(path, "_PySys_GetSizeOf", b->getsizeof_offset);
	check_offset(path, "PyUnstable_WritePerfMapEntry", b->perfmap_offset);
	CHECK_EQ(b->trampoline_vaddr, readelf_symbol(path, "py_trampoline_evaluator"));
	/* nothing of a process: no strategy, no address */
	CHECK_EQ(b->cfg.strategy, 0);
	CHECK_EQ(b->cfg.tstate_ptr_addr, 0);
	CHECK_EQ(b->cfg.shim_code, 0);
	CHECK_EQ(b->cfg.walk_running, 0);
}

TEST(binary_debian_311_usdt)
{
	struct binary_req req = { .path = DEBIAN311, .name = DEBIAN311, .probe_calls = true };
	static struct binary b;
	static struct proc_creds creds;
	char err[256] = "";

	if (!have(DEBIAN311))
		return;
	CHECK_EQ(binary__analyse(&req, &b, err, sizeof(err)), 0);
	check_file_facts(DEBIAN311, DEBIAN311, &b);
	CHECK_EQ(b.usdt, readelf_has_note(DEBIAN311, "function__entry") &&
			 readelf_has_note(DEBIAN311, "function__return") &&
			 readelf_has_note(DEBIAN311, "line"));
	CHECK(b.usdt);		/* Debian builds with SystemTap probes */
	/* dispatch is planned too (the process's choice takes the faster);
	 * without an interpreter to ask for its opcodes it fails, said */
	CHECK(b.ds_tried);
	CHECK(b.ds_ret < 0 && b.ds_why[0]);
	CHECK_EQ(b.runtime_usdt, readelf_has_note(DEBIAN311, "gc__start") &&
				 readelf_has_note(DEBIAN311, "import__find__load__done"));
	/* forcing dispatch: planned from the code alone (no .symtab, no DWARF) */
	req.force = "dispatch";
	req.runner_pid = start_sleeper(DEBIAN311);
	CHECK(req.runner_pid > 0);
	CHECK_EQ(proc_status__creds(req.runner_pid, &creds), 0);
	req.runner_creds = &creds;
	CHECK_EQ(binary__analyse(&req, &b, err, sizeof(err)), 0);
	stop_sleeper(req.runner_pid);
	CHECK(b.ds_tried);
	/* the table is found from the code, the deopt map from dis, the
	 * exit_unwind label by code analysis (user/cpython/unwind_site.c) */
	if (b.ds_ret)
		fprintf(stderr, "  ds_why: %s\n", b.ds_why);
	CHECK_EQ(b.ds_ret, 0);
	CHECK(b.plan.n > 0);
	CHECK_STR(b.plan.unwind_from, "code analysis");
	req.force = "bogus";
	CHECK_EQ(binary__analyse(&req, &b, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "unknown strategy 'bogus'"));
}

/* every pyenv 3.8+ build with a libpython: the version, offsets relative
 * to the file (readelf's), and the dispatch plan's sites as file offsets */
TEST(binary_pyenv_libpython)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char pat[512], lib[600], py[600];
	int n = 0;
	glob_t g;

	snprintf(pat, sizeof(pat), "%s/versions/3.*", root);
	if (glob(pat, 0, NULL, &g)) {
		printf("SKIP: no pyenv build under %s/versions\n", root);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		unsigned minor;
		const char *ver = strrchr(g.gl_pathv[i], '/') + 1;
		static struct binary b;
		static struct proc_creds creds;
		struct binary_req req = { .path = lib, .name = lib, .probe_calls = true };
		char err[256] = "";
		pid_t pid;
		int ret;

		if (sscanf(ver, "3.%u", &minor) != 1 || minor < PY_LAYOUT_MIN_MINOR)
			continue;
		if (minor > PY_LAYOUT_MAX_MINOR) {
			printf("  SKIP %s: past the supported 3.%d\n", ver, PY_LAYOUT_MAX_MINOR);
			continue;
		}
		snprintf(lib, sizeof(lib), "%s/lib/libpython3.%u.so.1.0", g.gl_pathv[i], minor);
		snprintf(py, sizeof(py), "%s/bin/python3.%u", g.gl_pathv[i], minor);
		if (access(lib, R_OK) || access(py, X_OK))
			continue;
		pid = start_sleeper(py);	/* dispatch asks its interpreter for opcodes */
		CHECK(pid > 0);
		req.runner_pid = pid;
		CHECK_EQ(proc_status__creds(pid, &creds), 0);
		req.runner_creds = &creds;
		ret = binary__analyse(&req, &b, err, sizeof(err));
		if (ret)
			printf("  %s: %s\n", ver, err);
		CHECK_EQ(ret, 0);
		stop_sleeper(pid);
		check_file_facts(lib, py, &b);
		CHECK(!b.usdt);
		CHECK_EQ(b.ds_tried, minor >= 11);
		if (minor >= 11) {
			uint64_t rt = readelf_symbol(lib, "_PyRuntime");
			if (b.ds_ret)
				printf("  %s: %s\n", ver, b.ds_why);
			CHECK_EQ(b.ds_ret, 0);
			CHECK(b.plan.n > 0);
			for (int s = 0; s < b.plan.n; s++)
				CHECK_EQ(b.site_offset[s], readelf_offset(lib, b.plan.sites[s].vaddr));
			/* the thread state's pointer: a field of _PyRuntime in the file */
			CHECK(b.ds_tstate_vaddr > rt && b.ds_tstate_vaddr < rt + 0x100000);
			/* single-stepped sites (cpython/exit_reg.c): in these builds
			 * only 3.13's YIELD_VALUE, which has no emulated instruction */
			if (minor >= 12 && !strchr(ver, 't')) {
				printf("  %s: %d single-stepped site(s) %s\n", ver, b.plan.n_slow,
				       b.ds_slow);
				CHECK_EQ(b.plan.n_slow, minor == 13 ? 1 : 0);
				CHECK_EQ(strstr(b.ds_slow, "YIELD_VALUE") != NULL, minor == 13);
			}
		}
		n++;
	}
	globfree(&g);
	if (!n)
		printf("SKIP: no pyenv 3.%d+ build with a libpython under %s/versions\n",
		       PY_LAYOUT_MIN_MINOR, root);
}

/* 3.13: the layout read from the file's _Py_DebugOffsets is the one a
 * running process has at its _PyRuntime (which the process part finds) */
TEST(binary_313_layout_from_file_is_the_process_s)
{
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	static struct target t;
	struct tr_py_layout mem;
	struct py_runtime_layout rt;
	unsigned char buf[4096];
	char py[512], err[256] = "";
	glob_t g;
	pid_t pid;

	snprintf(py, sizeof(py), "%s/versions/3.13*/bin/python3.13", root);
	if (glob(py, 0, NULL, &g)) {
		printf("SKIP: no pyenv 3.13 under %s/versions\n", root);
		return;
	}
	pid = start_sleeper(g.gl_pathv[0]);
	CHECK(pid > 0);
	globfree(&g);
	CHECK_EQ(target__inspect(NULL, pid, TARGET_ATTACH, false, NULL, &t, err, sizeof(err)), 0);
	CHECK_EQ(target__read_mem(pid, t.runtime_addr, buf, sizeof(buf)), 0);
	stop_sleeper(pid);
	CHECK(!memcmp(buf, "xdebugpy", 8));
	CHECK_EQ(t.runtime_addr - t.load_bias, t.bin.runtime_vaddr);
	CHECK_EQ(py_layout__from_debug_offsets(buf, sizeof(buf), &mem, &rt), 0);
	mem.version_hex = t.bin.version_hex;
	CHECK(!memcmp(&mem, &t.cfg.layout, sizeof(mem)));
	CHECK(!memcmp(&rt, &t.bin.rt, sizeof(rt)));
}

static void copy_file(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	CHECK_EQ(system(cmd), 0);
}

static const struct binary *get(struct binary_cache *c, const char *path, const char *force)
{
	struct binary_req req = { .path = path, .name = path, .probe_calls = true,
				  .force = force };
	const struct binary *b = NULL;
	char err[256] = "";
	int ret = binary_cache__get(c, &req, &b, err, sizeof(err));

	if (ret)
		fprintf(stderr, "  %s: %s\n", path, err);
	CHECK_EQ(ret, 0);
	CHECK(b != NULL);
	return b;
}

/* Keyed by the file, not the path: one analysis per file, a new one for
 * another file under a known path (a new inode) or a file rewritten in
 * place; older analyses stay valid. */
TEST(binary_cache_one_analysis_per_file)
{
	char dir[] = "/tmp/binary-cache-XXXXXX", a[64], link_a[64], b_[64], other[64];
	const char *root = getenv("PYENV_ROOT") ? getenv("PYENV_ROOT") : "/root/.pyenv";
	char lib310[512];
	const struct binary *first, *again, *p;
	uint32_t v311, v_other;
	struct binary_cache *c;
	int fd;

	if (!have(DEBIAN311))
		return;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(link_a, sizeof(link_a), "%s/link-to-a", dir);
	snprintf(b_, sizeof(b_), "%s/b", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	copy_file(DEBIAN311, a);
	CHECK_EQ(link(a, link_a), 0);
	copy_file(DEBIAN311, b_);
	v311 = hexversion_of(DEBIAN311);
	/* the other file: a pyenv 3.10 libpython if there is one, else a
	 * copy of the 3.11 one a byte longer */
	snprintf(lib310, sizeof(lib310), "%s/versions/3.10.13/lib/libpython3.10.so.1.0", root);
	if (!access(lib310, R_OK)) {
		char py[600];
		copy_file(lib310, other);
		snprintf(py, sizeof(py), "%s/versions/3.10.13/bin/python3.10", root);
		v_other = hexversion_of(py) & 0xffff0000;	/* no Py_Version before 3.11 */
	} else {
		printf("note: %s not present: the replacing file is a longer 3.11 copy\n", lib310);
		copy_file(DEBIAN311, other);
		fd = open(other, O_WRONLY | O_APPEND);
		CHECK(fd >= 0 && write(fd, "", 1) == 1);
		close(fd);
		v_other = v311;
	}

	c = binary_cache__new();
	CHECK(c != NULL);
	first = get(c, a, NULL);
	CHECK_EQ(binary_cache__analyses(c), 1);
	CHECK_EQ(first->version_hex, v311);
	again = get(c, a, NULL);
	CHECK_EQ(binary_cache__analyses(c), 1);
	CHECK(again == first);
	/* another path to the same file */
	CHECK(get(c, link_a, NULL) == first);
	CHECK_EQ(binary_cache__analyses(c), 1);
	/* an identical copy is another file */
	p = get(c, b_, NULL);
	CHECK_EQ(binary_cache__analyses(c), 2);
	CHECK(p != first);
	CHECK_EQ(p->eval_offset, first->eval_offset);
	/* the same file for another request (a forced strategy) */
	p = get(c, a, "usdt");
	CHECK_EQ(binary_cache__analyses(c), 3);
	CHECK(p != first);
	/* a is replaced by another file (a new inode under the same path) */
	CHECK_EQ(rename(other, a), 0);
	p = get(c, a, NULL);
	CHECK_EQ(binary_cache__analyses(c), 4);
	CHECK(p != first);
	CHECK_EQ(p->version_hex, v_other);
	CHECK_EQ(first->version_hex, v311);	/* the old analysis is intact */
	CHECK(get(c, link_a, NULL) == first);	/* and still the old file's */
	CHECK_EQ(binary_cache__analyses(c), 4);
	/* the old file rewritten in place (same inode, one byte longer) */
	fd = open(link_a, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "", 1) == 1);
	close(fd);
	p = get(c, link_a, NULL);
	CHECK_EQ(binary_cache__analyses(c), 5);
	CHECK(p != first);
	binary_cache__free(c);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

/* a file that cannot be analysed is not kept: asked again, analysed again */
TEST(binary_cache_keeps_no_failure)
{
	struct binary_req req = { .path = "/etc/hostname", .name = "/etc/hostname" };
	struct binary_cache *c = binary_cache__new();
	const struct binary *b;
	char err[256] = "";

	CHECK(binary_cache__get(c, &req, &b, err, sizeof(err)) < 0);
	CHECK(b == NULL && err[0]);
	CHECK(binary_cache__get(c, &req, &b, err, sizeof(err)) < 0);
	CHECK_EQ(binary_cache__analyses(c), 2);
	req.path = "/nonexistent/libpython3.11.so";
	CHECK_EQ(binary_cache__get(c, &req, &b, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "cannot open /nonexistent/libpython3.11.so"));
	binary_cache__free(c);
}

/* a copy of the 3.14 libpython with values of its _Py_DebugOffsets changed
 * (N pairs: byte AT[i] of _PyRuntime's initial value, 8 bytes VALUE[i]):
 * and Py_Version set to PY_VERSION (0: kept): analysed for sampling, the
 * error and its message */
static int analyse_patched(const char *lib, uint32_t py_version, int n, const size_t *at,
			   const uint64_t *value, char *err, size_t errlen)
{
	char copy[] = "/tmp/unit-py314-patched-XXXXXX", cmd[512];
	struct binary_req req = { .path = copy, .name = copy };
	static struct binary b;
	uint64_t rt = readelf_symbol(lib, "_PyRuntime");
	int64_t off = rt ? readelf_offset(lib, rt) : -1;
	uint64_t pv = readelf_symbol(lib, "Py_Version");
	int64_t pv_off = pv ? readelf_offset(lib, pv) : -1;
	int fd, ret = 0;

	fd = mkstemp(copy);
	if (fd < 0 || off < 0 || pv_off < 0)
		return -EIO;
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", lib, copy);
	if (system(cmd) || (fd = open(copy, O_WRONLY)) < 0) {
		unlink(copy);
		return -EIO;
	}
	for (int i = 0; i < n && !ret; i++)
		ret = pwrite(fd, &value[i], 8, off + at[i]) == 8 ? 0 : -EIO;
	if (py_version && !ret)
		ret = pwrite(fd, &py_version, 4, pv_off) == 4 ? 0 : -EIO;
	close(fd);
	if (!ret)
		ret = binary__analyse(&req, &b, err, errlen);
	unlink(copy);
	return ret;
}

static int analyse_patched_314(uint32_t py_version, int n, const size_t *at,
			       const uint64_t *value, char *err, size_t errlen)
{
	return analyse_patched("/root/.pyenv/versions/3.14.7/lib/libpython3.14.so.1.0",
			       py_version, n, at, value, err, errlen);
}

/* 3.13's debug offsets flagged free-threaded (a 3.13t): no layout of such a
 * build is known, sampling included; said, and never read with the GIL
 * row. And the real 3.14t (built by hand with --disable-gil, when
 * present): analysed for sampling with its free-threaded layout. */
TEST(binary_free_threaded_313_refused_314t_analysed)
{
	static const size_t ft_at[] = { 16 };
	static const uint64_t ft[] = { 1 };
	const char *lib313 = "/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0";
	const char *lib314t = "/root/.pyenv/versions/3.14.7t/lib/libpython3.14t.so.1.0";
	struct binary_req req = { .path = lib314t, .name = lib314t };
	static struct binary b;
	char err[256] = "";

	if (!have(lib313)) {
		printf("SKIP: no pyenv 3.13.0\n");
	} else {
		CHECK_EQ(analyse_patched(lib313, 0, 1, ft_at, ft, err, sizeof(err)), -ENOTSUP);
		printf("  %s\n", err);
		CHECK(strstr(err, "CPython 3.13: a free-threaded build (Py_GIL_DISABLED): only "
				  "3.14t's layout is known"));
	}
	if (!have(lib314t)) {
		printf("SKIP: no 3.14.7t\n");
		return;
	}
	CHECK_EQ(binary__analyse(&req, &b, err, sizeof(err)), 0);
	CHECK_EQ(b.cfg.layout.free_threaded, 1);
	CHECK_EQ(b.cfg.layout.frame_tlbc_index, 72);
	CHECK_EQ(b.cfg.layout.code_tlbc, 224);
	CHECK_EQ(b.cfg.layout.code_name, 136);	/* 3.14's 120 + 16 */
	CHECK_EQ(b.rt.runtime_tss_key, 2336);
}

/* 3.14's free-threaded build, and a version past 3.14 whose debug offsets
 * are not 3.14's: refused with what they are, before anything is traced */
TEST(binary_314_refusals)
{
	static const size_t ft_at[] = { 16 }, v_at[] = { 8 }, bad_at[] = { 8, 26 * 8 };
	static const uint64_t ft[] = { 1 }, v315[] = { 0x030f00f0 }, bad[] = { 0x030f00f0, 1 << 20 };
	char err[256] = "";

	if (!have("/root/.pyenv/versions/3.14.7/lib/libpython3.14.so.1.0")) {
		printf("SKIP: no pyenv 3.14.7\n");
		return;
	}
	CHECK_EQ(analyse_patched_314(0, 1, ft_at, ft, err, sizeof(err)), -ENOTSUP);
	printf("  %s\n", err);
	/* a GIL build's offsets (no tlbc_index, no co_tlbc) flagged
	 * free-threaded: not read with either row */
	CHECK(strstr(err, "CPython 3.14: a free-threaded build (Py_GIL_DISABLED): its "
			  "_Py_DebugOffsets fail the layout checks"));
	/* "3.15", even with 3.14's debug offsets: refused by its version
	 * (cpython/build_kind.c), before its layout is read */
	CHECK_EQ(analyse_patched_314(0x030f00f0, 1, v_at, v315, err, sizeof(err)), -ENOTSUP);
	printf("  %s\n", err);
	CHECK(strstr(err, "CPython 3.15 is not supported (3.8 to 3.14 are)"));
	CHECK_EQ(analyse_patched_314(0x030f00f0, 2, bad_at, bad, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "CPython 3.15 is not supported (3.8 to 3.14 are)"));
}
