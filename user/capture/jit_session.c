// SPDX-License-Identifier: MIT
/*
 * JIT code a session learns of besides the live registrations: the perf
 * map read at attach, and the jitdump the process maps.
 *
 * The jitdump: a writer creates it when its JIT starts (CPython 3.13's
 * -X perf_jit during interpreter start-up, others when they first compile)
 * and maps it, so it is looked for in /proc/PID/maps when the session
 * starts and then again in the event loop until found: first after
 * JITDUMP_SCAN_NS, then at intervals doubling up to JITDUMP_SCAN_MAX_NS (a
 * writer starting with the process, as CPython's, is found at once; one
 * starting later within a second; a process that never writes one has
 * its maps read once a second, not fifty times), and never more often
 * than 50 times what the last look cost (at most 2% of a CPU). Found,
 * it is opened (jitdump_file__open: the mapped file itself, the process
 * user's own) and read in each turn of the event loop before the ring
 * buffer is, from where the last read stopped: a code load the process
 * wrote before running the code precedes in the stream the samples taken
 * in it. At the end, after the process exited if it did (a writer's last
 * records reach the file then), the rest is read through the same fd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "capture/jit_session.h"
#include "util/mono_clock.h"
#include "os/owned_file.h"

/* a warning into LIST (*N of IN_MAX_WARNINGS), said now too when SAY */
static void add_warning(char (*list)[256], uint32_t *n, bool say, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (say)
		fprintf(stderr, "tracer: warning: %s\n", msg);
	if (*n < IN_MAX_WARNINGS)
		memcpy(list[(*n)++], msg, sizeof(msg));
}

/* a warning of T (said now too when SAY: after the target was described) */
__attribute__((format(printf, 3, 4)))
static void jit_warn(struct target *t, bool say, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_warning(t->warnings, &t->n_warnings, say, fmt, ap);
	va_end(ap);
}

void jit_session__plan(struct target *t, bool sampling)
{
	/* only sampling names frames from JIT registrations: a call trace
	 * loses nothing on a build without the function (every 3.8-3.11) */
	if (sampling && !t->bin.perfmap_offset)
		jit_warn(t, false, "jit: %s has no PyUnstable_WritePerfMapEntry (CPython 3.12+): "
			 "JIT registrations are not seen live (an existing /tmp/perf-PID.map is read "
			 "when attaching; a jitdump the process maps is read either way)",
			 t->file);
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
	if (out->predates) {
		jit_warn(t, true, "jit: /tmp/perf-%d.map was created before the process started: "
			 "its first lines may be an earlier process's with the same PID, naming "
			 "their ranges wrongly", t->pid);
	}
	return 0;
}

#define JITDUMP_SCAN_NS 20000000ull	/* the first interval between looks */
#define JITDUMP_SCAN_MAX_NS 1000000000ull /* the longest */
#define JITDUMP_SCAN_COST 50		/* ... and at most 1/50 of the time */
#define JITDUMP_POLL_BYTES (8u << 20)	/* read in one turn of the loop */

/* said now on stderr, kept for the outputs (the end's warnings) */
__attribute__((format(printf, 2, 3)))
static void follow_warn(struct jit_dump_follow *jf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_warning(jf->warnings, &jf->n_warnings, true, fmt, ap);
	va_end(ap);
}

/* look for the jitdump, open it when found */
static void follow_find(struct jit_dump_follow *jf, uint64_t now)
{
	char path[sizeof(jf->f.path)], err[400] = "";
	uint64_t start, end, cost;
	uid_t uids[4];
	unsigned n;
	int ret;

	ret = jitdump_file__find(jf->pid, path, sizeof(path), &start, &end, &n);
	cost = mono_clock__ns() - now;
	jf->scan_every = !jf->scan_every ? JITDUMP_SCAN_NS :
			 jf->scan_every * 2 > JITDUMP_SCAN_MAX_NS ? JITDUMP_SCAN_MAX_NS :
			 jf->scan_every * 2;
	jf->next_scan = now + (cost * JITDUMP_SCAN_COST > jf->scan_every ?
			       cost * JITDUMP_SCAN_COST : jf->scan_every);
	if (ret)
		return;		/* none yet (or the process is gone) */
	ret = owned_file__uids(jf->pid, uids, err, sizeof(err));
	if (!ret)
		ret = jitdump_file__open(&jf->f, jf->pid, start, end, path, uids, err, sizeof(err));
	if (ret == -ENOENT)
		return;		/* unmapped since: looked for again */
	if (ret) {
		follow_warn(jf, "jit: jitdump refused: %s", err);
		jf->done = true;
		return;
	}
	jf->open = true;
	if (n > 1)
		follow_warn(jf, "jit: PID %d maps %u jitdump files: only %s is read", jf->pid, n,
			    path);
}

/* read what F gained (at most MAX bytes, 0: all) */
static int follow_read(struct jit_dump_follow *jf, uint64_t max, bool at_attach)
{
	struct jitdump_emit e = {
		.pid = jf->pid, .not_before = jf->attach_ts, .now = mono_clock__ns(),
		.at_attach = at_attach, .fn = jf->fn, .ctx = jf->ctx,
	};
	char err[400] = "";
	bool had_header = jf->f.d.header;
	int ret = jitdump_file__read(&jf->f, max, &e, err, sizeof(err));

	if (!had_header && jf->f.d.header && (jf->f.d.flags & JITDUMP_FLAG_ARCH_TIMESTAMP))
		follow_warn(jf, "jit: jitdump %s: its times are the CPU's time-stamp counter: "
			    "code loads are placed at the time they were read", jf->f.path);
	if (ret == -EINVAL && !jf->said_broken) {
		jf->said_broken = true;
		follow_warn(jf, "jit: jitdump %s: %s", jf->f.path, jf->f.d.why);
		return 0;
	}
	if (ret == -EIO) {
		follow_warn(jf, "jit: jitdump: %s", err);
		jitdump_file__close(&jf->f);
		jf->open = false;
		jf->done = true;
		return 0;
	}
	return ret == -EINVAL ? 0 : ret;
}

/* just found: read what it holds (at attach: written before it), say so */
static int follow_found(struct jit_dump_follow *jf, bool at_attach)
{
	int ret = follow_read(jf, 0, at_attach);

	fprintf(stderr, "tracer: jitdump of PID %d found: %s, %llu code loads so far (followed "
		"as it grows)\n", jf->pid, jf->f.path, (unsigned long long)jf->f.d.loads);
	return ret;
}

int jit_session__follow_start(struct jit_dump_follow *jf, const struct target *t,
			      uint64_t attach_ts, perf_map_fn fn, void *ctx)
{
	memset(jf, 0, sizeof(*jf));
	jf->f.fd = -1;
	jf->pid = t->pid;
	jf->attach_ts = attach_ts;
	jf->fn = fn;
	jf->ctx = ctx;
	follow_find(jf, mono_clock__ns());
	return jf->open ? follow_found(jf, t->mode == TARGET_ATTACH) : 0;
}

int jit_session__follow(struct jit_dump_follow *jf)
{
	uint64_t now;

	if (jf->open)
		return follow_read(jf, JITDUMP_POLL_BYTES, false);
	if (jf->done || !jf->pid)
		return 0;
	now = mono_clock__ns();
	if (now < jf->next_scan)
		return 0;
	follow_find(jf, now);
	return jf->open ? follow_found(jf, false) : 0;
}

int jit_session__follow_end(struct jit_dump_follow *jf, bool exited, struct in_end *end)
{
	const struct jitdump *d = &jf->f.d;
	uint64_t left;
	int ret = 0;

	if (!jf->open && !jf->done && jf->pid && !exited) {
		follow_find(jf, mono_clock__ns());
		if (jf->open)
			ret = follow_found(jf, false);
	}
	if (jf->open && !ret) {
		ret = follow_read(jf, 0, false);
		fprintf(stderr, "tracer: PID %d: jitdump %s: %llu records, %llu code loads, %llu "
			"skipped, %llu malformed\n", jf->pid, jf->f.path,
			(unsigned long long)d->records, (unsigned long long)d->loads,
			(unsigned long long)d->skipped, (unsigned long long)d->malformed);
		if (d->malformed)
			follow_warn(jf, "jit: jitdump %s: %llu malformed records skipped", jf->f.path,
				    (unsigned long long)d->malformed);
		if (d->moves)
			follow_warn(jf, "jit: jitdump %s: %llu code moves not followed (the code "
				    "moved is not named at its new address)", jf->f.path,
				    (unsigned long long)d->moves);
		left = jitdump_file__left(&jf->f);
		if (jf->f.cut)
			follow_warn(jf, "jit: jitdump %s: read up to %llu MiB only", jf->f.path,
				    JITDUMP_MAX_BYTES >> 20);
		else if (left && !d->broken && exited)
			follow_warn(jf, "jit: jitdump %s: the last %llu bytes are an incomplete "
				    "record (the writer stopped in it): not read", jf->f.path,
				    (unsigned long long)left);
		else if (left && !d->broken)
			fprintf(stderr, "tracer: PID %d: jitdump %s: the last %llu bytes (a record "
				"being written) not read\n", jf->pid, jf->f.path,
				(unsigned long long)left);
	}
	for (uint32_t i = 0; i < jf->n_warnings && end->n_warnings < IN_MAX_WARNINGS; i++)
		memcpy(end->warnings[end->n_warnings++], jf->warnings[i], sizeof(jf->warnings[i]));
	return ret;
}

void jit_session__follow_free(struct jit_dump_follow *jf)
{
	if (jf->open)
		jitdump_file__close(&jf->f);
	jf->open = false;
}
