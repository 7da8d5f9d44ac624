// SPDX-License-Identifier: MIT
/*
 * The native recording (.trace): a little-endian stream of the analyzer's
 * input records. Format and field meanings: docs/recording-format.md.
 *
 * The writer is on the hot path: one record is encoded in a stack buffer
 * and handed to stdio with one fwrite (1 MiB buffer, no per-event syscall).
 * Writes to the kernel only happen in rec_writer__flush(), between whole
 * records, so after a write error the file can be cut back to the last
 * complete record and stays a readable recording.
 *
 * The file is an out_file (user/util/out_file.h): written under a temporary name
 * next to the final one, renamed into place at the end, even when it was
 * cut short (it is readable as far as it goes), unless nothing readable
 * reached the disk (a disk full from the start: then it is removed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/out_file.h"
#include "record/rec_format.h"

struct rec_writer {
	FILE *f;		/* the stream of FILE */
	struct out_file *file;
	char *buf;		/* the stdio buffer */
	uint64_t off;		/* end of the last record accepted */
	uint64_t synced_off;	/* records up to here were written to the file */
	size_t pending;		/* off - synced_off: bytes in the stdio buffer */
	uint64_t disk_off;	/* whole records on disk: a readable recording
				 * when >= REC_FILE_HDR_SIZE */
	int err;		/* first error, sticky */
};

/*
 * After a failed write: cut the file back to the last complete record. The
 * file holds our records in order from synced_off on, partially written
 * past some point: walk their headers up to the file size.
 */
static void rec_writer__cut(struct rec_writer *w)
{
	int fd = fileno(w->f);
	uint64_t off = w->synced_off;
	struct stat sb;

	__fpurge(w->f);		/* fclose must not write the rest later */
	w->disk_off = off;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < off)
		return;
	if (off == 0)
		off = (uint64_t)sb.st_size >= REC_FILE_HDR_SIZE ? REC_FILE_HDR_SIZE : 0;
	while (off && off + REC_HDR_SIZE <= (uint64_t)sb.st_size) {
		unsigned char h[REC_HDR_SIZE];
		uint64_t len;

		if (pread(fd, h, sizeof(h), off) != (ssize_t)sizeof(h))
			break;
		len = h[4] | h[5] << 8 | h[6] << 16 | (uint64_t)h[7] << 24;
		if (off + REC_HDR_SIZE + len > (uint64_t)sb.st_size)
			break;
		off += REC_HDR_SIZE + len;
	}
	if (ftruncate(fd, off))
		return;	/* nothing better to do: the reader reports -EPIPE */
	w->disk_off = off;
}

static int rec_writer__fail(struct rec_writer *w)
{
	if (!w->err) {
		w->err = errno ? -errno : -EIO;
		rec_writer__cut(w);
	}
	return w->err;
}

int rec_writer__flush(struct rec_writer *w)
{
	if (w->err)
		return w->err;
	errno = 0;
	if (fflush(w->f) || ferror(w->f))
		return rec_writer__fail(w);
	w->synced_off = w->off;
	w->disk_off = w->off;
	w->pending = 0;
	return 0;
}

/* append one whole record (header + payload, N bytes) */
static int rec_writer__emit(struct rec_writer *w, const void *rec, size_t n)
{
	if (w->err)
		return w->err;
	if (w->pending + n > REC_STDIO_BUF && rec_writer__flush(w))
		return w->err;
	errno = 0;
	if (fwrite_unlocked(rec, 1, n, w->f) != n)
		return rec_writer__fail(w);
	w->off += n;
	w->pending += n;
	return 0;
}

struct rec_writer *rec_writer__open(const char *path)
{
	struct rec_writer *w = calloc(1, sizeof(*w));
	unsigned char hdr[REC_FILE_HDR_SIZE];
	struct rec_cursor c = { hdr, hdr + sizeof(hdr), false };
	int e;

	if (!w)
		return NULL;
	w->buf = malloc(REC_STDIO_BUF);
	if (!w->buf)
		goto err;
	if (out_file__open(path, &w->file))
		goto err;
	w->f = out_file__stream(w->file);	/* read back by rec_writer__cut */
	if (setvbuf(w->f, w->buf, _IOFBF, REC_STDIO_BUF)) {
		errno = ENOMEM;
		goto err;
	}
	rec_put_bytes(&c, REC_MAGIC, REC_MAGIC_LEN);
	rec_put_uint(&c, REC_FORMAT_VERSION, 4);
	rec_put_uint(&c, REC_FILE_HDR_SIZE, 4);
	rec_writer__emit(w, hdr, sizeof(hdr));	/* into the buffer: cannot fail */
	return w;
err:
	e = errno;
	out_file__discard(&w->file);
	free(w->buf);
	free(w);
	errno = e;
	return NULL;
}

/* fill the record header in front of a payload encoded at rec + 8 */
static int rec_writer__finish_rec(struct rec_writer *w, unsigned char *rec,
				  struct rec_cursor *c, enum rec_kind kind)
{
	size_t len = c->p - (rec + REC_HDR_SIZE);
	struct rec_cursor h = { rec, rec + REC_HDR_SIZE, false };

	if (c->bad)
		return -EINVAL;
	rec_put_uint(&h, kind, 1);
	rec_put_uint(&h, 0, 1);	/* flags */
	rec_put_uint(&h, 0, 2);	/* reserved */
	rec_put_uint(&h, len, 4);
	return rec_writer__emit(w, rec, REC_HDR_SIZE + len);
}

int rec_writer__process(struct rec_writer *w, const struct in_process *p)
{
	unsigned char rec[REC_HDR_SIZE + REC_PROCESS_MAX];
	struct rec_cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };

	if (w->err)
		return w->err;
	rec_put_uint(&c, p->pid, 4);
	rec_put_uint(&c, p->version_hex, 4);
	rec_put_uint(&c, p->strategy, 4);
	rec_put_uint(&c, p->attach_ts, 8);
	rec_put_str(&c, p->exe, sizeof(p->exe));
	rec_put_str(&c, p->lib, sizeof(p->lib));
	rec_put_warnings(&c, p->warnings, p->n_warnings);
	/* version 7 */
	rec_put_uint(&c, p->instance, 4);
	rec_put_uint(&c, p->ns_pid, 4);
	rec_put_str(&c, p->cgroup, sizeof(p->cgroup));
	return rec_writer__finish_rec(w, rec, &c, REC_PROCESS);
}

int rec_writer__thread(struct rec_writer *w, const struct in_thread *t)
{
	unsigned char rec[REC_HDR_SIZE + REC_THREAD_MAX];
	struct rec_cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };

	if (w->err)
		return w->err;
	rec_put_uint(&c, t->pid, 4);
	rec_put_uint(&c, t->tid, 4);
	rec_put_str(&c, t->name, sizeof(t->name));
	return rec_writer__finish_rec(w, rec, &c, REC_THREAD);
}

int rec_writer__event(struct rec_writer *w, const void *ev, size_t len)
{
	unsigned char rec[REC_HDR_SIZE + REC_EVENT_MAX];
	struct rec_cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };
	const struct tr_ev_hdr *h = ev;
	const struct tr_ev_code *code = ev;
	size_t name_n, file_n;

	if (w->err)
		return w->err;
	if (len < sizeof(*h))
		return -EINVAL;
	switch (h->type) {
	case TR_EV_CALL:
		if (len < sizeof(struct tr_ev_call))
			return -EINVAL;
		rec_put_bytes(&c, ev, sizeof(struct tr_ev_call));
		break;
	case TR_EV_RETURN:
		if (len < sizeof(struct tr_ev_return))
			return -EINVAL;
		rec_put_bytes(&c, ev, sizeof(struct tr_ev_return));
		break;
	case TR_EV_CODE:
		if (len < REC_CODE_FIXED)
			return -EINVAL;
		name_n = rec_code_str_bytes(code->name_len, code->name_enc, TR_NAME_MAX);
		file_n = rec_code_str_bytes(code->file_len, code->file_enc, TR_FILE_MAX);
		if (len < (file_n ? offsetof(struct tr_ev_code, file) + file_n
				  : REC_CODE_FIXED + name_n))
			return -EINVAL;
		rec_put_bytes(&c, ev, REC_CODE_FIXED);
		rec_put_bytes(&c, code->name, name_n);
		rec_put_bytes(&c, code->file, file_n);
		break;
	case TR_EV_LINE:
		if (len < sizeof(struct tr_ev_line))
			return -EINVAL;
		rec_put_bytes(&c, ev, sizeof(struct tr_ev_line));
		break;
	case TR_EV_BLOB:
		if (len < REC_BLOB_FIXED || ((const struct tr_ev_blob *)ev)->len > TR_BLOB_MAX ||
		    len < REC_BLOB_FIXED + ((const struct tr_ev_blob *)ev)->len)
			return -EINVAL;
		rec_put_bytes(&c, ev, REC_BLOB_FIXED + ((const struct tr_ev_blob *)ev)->len);
		break;
	case TR_EV_RUNTIME:
		if (len < sizeof(struct tr_ev_runtime))
			return -EINVAL;
		name_n = rec_runtime_name_bytes(ev);
		rec_put_bytes(&c, ev, REC_RUNTIME_FIXED);
		rec_put_bytes(&c, ((const struct tr_ev_runtime *)ev)->name, name_n);
		break;
	case TR_EV_JIT:
		/* the name's bytes (name_len, within the event's size) */
		if (len < TR_JIT_FIXED || h->size < TR_JIT_FIXED || h->size > len ||
		    ((const struct tr_ev_jit *)ev)->name_len != h->size - TR_JIT_FIXED ||
		    h->size > sizeof(struct tr_ev_jit))
			return -EINVAL;
		rec_put_bytes(&c, ev, h->size);
		break;
	case TR_EV_EXIT:
		if (len < sizeof(struct tr_ev_exit))
			return -EINVAL;
		rec_put_bytes(&c, ev, sizeof(struct tr_ev_exit));
		break;
	case TR_EV_TASK:
		/* --async-tasks: not kept (said when the session starts,
		 * user/capture/async_tasks.c; docs/async-tasks.md) */
		return 0;
	default:	/* TR_EV_PROC and TR_EV_EXEC are the session's own */
		return -EINVAL;
	}
	return rec_writer__finish_rec(w, rec, &c, REC_EVENT);
}

int rec_writer__codemap(struct rec_writer *w, const struct in_codemap *m)
{
	size_t cap = REC_HDR_SIZE + REC_CODEMAP_FIXED + m->len;
	unsigned char *rec;
	struct rec_cursor c;
	int ret;

	if (w->err)
		return w->err;
	if (m->len > REC_CODEMAP_TEXT_MAX)
		return -EFBIG;
	rec = malloc(cap);
	if (!rec)
		return -ENOMEM;
	c = (struct rec_cursor){ rec + REC_HDR_SIZE, rec + cap, false };
	rec_put_uint(&c, m->pid, 4);
	rec_put_uint(&c, m->instance, 4);
	rec_put_uint(&c, m->lines, 4);
	rec_put_str(&c, m->note, sizeof(m->note));
	rec_put_uint(&c, m->len, 4);
	rec_put_bytes(&c, m->text, m->len);
	ret = rec_writer__finish_rec(w, rec, &c, REC_CODEMAP);
	free(rec);
	return ret;
}

int rec_writer__end(struct rec_writer *w, const struct in_end *e)
{
	unsigned char rec[REC_HDR_SIZE + REC_END_MAX];
	struct rec_cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };

	if (w->err)
		return w->err;
	rec_put_uint(&c, e->end_ts, 8);
	rec_put_uint(&c, e->ringbuf_events, 8);
	rec_put_uint(&c, e->exit_code, 4);
	rec_put_uint(&c, e->flags, 4);
	rec_put_uint(&c, TR_DROP__COUNT, 2);
	for (int i = 0; i < TR_DROP__COUNT; i++)
		rec_put_uint(&c, e->drops[i], 8);
	rec_put_warnings(&c, e->warnings, e->n_warnings);
	rec_put_uint(&c, (uint64_t)e->realtime_offset_ns, 8);	/* version 8 */
	/* version 10: what a probe hit cost (model/probe_cost.h) */
	rec_put_uint(&c, e->probe_cost.measured, 4);
	rec_put_double(&c, e->probe_cost.trap_entry_ns);
	rec_put_double(&c, e->probe_cost.trap_return_ns);
	rec_put_double(&c, e->probe_cost.bpf_entry_ns);
	rec_put_double(&c, e->probe_cost.bpf_return_ns);
	rec_put_uint(&c, e->probe_cost.bpf_entry_runs, 8);
	rec_put_uint(&c, e->probe_cost.bpf_return_runs, 8);
	rec_put_uint(&c, e->probe_cost.line_runs, 8);
	rec_put_double(&c, e->probe_cost.line_ns);
	rec_put_str(&c, e->probe_cost.return_kind, sizeof(e->probe_cost.return_kind));
	rec_put_str(&c, e->probe_cost.note, sizeof(e->probe_cost.note));
	/* version 11: how the launched command ended */
	rec_put_uint(&c, e->launch.pid, 4);
	rec_put_uint(&c, e->launch.how, 4);
	rec_put_uint(&c, e->launch.value, 4);
	rec_put_uint(&c, e->launch.core, 4);
	/* version 12: the probe cost's split, single-step and silent hits */
	rec_put_double(&c, e->probe_cost.trap_entry_before_ns);
	rec_put_double(&c, e->probe_cost.trap_return_before_ns);
	rec_put_double(&c, e->probe_cost.slow_extra_ns);
	rec_put_uint(&c, (uint32_t)e->probe_cost.slow_sites, 4);
	rec_put_uint(&c, e->probe_cost.silent_hits, 8);
	rec_put_double(&c, e->probe_cost.silent_ns);
	return rec_writer__finish_rec(w, rec, &c, REC_END);
}

int rec_writer__error(const struct rec_writer *w)
{
	return w->err;
}

const char *rec_writer__partial_name(const struct rec_writer *w)
{
	return out_file__partial_name(w->file);
}

uint64_t rec_writer__readable(const struct rec_writer *w)
{
	return w->disk_off >= REC_FILE_HDR_SIZE ? w->disk_off : 0;
}

/* the stream is the out_file's: it closes it */
static void rec_writer__free(struct rec_writer *w)
{
	free(w->buf);
	free(w);
}

int rec_writer__close(struct rec_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	err = rec_writer__flush(w);
	if (!err)
		err = out_file__commit(&w->file, 0);
	else if (rec_writer__readable(w))
		out_file__keep(&w->file);	/* cut short, readable */
	else
		out_file__commit(&w->file, err);	/* nothing: removed */
	rec_writer__free(w);
	return err;
}

void rec_writer__discard(struct rec_writer *w)
{
	if (!w)
		return;
	out_file__discard(&w->file);
	rec_writer__free(w);
}
