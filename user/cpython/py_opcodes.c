// SPDX-License-Identifier: MIT
/*
 * Opcode numbers change between CPython versions (and could between builds
 * of one version), so they are never written down here: the interpreter of
 * the traced process prints them from its own `opcode` module, the same
 * data its compiler uses. The run is isolated (-I -S: no site, no
 * environment variables, no user directory), happens inside the target's
 * root directory (a container's interpreter needs its own libraries and
 * standard library), and runs as the target, not as root (user/os/run_as.c):
 * its user may own that standard library.
 * It also prints dis.deoptmap, each specialized instruction's base (3.11+),
 * for builds stripped of the _PyOpcode_Deopt symbol. The dispatch strategy
 * checks both against the binary's table where it has one
 * (user/cpython/dispatch_sites.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpython/py_opcodes.h"
#include "os/run_as.h"

static const char *const names[PY_OP__COUNT] = {
	[PY_OP_RESUME] = "RESUME",
	[PY_OP_RETURN_VALUE] = "RETURN_VALUE",
	[PY_OP_RETURN_CONST] = "RETURN_CONST",
	[PY_OP_YIELD_VALUE] = "YIELD_VALUE",
	[PY_OP_INSTRUMENTED_RESUME] = "INSTRUMENTED_RESUME",
	[PY_OP_INSTRUMENTED_RETURN_VALUE] = "INSTRUMENTED_RETURN_VALUE",
	[PY_OP_INSTRUMENTED_RETURN_CONST] = "INSTRUMENTED_RETURN_CONST",
	[PY_OP_INSTRUMENTED_YIELD_VALUE] = "INSTRUMENTED_YIELD_VALUE",
	[PY_OP_CALL] = "CALL",
	[PY_OP_CALL_FUNCTION_EX] = "CALL_FUNCTION_EX",
	[PY_OP_INSTRUMENTED_CALL] = "INSTRUMENTED_CALL",
	[PY_OP_INSTRUMENTED_CALL_FUNCTION_EX] = "INSTRUMENTED_CALL_FUNCTION_EX",
	[PY_OP_EXTENDED_ARG] = "EXTENDED_ARG",
	[PY_OP_POP_TOP] = "POP_TOP",
	[PY_OP_CALL_NO_KW_LIST_APPEND] = "CALL_NO_KW_LIST_APPEND",
	[PY_OP_CALL_LIST_APPEND] = "CALL_LIST_APPEND",
	[PY_OP_PRECALL] = "PRECALL",
	[PY_OP_PRECALL_NO_KW_LIST_APPEND] = "PRECALL_NO_KW_LIST_APPEND",
	[PY_OP_EXTENDED_ARG_QUICK] = "EXTENDED_ARG_QUICK",
	[PY_OP_CALL_KW] = "CALL_KW",
	[PY_OP_INSTRUMENTED_CALL_KW] = "INSTRUMENTED_CALL_KW",
};

/* opmap, then each specialized instruction's number and its base's
 * (3.11+: dis numbers them as the build does; older versions have none) */
#define QUERY_SCRIPT \
	"import opcode\n" \
	"for k, v in sorted(opcode.opmap.items()):\n" \
	"    print(k, v)\n" \
	"try:\n" \
	"    import dis\n" \
	"    m = dis._all_opmap\n" \
	"    for s, b in sorted(dis.deoptmap.items()):\n" \
	"        print('deopt', m[s], m[b])\n" \
	"    for k in ('CALL_NO_KW_LIST_APPEND', 'CALL_LIST_APPEND',\n" \
	"              'PRECALL_NO_KW_LIST_APPEND', 'EXTENDED_ARG_QUICK'):\n" \
	"        if k in m:\n" \
	"            print(k, m[k])\n" \
	"except (ImportError, AttributeError, KeyError):\n" \
	"    pass\n" \
	PROFILE_SCRIPT

/* the c_call events of the interpreter's own profiler for a bound method of
 * a builtin function and of a method descriptor, called by CALL and by
 * CALL_FUNCTION_EX: PY_PROFILE_BOUND_* */
#define PROFILE_SCRIPT \
	"try:\n" \
	"    import sys, types\n" \
	"    seen = set()\n" \
	"    def prof(f, e, a):\n" \
	"        if e == 'c_call':\n" \
	"            seen.add(getattr(a, '__name__', ''))\n" \
	"    b = [types.MethodType(len, ()), types.MethodType(str.upper, 'x'),\n" \
	"         types.MethodType(abs, 1), types.MethodType(str.lower, 'x')]\n" \
	"    def t():\n" \
	"        b[0](); b[1](); b[2](*()); b[3](*())\n" \
	"    sys.setprofile(prof)\n" \
	"    t()\n" \
	"    sys.setprofile(None)\n" \
	"    print('profile_bound', sum(1 << i for i, n in\n" \
	"          enumerate(('len', 'upper', 'abs', 'lower')) if n in seen))\n" \
	"except Exception:\n" \
	"    pass\n"

const char *py_opcodes__name(enum py_op op)
{
	return op >= 0 && op < PY_OP__COUNT ? names[op] : "?";
}

int py_opcodes__parse(const char *text, struct py_opcodes *out)
{
	const char *p = text;

	for (int i = 0; i < PY_OP__COUNT; i++)
		out->num[i] = -1;
	for (int i = 0; i < 256; i++)
		out->deopt[i] = (unsigned char)i;
	out->n_deopt = 0;
	out->profile_bound = -1;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char name[64];
		int num, used = 0;
		char line[128];

		if (len >= sizeof(line))
			return -EINVAL;
		memcpy(line, p, len);
		line[len] = 0;
		p += len + (eol ? 1 : 0);
		if (!len)
			continue;
		if (!strncmp(line, "deopt ", 6)) {
			int spec, base;

			if (sscanf(line, "deopt %d %d%n", &spec, &base, &used) != 2 ||
			    used != (int)len || spec < 0 || spec > 255 || base < 0 || base > 255)
				return -EINVAL;
			out->deopt[spec] = (unsigned char)base;
			out->n_deopt++;
			continue;
		}
		if (sscanf(line, "%63s %d%n", name, &num, &used) != 2 || used != (int)len)
			return -EINVAL;
		if (!strcmp(name, "profile_bound")) {
			if (num < 0 || num > 15)
				return -EINVAL;
			out->profile_bound = num;
			continue;
		}
		/* pseudo-instructions (3.12+) are numbered from 256: never ours */
		for (int i = 0; i < PY_OP__COUNT; i++)
			if (!strcmp(name, names[i])) {
				if (num < 0 || num > 255)
					return -EINVAL;
				out->num[i] = num;
			}
	}
	if (out->num[PY_OP_RESUME] < 0 || out->num[PY_OP_RETURN_VALUE] < 0 ||
	    out->num[PY_OP_YIELD_VALUE] < 0)
		return -EINVAL;
	return 0;
}

int py_opcodes__query(int pid, const struct proc_creds *creds, struct py_opcodes *out, char *err,
		      size_t errlen)
{
	char exe_link[64], argv0[512], *text = NULL;
	char *argv[] = { argv0, "-I", "-S", "-c", QUERY_SCRIPT, NULL };
	struct run_as_place place;
	struct run_as_req req = { .creds = creds, .cwd = "/", .exe_fd = -1, .path = argv0,
				  .argv = argv, .timeout_ms = 10000, .max_out = 65536 };
	size_t len;
	ssize_t n;
	int ret;

	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", pid);
	n = readlink(exe_link, argv0, sizeof(argv0) - 1);
	if (n <= 0) {
		snprintf(err, errlen, "cannot read the executable of PID %d", pid);
		return -ESRCH;
	}
	argv0[n] = 0;
	ret = run_as_place__open(pid, &place);
	if (ret) {
		snprintf(err, errlen, "cannot open the root of PID %d: %s", pid, strerror(-ret));
		return ret;
	}
	req.place = place;
	/* the file it runs, though another may be at its path now */
	req.exe_fd = open(exe_link, O_RDONLY | O_CLOEXEC);
	if (req.exe_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot run %s: %s", argv0, strerror(errno));
		goto cleanup;
	}
	ret = run_as__run(&req, &text, &len, err, errlen);
	if (ret) {
		size_t used = strlen(err);

		snprintf(err + used, errlen - used, " (asked with -I -S for its opcode numbers)");
		goto cleanup;
	}
	ret = py_opcodes__parse(text, out);
	if (ret)
		snprintf(err, errlen, "%s printed no usable opcode table", argv0);
cleanup:
	if (req.exe_fd >= 0)
		close(req.exe_fd);
	run_as_place__close(&place);
	free(text);
	return ret;
}
