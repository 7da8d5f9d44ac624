// SPDX-License-Identifier: MIT
/*
 * `tracer layout 3.X`              the built-in layout of CPython 3.X
 * `tracer layout --from-binary F`  the layout read from _Py_DebugOffsets in
 *                                  the initial value of F's _PyRuntime (3.13+)
 * Prints one `field=value` line per field of struct tr_py_layout and struct
 * py_runtime_layout (decimal, version_hex in hex); tools/derive-offsets.py
 * --check compares this output with DWARF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "os/elf_file.h"
#include "cpython/py_layout.h"

/* bytes of _PyRuntime to read: the debug offsets are at its start; 3.13's
 * take 584 bytes, leave room for later versions' longer ones */
#define LAYOUT_READ_MAX 65536

static void layout__print(FILE *f, const struct tr_py_layout *l,
			  const struct py_runtime_layout *rt)
{
	fprintf(f, "version_hex=0x%08x\n", l->version_hex);
	fprintf(f, "tstate_frame=%d\n", l->tstate_frame);
	fprintf(f, "cframe_current_frame=%d\n", l->cframe_current_frame);
	fprintf(f, "frame_code=%d\n", l->frame_code);
	fprintf(f, "frame_back=%d\n", l->frame_back);
	fprintf(f, "frame_owner=%d\n", l->frame_owner);
	fprintf(f, "frame_is_entry=%d\n", l->frame_is_entry);
	fprintf(f, "owner_cstack=%u\n", l->owner_cstack);
	fprintf(f, "eval_frame_arg=%u\n", l->eval_frame_arg);
	fprintf(f, "code_name=%d\n", l->code_name);
	fprintf(f, "code_qualname=%d\n", l->code_qualname);
	fprintf(f, "code_filename=%d\n", l->code_filename);
	fprintf(f, "code_firstlineno=%d\n", l->code_firstlineno);
	fprintf(f, "unicode_length=%d\n", l->unicode_length);
	fprintf(f, "unicode_state=%d\n", l->unicode_state);
	fprintf(f, "unicode_ascii_size=%d\n", l->unicode_ascii_size);
	fprintf(f, "unicode_compact_size=%d\n", l->unicode_compact_size);
	fprintf(f, "code_flags=%d\n", l->code_flags);
	fprintf(f, "code_code_adaptive=%d\n", l->code_code_adaptive);
	fprintf(f, "frame_instr=%d\n", l->frame_instr);
	fprintf(f, "frame_instr_start=%d\n", l->frame_instr_start);
	fprintf(f, "tstate_thread_id=%d\n", l->tstate_thread_id);
	fprintf(f, "frame_lasti=%d\n", l->frame_lasti);
	fprintf(f, "code_linetable=%d\n", l->code_linetable);
	fprintf(f, "frame_code_tag=%u\n", l->frame_code_tag);
	fprintf(f, "bytes_size=%d\n", l->bytes_size);
	fprintf(f, "bytes_sval=%d\n", l->bytes_sval);
	fprintf(f, "frame_tlbc_index=%d\n", l->frame_tlbc_index);
	fprintf(f, "code_tlbc=%d\n", l->code_tlbc);
	fprintf(f, "unicode_kind_shift=%u\n", l->unicode_kind_shift);
	fprintf(f, "free_threaded=%u\n", l->free_threaded);
	fprintf(f, "runtime_tstate_current=%d\n", rt->runtime_tstate_current);
	fprintf(f, "runtime_interpreters_main=%d\n", rt->runtime_interpreters_main);
	fprintf(f, "interp_eval_frame=%d\n", rt->interp_eval_frame);
	fprintf(f, "runtime_gil_holder=%d\n", rt->runtime_gil_holder);
	fprintf(f, "runtime_gil_ptr=%d\n", rt->runtime_gil_ptr);
	fprintf(f, "runtime_gil=%d\n", rt->runtime_gil);
	fprintf(f, "runtime_tss_key=%d\n", rt->runtime_tss_key);
}

/* "3.X" with X a decimal number, or "3.Xt" (a free-threaded build:
 * *FT): 0, or -EINVAL */
static int layout__parse_version(const char *s, unsigned *major, unsigned *minor, bool *ft)
{
	char *end;
	unsigned long ma, mi;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	ma = strtoul(s, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	mi = strtoul(end + 1, &end, 10);
	*ft = *end == 't';
	if (*ft)
		end++;
	if (*end || ma > 255 || mi > 255)
		return -EINVAL;
	*major = ma;
	*minor = mi;
	return 0;
}

static int layout__from_binary(const char *path, struct tr_py_layout *l,
			       struct py_runtime_layout *rt)
{
	struct elf_file *ef;
	uint64_t addr, size;
	unsigned char *buf = NULL;
	ssize_t n;
	int err;

	ef = elf_file__open(path);
	if (!ef) {
		err = errno ? -errno : -EINVAL;
		fprintf(stderr, "layout: %s: %s\n", path, strerror(-err));
		return err;
	}
	err = elf_file__find_symbol(ef, "_PyRuntime", &addr, &size);
	if (err) {
		fprintf(stderr, "layout: %s: no _PyRuntime symbol: %s\n", path, strerror(-err));
		goto out;
	}
	if (size > LAYOUT_READ_MAX)
		size = LAYOUT_READ_MAX;
	buf = calloc(1, size ? size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	n = elf_file__read_vaddr(ef, addr, buf, size);
	if (n < 0) {
		err = (int)n;
		fprintf(stderr, "layout: %s: reading _PyRuntime: %s\n", path, strerror(-err));
		goto out;
	}
	err = py_layout__from_debug_offsets(buf, (size_t)n, l, rt);
	if (err == -EINVAL)
		fprintf(stderr, "layout: %s: _PyRuntime does not start with valid debug offsets (CPython < 3.13?)\n",
			path);
	else if (err)
		fprintf(stderr, "layout: %s: unsupported debug offsets: %s\n", path, strerror(-err));
out:
	free(buf);
	elf_file__close(ef);
	return err;
}

static void layout__usage(void)
{
	fprintf(stderr, "usage: tracer layout 3.X|3.Xt\n"
			"       tracer layout --from-binary LIBPYTHON_OR_PYTHON\n"
			"Print the CPython structure offsets the tracer uses (3.%d-3.%d built in).\n",
		PY_LAYOUT_MIN_MINOR, PY_LAYOUT_MAX_MINOR);
}

int cmd_layout(int argc, char **argv)
{
	struct tr_py_layout l;
	struct py_runtime_layout rt;
	unsigned major, minor;
	bool ft;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		layout__usage();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--from-binary")) {
		if (layout__from_binary(argv[2], &l, &rt))
			return 1;
	} else if (argc == 2) {
		if (layout__parse_version(argv[1], &major, &minor, &ft)) {
			fprintf(stderr, "layout: bad version '%s' (expected 3.X or 3.Xt)\n", argv[1]);
			return 1;
		}
		if (py_layout__for_build(major, minor, ft, &l, &rt)) {
			fprintf(stderr, "layout: no built-in layout for Python %u.%u%s (supported: "
				"3.%d-3.%d, and free-threaded 3.14t)\n", major, minor, ft ? "t" : "",
				PY_LAYOUT_MIN_MINOR, PY_LAYOUT_MAX_MINOR);
			return 1;
		}
	} else {
		layout__usage();
		return 1;
	}
	layout__print(stdout, &l, &rt);
	return fflush(stdout) ? 1 : 0;
}
