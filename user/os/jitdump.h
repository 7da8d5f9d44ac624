/* SPDX-License-Identifier: MIT */
/*
 * jitdump files (perf's jit-PID.dump format, linux/tools/perf/Documentation/
 * jitdump-specification.txt): the code a JIT generated, described by the
 * JIT itself (CPython 3.13+'s -X perf_jit, V8's --perf-prof, LuaJIT, JVM
 * agents). A header, then records appended as code is generated; each code
 * load becomes a TR_EV_JIT record (flag TR_JIT_JITDUMP). The writer maps
 * the file so that perf finds it in /proc/PID/maps: that is how the tracer
 * finds it too. Parsed with bounds (jitdump.c), opened through the mapping
 * itself and followed as it grows (jitdump_file.c).
 */
#ifndef TRACER_JITDUMP_H
#define TRACER_JITDUMP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "os/perf_map.h"

#define JITDUMP_MAGIC 0x4A695444u	/* "JiTD" in the writer's byte order */
#define JITDUMP_MAGIC_SWAPPED 0x4454694Au
#define JITDUMP_VERSION 1
#define JITDUMP_HEADER_SIZE 40		/* the fields of version 1 */
#define JITDUMP_HEADER_MAX 4096		/* a larger header is not a jitdump's */
#define JITDUMP_PREFIX_SIZE 16		/* a record's id, total_size, timestamp */
#define JITDUMP_LOAD_FIXED 56		/* a code load up to its name */
#define JITDUMP_NAME_MAX (64u << 10)	/* a name not ended by then: malformed */
#define JITDUMP_FLAG_ARCH_TIMESTAMP 0x1ull /* times are the CPU's counter */

enum jitdump_record_id {
	JITDUMP_CODE_LOAD = 0,
	JITDUMP_CODE_MOVE = 1,
	JITDUMP_CODE_DEBUG_INFO = 2,
	JITDUMP_CODE_CLOSE = 3,
	JITDUMP_CODE_UNWINDING_INFO = 4,
};

/* A jitdump as read so far (zeroed to start) */
struct jitdump {
	uint64_t offset;	/* in the file, of the next byte to parse */
	bool header;		/* the header was read */
	uint32_t version, elf_mach, pid;	/* the header's */
	uint64_t flags;
	uint64_t records;	/* complete records read, of any kind */
	uint64_t loads;		/* code loads handed over as TR_EV_JIT */
	uint64_t moves;		/* code moves: not followed (see jitdump.c) */
	uint64_t skipped;	/* debug info, close, unwinding info, unknown ids */
	uint64_t malformed;	/* records skipped as malformed */
	bool broken;		/* refused, or the records cannot be framed any
				 * more: nothing more is read (WHY says why) */
	char why[200];
};

/* How code loads become records */
struct jitdump_emit {
	uint32_t pid;		/* the process, as the tracer sees it */
	uint64_t not_before;	/* the attach time: a load written earlier gets
				 * it, flagged TR_JIT_BEFORE_ATTACH */
	uint64_t now;		/* the time of the read: no load is later */
	bool at_attach;		/* the read at attach: loads without a usable
				 * time were written before it */
	perf_map_fn fn;		/* NULL: counted only */
	void *ctx;
};

/*
 * Parse BUF, LEN bytes of the file from D->offset, where the file holds
 * FILE_LEFT bytes from there (LEN <= FILE_LEFT; LEN may stop inside a
 * record the file holds whole: it is read again from its start next time;
 * LEN >= JITDUMP_LOAD_FIXED + JITDUMP_NAME_MAX + 1, or all of FILE_LEFT,
 * makes progress certain). Each complete record is consumed (D->offset
 * past it); a last record the file does not hold whole yet (being written)
 * is left for the next call. 0, -EINVAL when the file is refused or cannot
 * be framed (D->broken, D->why), or what E->fn returned (D->offset past the
 * record it was given).
 */
int jitdump__parse(struct jitdump *d, const void *buf, size_t len, uint64_t file_left,
		   const struct jitdump_emit *e);

/* "jit-*.dump", maybe followed by " (deleted)": the name of a jitdump */
bool jitdump__is_name(const char *path);
#endif
