// SPDX-License-Identifier: MIT
/*
 * Reading a recording back (tracer report): every record's length and
 * every field's are checked against the kind's bounds (rec_format.h), so a
 * damaged or cut file gives -EINVAL / -EPIPE, never a read past a buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "record/rec_format.h"

struct rec_reader {
	FILE *f;
	int err;		/* sticky: -EINVAL, -EPIPE, -EIO */
	uint32_t version;	/* the file's format version */
	unsigned char buf[REC_PAYLOAD_MAX];
	char *text;		/* the last code map record */
};

/*
 * Open PATH and check its header. On failure errno says what the caller
 * can act on and WHY (when not NULL) says what is wrong with the file, for
 * the user: a directory, an empty file, one cut inside its header, a newer
 * format version (which, and which this reader knows) - not the errno of
 * the call that noticed it.
 */
struct rec_reader *rec_reader__open_why(const char *path, char *why, size_t whylen)
{
	struct rec_reader *rd = calloc(1, sizeof(*rd));
	unsigned char hdr[REC_FILE_HDR_SIZE];
	struct rec_cursor c = { hdr, hdr + sizeof(hdr), false };
	uint32_t version = 0, hsize = 0;
	struct stat st;
	size_t n = 0;		/* bytes of the header read */
	bool cut = false;	/* the file ends inside its header */
	int e = EINVAL;

	if (!rd) {
		e = ENOMEM;
		goto err;
	}
	rd->f = fopen(path, "r");
	if (!rd->f) {
		e = errno;
		goto err;
	}
	/* fopen opens a directory; its first read fails with EISDIR */
	if (!fstat(fileno(rd->f), &st) && S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto err;
	}
	n = fread(rd->buf, 1, sizeof(hdr), rd->f);
	if (n != sizeof(hdr)) {
		e = ferror(rd->f) ? EIO : EINVAL;
		cut = n && !memcmp(rd->buf, REC_MAGIC, n < REC_MAGIC_LEN ? n : REC_MAGIC_LEN);
		goto err;
	}
	memcpy(hdr, rd->buf, sizeof(hdr));
	if (memcmp(hdr, REC_MAGIC, REC_MAGIC_LEN))
		goto err;
	c.p += REC_MAGIC_LEN;
	version = rec_get_uint(&c, 4);
	hsize = rec_get_uint(&c, 4);
	if (version == 0 || hsize < REC_FILE_HDR_SIZE || hsize > REC_FILE_HDR_MAX)
		goto err;
	if (version > REC_FORMAT_VERSION) {
		e = ENOTSUP;
		goto err;
	}
	rd->version = version;
	/* a longer header: fields this version does not know, skipped */
	for (size_t left = hsize - REC_FILE_HDR_SIZE, k, got; left; left -= k) {
		k = left < sizeof(rd->buf) ? left : sizeof(rd->buf);
		got = fread(rd->buf, 1, k, rd->f);
		if (got != k) {
			e = ferror(rd->f) ? EIO : EINVAL;
			cut = true;
			n = hsize - left + got;
			goto err;
		}
	}
	return rd;
err:
	if (why && e == EISDIR)
		snprintf(why, whylen, "%s: is a directory, not a recording", path);
	else if (why && e == ENOTSUP)
		snprintf(why, whylen, "%s: recording format version %u is newer than this "
			 "tracer reads (%d); upgrade tracer", path, version, REC_FORMAT_VERSION);
	else if (why && e == EINVAL && n == 0)
		snprintf(why, whylen, "%s: empty file, not a recording", path);
	else if (why && e == EINVAL && cut)
		snprintf(why, whylen, "%s: a recording cut short inside its header "
			 "(%zu bytes): nothing to convert", path, n);
	else if (why && e == EINVAL)
		snprintf(why, whylen, "%s: not a tracer recording", path);
	else if (why)
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(e));
	if (rd && rd->f)
		fclose(rd->f);
	free(rd);
	errno = e;
	return NULL;
}

struct rec_reader *rec_reader__open(const char *path)
{
	return rec_reader__open_why(path, NULL, 0);
}

static int rec_reader__event(struct rec_cursor *c, size_t len, struct rec_record *r)
{
	struct tr_ev_hdr h;
	size_t name_n, file_n;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, c->p, sizeof(h));
	switch (h.type) {
	case TR_EV_CALL:
		if (len != sizeof(r->call))
			return -EINVAL;
		rec_get_bytes(c, &r->call, sizeof(r->call));
		return 0;
	case TR_EV_RETURN:
		if (len != sizeof(r->ret))
			return -EINVAL;
		rec_get_bytes(c, &r->ret, sizeof(r->ret));
		return 0;
	case TR_EV_CODE:
		if (len < REC_CODE_FIXED)
			return -EINVAL;
		memset(&r->code, 0, sizeof(r->code));
		rec_get_bytes(c, &r->code, REC_CODE_FIXED);
		name_n = rec_code_str_bytes(r->code.name_len, r->code.name_enc, TR_NAME_MAX);
		file_n = rec_code_str_bytes(r->code.file_len, r->code.file_enc, TR_FILE_MAX);
		if (len != REC_CODE_FIXED + name_n + file_n)
			return -EINVAL;
		rec_get_bytes(c, r->code.name, name_n);
		rec_get_bytes(c, r->code.file, file_n);
		return 0;
	case TR_EV_LINE:
		if (len != sizeof(r->line))
			return -EINVAL;
		rec_get_bytes(c, &r->line, sizeof(r->line));
		return 0;
	case TR_EV_BLOB:
		if (len < REC_BLOB_FIXED)
			return -EINVAL;
		rec_get_bytes(c, &r->blob, REC_BLOB_FIXED);
		if (r->blob.len > TR_BLOB_MAX || len != REC_BLOB_FIXED + r->blob.len)
			return -EINVAL;
		rec_get_bytes(c, r->blob.data, r->blob.len);
		return 0;
	case TR_EV_RUNTIME:
		if (len < REC_RUNTIME_FIXED)
			return -EINVAL;
		memset(&r->runtime, 0, sizeof(r->runtime));
		rec_get_bytes(c, &r->runtime, REC_RUNTIME_FIXED);
		name_n = rec_runtime_name_bytes(&r->runtime);
		/* the kinds an event has (GC_GENERATION is a probe site's only) */
		if (len != REC_RUNTIME_FIXED + name_n ||
		    (r->runtime.kind != TR_RT_GC && r->runtime.kind != TR_RT_IMPORT))
			return -EINVAL;
		rec_get_bytes(c, r->runtime.name, name_n);
		return 0;
	case TR_EV_JIT:
		if (len < TR_JIT_FIXED || len > sizeof(r->jit) || h.size != len)
			return -EINVAL;
		memset(&r->jit, 0, sizeof(r->jit));
		rec_get_bytes(c, &r->jit, len);
		if (r->jit.name_len != len - TR_JIT_FIXED)
			return -EINVAL;
		return 0;
	case TR_EV_EXIT:
		if (len != sizeof(r->exit))
			return -EINVAL;
		rec_get_bytes(c, &r->exit, sizeof(r->exit));
		return 0;
	default:	/* TR_EV_PROC, TR_EV_EXEC are never recorded */
		return -EINVAL;
	}
}

/* a probe cost whose numbers are not finite and >= 0 is refused: the
 * outputs compute with them */
static void rec_reader__probe_cost(struct rec_cursor *c, struct probe_cost *pc)
{
	uint32_t measured = rec_get_uint(c, 4);
	double *v[] = { &pc->trap_entry_ns, &pc->trap_return_ns, &pc->bpf_entry_ns,
			&pc->bpf_return_ns, &pc->line_ns };

	pc->trap_entry_ns = rec_get_double(c);
	pc->trap_return_ns = rec_get_double(c);
	pc->bpf_entry_ns = rec_get_double(c);
	pc->bpf_return_ns = rec_get_double(c);
	pc->bpf_entry_runs = rec_get_uint(c, 8);
	pc->bpf_return_runs = rec_get_uint(c, 8);
	pc->line_runs = rec_get_uint(c, 8);
	pc->line_ns = rec_get_double(c);
	rec_get_str(c, pc->return_kind, sizeof(pc->return_kind));
	rec_get_str(c, pc->note, sizeof(pc->note));
	if (measured > 1)
		c->bad = true;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!(*v[i] >= 0 && *v[i] < 1e12))	/* (NaN fails too) */
			c->bad = true;
	pc->measured = measured == 1;
}

/* (slow_extra_ns: -1 when not calibrated) */
static void rec_reader__probe_cost_v12(struct rec_cursor *c, struct probe_cost *pc)
{
	pc->trap_entry_before_ns = rec_get_double(c);
	pc->trap_return_before_ns = rec_get_double(c);
	pc->slow_extra_ns = rec_get_double(c);
	pc->slow_sites = (int)rec_get_uint(c, 4);
	pc->silent_hits = rec_get_uint(c, 8);
	pc->silent_ns = rec_get_double(c);
	if (!(pc->trap_entry_before_ns >= 0 && pc->trap_entry_before_ns <= pc->trap_entry_ns) ||
	    !(pc->trap_return_before_ns >= 0 &&
	      pc->trap_return_before_ns <= pc->trap_return_ns) ||
	    !(pc->slow_extra_ns >= -1 && pc->slow_extra_ns < 1e12) ||
	    pc->slow_sites < 0 || pc->slow_sites > 64 ||
	    !(pc->silent_ns >= 0 && pc->silent_ns < 1e12))
		c->bad = true;
}

static int rec_reader__decode(struct rec_cursor *c, uint32_t version, enum rec_kind kind,
			      size_t len, struct rec_record *r)
{
	struct in_process *p = &r->process;
	struct in_thread *t = &r->thread;
	struct in_end *e = &r->end;
	uint32_t n;

	switch (kind) {
	case REC_PROCESS:
		memset(p, 0, sizeof(*p));
		p->pid = rec_get_uint(c, 4);
		p->version_hex = rec_get_uint(c, 4);
		p->strategy = rec_get_uint(c, 4);
		p->attach_ts = rec_get_uint(c, 8);
		rec_get_str(c, p->exe, sizeof(p->exe));
		rec_get_str(c, p->lib, sizeof(p->lib));
		rec_get_warnings(c, p->warnings, &p->n_warnings);
		if (version >= 7) {	/* before: instance, ns_pid 0, cgroup "" (unknown) */
			p->instance = rec_get_uint(c, 4);
			p->ns_pid = rec_get_uint(c, 4);
			rec_get_str(c, p->cgroup, sizeof(p->cgroup));
		}
		break;
	case REC_THREAD:
		memset(t, 0, sizeof(*t));
		t->pid = rec_get_uint(c, 4);
		t->tid = rec_get_uint(c, 4);
		rec_get_str(c, t->name, sizeof(t->name));
		break;
	case REC_EVENT:
		if (rec_reader__event(c, len, r))
			return -EINVAL;
		break;
	case REC_CODEMAP:	/* read by rec_reader__codemap */
		return -EINVAL;
	case REC_END:
		memset(e, 0, sizeof(*e));
		e->end_ts = rec_get_uint(c, 8);
		e->ringbuf_events = rec_get_uint(c, 8);
		e->exit_code = rec_get_uint(c, 4);
		e->flags = rec_get_uint(c, 4);
		n = rec_get_uint(c, 2);
		for (uint32_t i = 0; i < n && !c->bad; i++) {
			uint64_t v = rec_get_uint(c, 8);

			if (i < TR_DROP__COUNT)
				e->drops[i] = v;	/* later reasons: not known here */
		}
		/* version 6: the warnings (none before) */
		if (c->p < c->end)
			rec_get_warnings(c, e->warnings, &e->n_warnings);
		/* version 8: CLOCK_REALTIME - CLOCK_MONOTONIC (0 before: unknown) */
		if (version >= 8)
			e->realtime_offset_ns = (int64_t)rec_get_uint(c, 8);
		/* version 10: the probe cost (not measured before) */
		if (version >= 10)
			rec_reader__probe_cost(c, &e->probe_cost);
		/* version 11: how the launched command ended (unknown before) */
		if (version >= 11) {
			e->launch.pid = rec_get_uint(c, 4);
			e->launch.how = rec_get_uint(c, 4);
			e->launch.value = rec_get_uint(c, 4);
			e->launch.core = rec_get_uint(c, 4);
			if (e->launch.how > LAUNCH_END_SIGNAL)
				e->launch.how = LAUNCH_END_NONE;	/* a later kind */
		}
		/* version 12: the probe cost's split, single-step, silent hits */
		if (version >= 12)
			rec_reader__probe_cost_v12(c, &e->probe_cost);
		break;
	}
	/* the payload must be exactly what its fields say */
	return c->bad || c->p != c->end ? -EINVAL : 0;
}

static size_t rec_payload_max(unsigned kind)
{
	switch (kind) {
	case REC_PROCESS: return REC_PROCESS_MAX;
	case REC_THREAD: return REC_THREAD_MAX;
	case REC_EVENT: return REC_EVENT_MAX;
	case REC_END: return REC_END_MAX;
	case REC_CODEMAP: return REC_CODEMAP_FIXED + REC_CODEMAP_TEXT_MAX;
	default: return 0;
	}
}

/* a code map record (large: read into its own buffer, kept until the next) */
static int rec_reader__codemap(struct rec_reader *rd, size_t len, struct in_codemap *m)
{
	struct rec_cursor c;

	free(rd->text);
	rd->text = malloc(len ? len : 1);
	if (!rd->text)
		return rd->err = -ENOMEM;
	if (fread(rd->text, 1, len, rd->f) != len)
		return rd->err = ferror(rd->f) ? -EIO : -EPIPE;
	c = (struct rec_cursor){ (unsigned char *)rd->text, (unsigned char *)rd->text + len, false };
	memset(m, 0, sizeof(*m));
	m->pid = rec_get_uint(&c, 4);
	if (rd->version >= 7)
		m->instance = rec_get_uint(&c, 4);
	m->lines = rec_get_uint(&c, 4);
	rec_get_str(&c, m->note, sizeof(m->note));
	m->len = rec_get_uint(&c, 4);
	if (c.bad || m->lines > 1 || m->len != (size_t)(c.end - c.p))
		return rd->err = -EINVAL;
	m->text = (char *)c.p;
	return 1;
}

int rec_reader__next(struct rec_reader *rd, struct rec_record *r)
{
	unsigned char h[REC_HDR_SIZE];
	struct rec_cursor c = { h, h + sizeof(h), false };
	unsigned kind, flags, reserved;
	size_t n, len;

	if (rd->err)
		return rd->err;
	n = fread(h, 1, sizeof(h), rd->f);
	if (n == 0 && !ferror(rd->f))
		return 0;
	if (n != sizeof(h))
		return rd->err = ferror(rd->f) ? -EIO : -EPIPE;
	kind = rec_get_uint(&c, 1);
	flags = rec_get_uint(&c, 1);
	reserved = rec_get_uint(&c, 2);
	len = rec_get_uint(&c, 4);
	if (flags || reserved || !rec_payload_max(kind) || len > rec_payload_max(kind))
		return rd->err = -EINVAL;
	r->kind = kind;
	if (kind == REC_CODEMAP)
		return rec_reader__codemap(rd, len, &r->codemap);
	if (fread(rd->buf, 1, len, rd->f) != len)
		return rd->err = ferror(rd->f) ? -EIO : -EPIPE;
	c = (struct rec_cursor){ rd->buf, rd->buf + len, false };
	if (rec_reader__decode(&c, rd->version, kind, len, r))
		return rd->err = -EINVAL;
	return 1;
}

void rec_reader__close(struct rec_reader *rd)
{
	if (!rd)
		return;
	fclose(rd->f);
	free(rd->text);
	free(rd);
}
