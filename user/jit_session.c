// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "jit_session.h"
#include "proc_maps.h"

/* a warning of T (said now too when SAY: after the target was described) */
__attribute__((format(printf, 3, 4)))
static void jit_warn(struct target *t, bool say, const char *fmt, ...)
{
	char msg[sizeof(t->warnings[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (say)
		fprintf(stderr, "tracer: warning: %s\n", msg);
	if (t->n_warnings < IN_MAX_WARNINGS)
		snprintf(t->warnings[t->n_warnings++], sizeof(t->warnings[0]), "%s", msg);
}

/* a jitdump file (perf's format, `jit-PID.dump`) is mmapped by the JIT
 * that writes it, so perf finds it: its mapping shows that one exists */
static void say_jitdump(struct target *t)
{
	struct proc_maps maps = {};

	if (proc_maps__read(t->pid, &maps))
		return;
	for (size_t i = 0; i < maps.n; i++) {
		const char *base = strrchr(maps.v[i].path, '/');
		size_t n;

		base = base ? base + 1 : maps.v[i].path;
		n = strlen(base);
		if (!strncmp(base, "jit-", 4) && n > 9 && !strcmp(base + n - 5, ".dump")) {
			jit_warn(t, false, "jit: the process writes a jitdump (%s): jitdump files are not "
				 "read, the code it describes is not named", maps.v[i].path);
			break;
		}
	}
	proc_maps__free(&maps);
}

void jit_session__plan(struct target *t, bool sampling)
{
	/* only sampling names frames from JIT registrations: a call trace
	 * loses nothing on a build without the function (every 3.8-3.11) */
	if (sampling && !t->bin.perfmap_offset)
		jit_warn(t, false, "jit: %s has no PyUnstable_WritePerfMapEntry (CPython 3.12+): "
			 "JIT registrations are not seen live (an existing /tmp/perf-PID.map is read "
			 "when attaching)",
			 t->file);
	if (t->mode == TARGET_ATTACH)
		say_jitdump(t);
}

int jit_session__read_perf_map(struct target *t, struct perf_map *out)
{
	char err[256] = "";
	int ret;

	memset(out, 0, sizeof(*out));
	if (t->mode != TARGET_ATTACH)
		return 0;	/* a process launched here registered nothing yet */
	ret = perf_map__read(t->pid, out, err, sizeof(err));
	if (ret == -ENOMEM)
		return ret;
	if (ret && ret != -ENOENT) {
		jit_warn(t, true, "jit: perf map refused: %s", err);
		return 0;
	}
	if (ret)
		return 0;
	fprintf(stderr, "tracer: PID %d: %llu JIT code ranges read from /tmp/perf-%d.map\n",
		t->pid, (unsigned long long)out->n, t->pid);
	if (out->malformed) {
		jit_warn(t, true, "jit: /tmp/perf-%d.map: %llu malformed lines skipped", t->pid,
			 (unsigned long long)out->malformed);
	}
	if (out->cut) {
		jit_warn(t, true, "jit: /tmp/perf-%d.map: read up to %u MiB only", t->pid,
			 PERF_MAP_MAX_BYTES >> 20);
	}
	return 0;
}
