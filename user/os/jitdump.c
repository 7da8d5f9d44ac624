// SPDX-License-Identifier: MIT
/*
 * The jitdump parser. Everything in the file is the target's to choose,
 * so every length is checked against what the buffer and the file hold.
 *
 * The header (magic, version, total_size, elf_mach, reserved, pid,
 * timestamp, flags) is read once. Its magic tells the writer's byte order:
 * a byte-swapped one (a file from a host of the other order) is refused
 * rather than read field by field swapped, as is a version other than 1
 * (perf refuses later ones too), a header size outside [40, 4096] and
 * flags perf does not know. elf_mach is not checked: CPython 3.13.0
 * writes 0 there.
 *
 * Records follow: id, total_size, timestamp, then the body. total_size
 * frames the stream: one below the prefix's 16 bytes leaves nothing to
 * skip by, so the rest cannot be read (counted malformed, said, stopped).
 * A record whose total_size reaches past the end of the file is being
 * written (writers append in pieces: CPython 3.13 through a stdio buffer,
 * 4 KiB at a time) and is left for the next read, not counted. Code loads
 * (id 0: pid, tid, vma, code_addr, code_size, code_index, a NUL-terminated
 * name, then code_size bytes of code) become TR_EV_JIT records; a load too
 * short for its fields, whose name has no NUL within the record (or within
 * 64 KiB), whose name and code overrun total_size, whose code is larger
 * than 4 GiB or wraps around the address space is counted malformed and
 * skipped by total_size. Code moves (id 1) would need the name of the code
 * moved, from an earlier load by code_index: they are counted and said
 * instead (no writer the tracer knows of emits them). Debug info (2),
 * close (3), unwinding info (4) and unknown ids are skipped by total_size
 * and counted.
 *
 * Times: without JITDUMP_FLAG_ARCH_TIMESTAMP a record's timestamp is
 * CLOCK_MONOTONIC nanoseconds (what perf asks of writers, `perf record
 * -k mono`, and what CPython writes), the clock of bpf_ktime_get_ns, so a
 * load is placed among the session's events by its own time — no earlier
 * than the attach (a load written before gets the attach time, flagged
 * TR_JIT_BEFORE_ATTACH, as a perf map's lines do) and no later than the
 * read. A zero time, or the CPU's counter, is replaced by the read's time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "os/jitdump.h"

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

__attribute__((format(printf, 2, 3)))
static int refuse(struct jitdump *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->broken = true;
	return -EINVAL;
}

bool jitdump__is_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 10 && !strcmp(base + n - 10, " (deleted)"))
		n -= 10;
	return n > 9 && !strncmp(base, "jit-", 4) && !memcmp(base + n - 5, ".dump", 5);
}

/* the header at the start of BUF: its size consumed, or 0 (incomplete) */
static int parse_header(struct jitdump *d, const unsigned char *p, size_t len)
{
	uint32_t magic, size;

	if (len < 4)
		return 0;
	magic = rd32(p);
	if (magic == JITDUMP_MAGIC_SWAPPED)
		return refuse(d, "written in the other byte order (magic 0x%08x): not read", magic);
	if (magic != JITDUMP_MAGIC)
		return refuse(d, "not a jitdump (magic 0x%08x, not 0x%08x)", magic, JITDUMP_MAGIC);
	if (len < JITDUMP_HEADER_SIZE)
		return 0;
	d->version = rd32(p + 4);
	size = rd32(p + 8);
	d->elf_mach = rd32(p + 12);
	d->pid = rd32(p + 20);
	d->flags = rd64(p + 32);
	if (d->version != JITDUMP_VERSION)
		return refuse(d, "version %u, not %u: not read", d->version, JITDUMP_VERSION);
	if (size < JITDUMP_HEADER_SIZE || size > JITDUMP_HEADER_MAX)
		return refuse(d, "a header of %u bytes: not a jitdump's", size);
	if (d->flags & ~JITDUMP_FLAG_ARCH_TIMESTAMP)
		return refuse(d, "unknown header flags 0x%llx: not read",
			      (unsigned long long)d->flags);
	if (len < size)
		return 0;
	d->header = true;
	return size;
}

/* the time and flags of a load written at TS */
static uint64_t load_ts(const struct jitdump *d, const struct jitdump_emit *e, uint64_t ts,
			uint32_t *flags)
{
	if (!(d->flags & JITDUMP_FLAG_ARCH_TIMESTAMP) && ts) {
		if (ts < e->not_before) {
			*flags |= TR_JIT_BEFORE_ATTACH;
			return e->not_before;
		}
		return ts < e->now ? ts : e->now;
	}
	if (e->at_attach) {
		*flags |= TR_JIT_BEFORE_ATTACH;
		return e->not_before;
	}
	return e->now;
}

/*
 * The code load at P: AVAIL of its TOTAL bytes are in the buffer. 1 when
 * handed over or malformed (consumed), 0 when more of it must be read
 * first, <0 FN's error.
 */
static int parse_load(struct jitdump *d, const unsigned char *p, size_t avail, uint32_t total,
		      const struct jitdump_emit *e)
{
	const unsigned char *name = p + JITDUMP_LOAD_FIXED, *nul;
	size_t scan, name_len;
	uint32_t flags = TR_JIT_JITDUMP, tid;
	uint64_t addr, size, ts;
	struct tr_ev_jit ev;

	if (total < JITDUMP_LOAD_FIXED) {
		d->malformed++;		/* too short for its own fields */
		return 1;
	}
	if (avail < JITDUMP_LOAD_FIXED)
		return 0;
	scan = avail - JITDUMP_LOAD_FIXED;
	if (scan > JITDUMP_NAME_MAX + 1)
		scan = JITDUMP_NAME_MAX + 1;
	nul = memchr(name, 0, scan);
	if (!nul) {
		if (avail < total && scan <= JITDUMP_NAME_MAX)
			return 0;	/* the rest of the name is not read yet */
		d->malformed++;		/* no NUL in the record, or a name > 64 KiB */
		return 1;
	}
	name_len = nul - name;
	addr = rd64(p + 32);
	size = rd64(p + 40);
	/* the name, its NUL and the code within total_size (no overflow:
	 * name_len < 64 KiB, size checked first) */
	if (size > UINT32_MAX || JITDUMP_LOAD_FIXED + name_len + 1 + size > total ||
	    addr + size < addr) {
		d->malformed++;
		return 1;
	}
	/* a thread id of the writer's: the tracer's only if the pids agree
	 * (a writer in another pid namespace numbers them otherwise) */
	tid = d->pid == e->pid && rd32(p + 16) == e->pid ? rd32(p + 20) : e->pid;
	d->loads++;
	if (!e->fn)
		return 1;
	ts = load_ts(d, e, rd64(p + 8), &flags);
	perf_map__record(&ev, e->pid, tid, ts, flags, addr, size, (const char *)name, name_len);
	return e->fn(e->ctx, &ev, ev.hdr.size) ?: 1;
}

int jitdump__parse(struct jitdump *d, const void *buf, size_t len, uint64_t file_left,
		   const struct jitdump_emit *e)
{
	const unsigned char *b = buf;
	uint64_t at = 0;	/* of the next record, in BUF (may pass LEN) */
	int ret;

	if (d->broken)
		return -EINVAL;
	if (len > file_left)
		len = file_left;
	if (!d->header) {
		ret = parse_header(d, b, len);
		if (ret <= 0)
			return ret;
		at = ret;
		d->offset += ret;
	}
	while (at + JITDUMP_PREFIX_SIZE <= len) {
		const unsigned char *p = b + at;
		uint32_t id = rd32(p), total = rd32(p + 4);

		if (total < JITDUMP_PREFIX_SIZE) {
			d->malformed++;
			return refuse(d, "a record of %u bytes at offset %llu: the records after it "
				      "cannot be told apart, not read", total,
				      (unsigned long long)d->offset);
		}
		if (total > file_left - at)
			break;		/* being written: read it next time */
		ret = 1;
		if (id == JITDUMP_CODE_LOAD)
			ret = parse_load(d, p, len - at < total ? len - at : total, total, e);
		else if (id == JITDUMP_CODE_MOVE)
			d->moves++;
		else
			d->skipped++;
		if (!ret)
			break;		/* read it again, whole */
		d->records++;
		at += total;
		d->offset += total;
		if (ret < 0)
			return ret;
	}
	return 0;
}
