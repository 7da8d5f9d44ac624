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
 */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "recording.h"

#define REC_MAGIC "PYTRACER"
#define REC_MAGIC_LEN 8
#define REC_FILE_HDR_SIZE 16	/* magic, u32 version, u32 header size */
#define REC_FILE_HDR_MAX 4096	/* a larger header size is garbage */
#define REC_HDR_SIZE 8		/* u8 kind, u8 flags, u16 reserved, u32 length */
#define REC_STDIO_BUF (1u << 20)
#define REC_CODE_FIXED offsetof(struct tr_ev_code, name)
#define REC_RUNTIME_FIXED offsetof(struct tr_ev_runtime, name)

/* largest payload of each kind */
#define REC_STR_MAX(field) (2 + sizeof(field) - 1)
#define REC_PROCESS_MAX (4 + 4 + 4 + 8 + REC_STR_MAX(((struct in_process *)0)->exe) + \
			 REC_STR_MAX(((struct in_process *)0)->lib) + 2 +              \
			 IN_MAX_WARNINGS * REC_STR_MAX(((struct in_process *)0)->warnings[0]))
#define REC_THREAD_MAX (4 + 4 + REC_STR_MAX(((struct in_thread *)0)->name))
#define REC_END_FIXED (8 + 8 + 4 + 4 + 2)
/* later versions may count more drops; then the end's warnings (version 6) */
#define REC_END_MAX (REC_END_FIXED + 64 * 8 + 2 + \
		     IN_MAX_WARNINGS * REC_STR_MAX(((struct in_end *)0)->warnings[0]))
#define REC_BLOB_FIXED offsetof(struct tr_ev_blob, data)
#define REC_EVENT_MAX sizeof(struct tr_ev_blob)	/* the largest event */
#define REC_PAYLOAD_MAX (REC_EVENT_MAX > REC_PROCESS_MAX ? REC_EVENT_MAX : REC_PROCESS_MAX)
/* a code map: pid, lines, note, text length, text */
#define REC_CODEMAP_FIXED (4 + 4 + REC_STR_MAX(((struct in_codemap *)0)->note) + 4)
#define REC_CODEMAP_TEXT_MAX (256u << 20)

/* REC_EVENT payloads are the BPF structs as they are: pin their layout. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "recording: little-endian hosts only");
_Static_assert(sizeof(struct tr_ev_hdr) == 24, "format: tr_ev_hdr changed");
_Static_assert(sizeof(struct tr_ev_call) == 48, "format: tr_ev_call changed");
_Static_assert(sizeof(struct tr_ev_return) == 40, "format: tr_ev_return changed");
_Static_assert(REC_CODE_FIXED == 48 && sizeof(struct tr_ev_code) == 48 + TR_NAME_MAX + TR_FILE_MAX,
	       "format: tr_ev_code changed");
_Static_assert(REC_RUNTIME_FIXED == 40 && sizeof(struct tr_ev_runtime) == 40 + TR_MODNAME_MAX,
	       "format: tr_ev_runtime changed");
_Static_assert(sizeof(struct tr_ev_line) == 40, "format: tr_ev_line changed");
_Static_assert(REC_BLOB_FIXED == 32 && sizeof(struct tr_ev_blob) == 32 + TR_BLOB_MAX &&
	       sizeof(struct tr_ev_blob) >= sizeof(struct tr_ev_code), "format: tr_ev_blob changed");
_Static_assert(TR_JIT_FIXED == 40 && sizeof(struct tr_ev_jit) == 40 + TR_JIT_NAME_MAX &&
	       sizeof(struct tr_ev_jit) <= REC_EVENT_MAX, "format: tr_ev_jit changed");
_Static_assert(REC_EVENT_MAX <= REC_PAYLOAD_MAX && REC_END_MAX <= REC_PAYLOAD_MAX,
	       "payload buffer too small");

/* ---- little-endian encoding with bounds ------------------------------ */

struct cursor {
	unsigned char *p, *end;
	bool bad;		/* ran past the end (reader: corrupt record) */
};

static void put_bytes(struct cursor *c, const void *s, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	memcpy(c->p, s, n);
	c->p += n;
}

static void put_uint(struct cursor *c, uint64_t v, int size)
{
	unsigned char b[8];

	for (int i = 0; i < size; i++)
		b[i] = v >> (8 * i);
	put_bytes(c, b, size);
}

/* a string field of SIZE bytes, NUL-terminated or not: u16 length, bytes */
static void put_str(struct cursor *c, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1);

	put_uint(c, n, 2);
	put_bytes(c, s, n);
}

/* a list of warnings (a process's, the end's): u16 count, the strings */
static void put_warnings(struct cursor *c, const char (*w)[256], uint32_t n)
{
	if (n > IN_MAX_WARNINGS)
		n = IN_MAX_WARNINGS;
	put_uint(c, n, 2);
	for (uint32_t i = 0; i < n; i++)
		put_str(c, w[i], sizeof(w[i]));
}

static void get_bytes(struct cursor *c, void *d, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	memcpy(d, c->p, n);
	c->p += n;
}

static uint64_t get_uint(struct cursor *c, int size)
{
	unsigned char b[8];
	uint64_t v = 0;

	get_bytes(c, b, size);
	if (c->bad)
		return 0;
	for (int i = 0; i < size; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* into a char[SIZE] (already zeroed): the length must leave room for NUL */
static void get_str(struct cursor *c, char *d, size_t size)
{
	size_t n = get_uint(c, 2);

	if (n >= size) {
		c->bad = true;
		return;
	}
	get_bytes(c, d, n);
}

/* into W (zeroed), their count into *N: more than IN_MAX_WARNINGS is corrupt */
static void get_warnings(struct cursor *c, char (*w)[256], uint32_t *n)
{
	uint32_t count = get_uint(c, 2);

	if (count > IN_MAX_WARNINGS) {
		c->bad = true;
		return;
	}
	*n = count;
	for (uint32_t i = 0; i < count; i++)
		get_str(c, w[i], sizeof(w[i]));
}

/* bytes of a TR_EV_CODE string actually carried */
static size_t code_str_bytes(uint32_t len, uint8_t enc, size_t max)
{
	uint64_t n = (uint64_t)len * (enc & TR_STR_KIND_MASK);

	return n < max ? n : max;
}

/* bytes of a TR_EV_RUNTIME name actually carried */
static size_t runtime_name_bytes(const struct tr_ev_runtime *e)
{
	if (e->name_enc == TR_STR_UTF8)
		return e->name_len < TR_MODNAME_MAX ? e->name_len : TR_MODNAME_MAX;
	return code_str_bytes(e->name_len, e->name_enc, TR_MODNAME_MAX);
}

/* ---- writer ---------------------------------------------------------- */

struct rec_writer {
	FILE *f;
	char *buf;		/* the stdio buffer */
	uint64_t off;		/* end of the last record accepted */
	uint64_t synced_off;	/* records up to here were written to the file */
	size_t pending;		/* off - synced_off: bytes in the stdio buffer */
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
}

static int rec_writer__fail(struct rec_writer *w)
{
	if (!w->err) {
		w->err = errno ? -errno : -EIO;
		rec_writer__cut(w);
	}
	return w->err;
}

static int rec_writer__flush(struct rec_writer *w)
{
	if (w->err)
		return w->err;
	errno = 0;
	if (fflush(w->f) || ferror(w->f))
		return rec_writer__fail(w);
	w->synced_off = w->off;
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
	struct cursor c = { hdr, hdr + sizeof(hdr), false };
	int e;

	if (!w)
		return NULL;
	w->buf = malloc(REC_STDIO_BUF);
	if (!w->buf)
		goto err;
	w->f = fopen(path, "w+");	/* read back by rec_writer__cut */
	if (!w->f && errno == EACCES)
		w->f = fopen(path, "w");	/* then an error cuts less exactly */
	if (!w->f)
		goto err;
	if (setvbuf(w->f, w->buf, _IOFBF, REC_STDIO_BUF)) {
		errno = ENOMEM;
		goto err;
	}
	put_bytes(&c, REC_MAGIC, REC_MAGIC_LEN);
	put_uint(&c, REC_FORMAT_VERSION, 4);
	put_uint(&c, REC_FILE_HDR_SIZE, 4);
	rec_writer__emit(w, hdr, sizeof(hdr));	/* into the buffer: cannot fail */
	return w;
err:
	e = errno;
	if (w->f)
		fclose(w->f);
	free(w->buf);
	free(w);
	errno = e;
	return NULL;
}

/* fill the record header in front of a payload encoded at rec + 8 */
static int rec_writer__finish_rec(struct rec_writer *w, unsigned char *rec,
				  struct cursor *c, enum rec_kind kind)
{
	size_t len = c->p - (rec + REC_HDR_SIZE);
	struct cursor h = { rec, rec + REC_HDR_SIZE, false };

	if (c->bad)
		return -EINVAL;
	put_uint(&h, kind, 1);
	put_uint(&h, 0, 1);	/* flags */
	put_uint(&h, 0, 2);	/* reserved */
	put_uint(&h, len, 4);
	return rec_writer__emit(w, rec, REC_HDR_SIZE + len);
}

int rec_writer__process(struct rec_writer *w, const struct in_process *p)
{
	unsigned char rec[REC_HDR_SIZE + REC_PROCESS_MAX];
	struct cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };

	if (w->err)
		return w->err;
	put_uint(&c, p->pid, 4);
	put_uint(&c, p->version_hex, 4);
	put_uint(&c, p->strategy, 4);
	put_uint(&c, p->attach_ts, 8);
	put_str(&c, p->exe, sizeof(p->exe));
	put_str(&c, p->lib, sizeof(p->lib));
	put_warnings(&c, p->warnings, p->n_warnings);
	return rec_writer__finish_rec(w, rec, &c, REC_PROCESS);
}

int rec_writer__thread(struct rec_writer *w, const struct in_thread *t)
{
	unsigned char rec[REC_HDR_SIZE + REC_THREAD_MAX];
	struct cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };

	if (w->err)
		return w->err;
	put_uint(&c, t->pid, 4);
	put_uint(&c, t->tid, 4);
	put_str(&c, t->name, sizeof(t->name));
	return rec_writer__finish_rec(w, rec, &c, REC_THREAD);
}

int rec_writer__event(struct rec_writer *w, const void *ev, size_t len)
{
	unsigned char rec[REC_HDR_SIZE + REC_EVENT_MAX];
	struct cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };
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
		put_bytes(&c, ev, sizeof(struct tr_ev_call));
		break;
	case TR_EV_RETURN:
		if (len < sizeof(struct tr_ev_return))
			return -EINVAL;
		put_bytes(&c, ev, sizeof(struct tr_ev_return));
		break;
	case TR_EV_CODE:
		if (len < REC_CODE_FIXED)
			return -EINVAL;
		name_n = code_str_bytes(code->name_len, code->name_enc, TR_NAME_MAX);
		file_n = code_str_bytes(code->file_len, code->file_enc, TR_FILE_MAX);
		if (len < (file_n ? offsetof(struct tr_ev_code, file) + file_n
				  : REC_CODE_FIXED + name_n))
			return -EINVAL;
		put_bytes(&c, ev, REC_CODE_FIXED);
		put_bytes(&c, code->name, name_n);
		put_bytes(&c, code->file, file_n);
		break;
	case TR_EV_LINE:
		if (len < sizeof(struct tr_ev_line))
			return -EINVAL;
		put_bytes(&c, ev, sizeof(struct tr_ev_line));
		break;
	case TR_EV_BLOB:
		if (len < REC_BLOB_FIXED || ((const struct tr_ev_blob *)ev)->len > TR_BLOB_MAX ||
		    len < REC_BLOB_FIXED + ((const struct tr_ev_blob *)ev)->len)
			return -EINVAL;
		put_bytes(&c, ev, REC_BLOB_FIXED + ((const struct tr_ev_blob *)ev)->len);
		break;
	case TR_EV_RUNTIME:
		if (len < sizeof(struct tr_ev_runtime))
			return -EINVAL;
		name_n = runtime_name_bytes(ev);
		put_bytes(&c, ev, REC_RUNTIME_FIXED);
		put_bytes(&c, ((const struct tr_ev_runtime *)ev)->name, name_n);
		break;
	case TR_EV_JIT:
		/* the name's bytes (name_len, within the event's size) */
		if (len < TR_JIT_FIXED || h->size < TR_JIT_FIXED || h->size > len ||
		    ((const struct tr_ev_jit *)ev)->name_len != h->size - TR_JIT_FIXED ||
		    h->size > sizeof(struct tr_ev_jit))
			return -EINVAL;
		put_bytes(&c, ev, h->size);
		break;
	default:
		return -EINVAL;
	}
	return rec_writer__finish_rec(w, rec, &c, REC_EVENT);
}

int rec_writer__codemap(struct rec_writer *w, const struct in_codemap *m)
{
	size_t cap = REC_HDR_SIZE + REC_CODEMAP_FIXED + m->len;
	unsigned char *rec;
	struct cursor c;
	int ret;

	if (w->err)
		return w->err;
	if (m->len > REC_CODEMAP_TEXT_MAX)
		return -EFBIG;
	rec = malloc(cap);
	if (!rec)
		return -ENOMEM;
	c = (struct cursor){ rec + REC_HDR_SIZE, rec + cap, false };
	put_uint(&c, m->pid, 4);
	put_uint(&c, m->lines, 4);
	put_str(&c, m->note, sizeof(m->note));
	put_uint(&c, m->len, 4);
	put_bytes(&c, m->text, m->len);
	ret = rec_writer__finish_rec(w, rec, &c, REC_CODEMAP);
	free(rec);
	return ret;
}

int rec_writer__end(struct rec_writer *w, const struct in_end *e)
{
	unsigned char rec[REC_HDR_SIZE + REC_END_MAX];
	struct cursor c = { rec + REC_HDR_SIZE, rec + sizeof(rec), false };

	if (w->err)
		return w->err;
	put_uint(&c, e->end_ts, 8);
	put_uint(&c, e->ringbuf_events, 8);
	put_uint(&c, e->exit_code, 4);
	put_uint(&c, e->flags, 4);
	put_uint(&c, TR_DROP__COUNT, 2);
	for (int i = 0; i < TR_DROP__COUNT; i++)
		put_uint(&c, e->drops[i], 8);
	put_warnings(&c, e->warnings, e->n_warnings);
	return rec_writer__finish_rec(w, rec, &c, REC_END);
}

int rec_writer__error(const struct rec_writer *w)
{
	return w->err;
}

int rec_writer__close(struct rec_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	err = rec_writer__flush(w);
	errno = 0;
	if (fclose(w->f) && !err)
		err = errno ? -errno : -EIO;
	free(w->buf);
	free(w);
	return err;
}

/* ---- reader ---------------------------------------------------------- */

struct rec_reader {
	FILE *f;
	int err;		/* sticky: -EINVAL, -EPIPE, -EIO */
	unsigned char buf[REC_PAYLOAD_MAX];
	char *text;		/* the last code map record */
};

struct rec_reader *rec_reader__open(const char *path)
{
	struct rec_reader *rd = calloc(1, sizeof(*rd));
	unsigned char hdr[REC_FILE_HDR_SIZE];
	struct cursor c = { hdr, hdr + sizeof(hdr), false };
	uint32_t version, hsize;
	int e = EINVAL;

	if (!rd)
		return NULL;
	rd->f = fopen(path, "r");
	if (!rd->f) {
		e = errno;
		goto err;
	}
	if (fread(rd->buf, 1, sizeof(hdr), rd->f) != sizeof(hdr)) {
		e = ferror(rd->f) ? EIO : EINVAL;
		goto err;
	}
	memcpy(hdr, rd->buf, sizeof(hdr));
	if (memcmp(hdr, REC_MAGIC, REC_MAGIC_LEN))
		goto err;
	c.p += REC_MAGIC_LEN;
	version = get_uint(&c, 4);
	hsize = get_uint(&c, 4);
	if (version == 0 || hsize < REC_FILE_HDR_SIZE || hsize > REC_FILE_HDR_MAX)
		goto err;
	if (version > REC_FORMAT_VERSION) {
		e = ENOTSUP;
		goto err;
	}
	/* a longer header: fields this version does not know, skipped */
	for (size_t left = hsize - REC_FILE_HDR_SIZE, n; left; left -= n) {
		n = left < sizeof(rd->buf) ? left : sizeof(rd->buf);
		if (fread(rd->buf, 1, n, rd->f) != n)
			goto err;
	}
	return rd;
err:
	if (rd->f)
		fclose(rd->f);
	free(rd);
	errno = e;
	return NULL;
}

static int rec_reader__event(struct cursor *c, size_t len, struct rec_record *r)
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
		get_bytes(c, &r->call, sizeof(r->call));
		return 0;
	case TR_EV_RETURN:
		if (len != sizeof(r->ret))
			return -EINVAL;
		get_bytes(c, &r->ret, sizeof(r->ret));
		return 0;
	case TR_EV_CODE:
		if (len < REC_CODE_FIXED)
			return -EINVAL;
		memset(&r->code, 0, sizeof(r->code));
		get_bytes(c, &r->code, REC_CODE_FIXED);
		name_n = code_str_bytes(r->code.name_len, r->code.name_enc, TR_NAME_MAX);
		file_n = code_str_bytes(r->code.file_len, r->code.file_enc, TR_FILE_MAX);
		if (len != REC_CODE_FIXED + name_n + file_n)
			return -EINVAL;
		get_bytes(c, r->code.name, name_n);
		get_bytes(c, r->code.file, file_n);
		return 0;
	case TR_EV_LINE:
		if (len != sizeof(r->line))
			return -EINVAL;
		get_bytes(c, &r->line, sizeof(r->line));
		return 0;
	case TR_EV_BLOB:
		if (len < REC_BLOB_FIXED)
			return -EINVAL;
		get_bytes(c, &r->blob, REC_BLOB_FIXED);
		if (r->blob.len > TR_BLOB_MAX || len != REC_BLOB_FIXED + r->blob.len)
			return -EINVAL;
		get_bytes(c, r->blob.data, r->blob.len);
		return 0;
	case TR_EV_RUNTIME:
		if (len < REC_RUNTIME_FIXED)
			return -EINVAL;
		memset(&r->runtime, 0, sizeof(r->runtime));
		get_bytes(c, &r->runtime, REC_RUNTIME_FIXED);
		name_n = runtime_name_bytes(&r->runtime);
		/* the kinds an event has (GC_GENERATION is a probe site's only) */
		if (len != REC_RUNTIME_FIXED + name_n ||
		    (r->runtime.kind != TR_RT_GC && r->runtime.kind != TR_RT_IMPORT))
			return -EINVAL;
		get_bytes(c, r->runtime.name, name_n);
		return 0;
	case TR_EV_JIT:
		if (len < TR_JIT_FIXED || len > sizeof(r->jit) || h.size != len)
			return -EINVAL;
		memset(&r->jit, 0, sizeof(r->jit));
		get_bytes(c, &r->jit, len);
		if (r->jit.name_len != len - TR_JIT_FIXED)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

static int rec_reader__decode(struct cursor *c, enum rec_kind kind, size_t len,
			      struct rec_record *r)
{
	struct in_process *p = &r->process;
	struct in_thread *t = &r->thread;
	struct in_end *e = &r->end;
	uint32_t n;

	switch (kind) {
	case REC_PROCESS:
		memset(p, 0, sizeof(*p));
		p->pid = get_uint(c, 4);
		p->version_hex = get_uint(c, 4);
		p->strategy = get_uint(c, 4);
		p->attach_ts = get_uint(c, 8);
		get_str(c, p->exe, sizeof(p->exe));
		get_str(c, p->lib, sizeof(p->lib));
		get_warnings(c, p->warnings, &p->n_warnings);
		break;
	case REC_THREAD:
		memset(t, 0, sizeof(*t));
		t->pid = get_uint(c, 4);
		t->tid = get_uint(c, 4);
		get_str(c, t->name, sizeof(t->name));
		break;
	case REC_EVENT:
		if (rec_reader__event(c, len, r))
			return -EINVAL;
		break;
	case REC_CODEMAP:	/* read by rec_reader__codemap */
		return -EINVAL;
	case REC_END:
		memset(e, 0, sizeof(*e));
		e->end_ts = get_uint(c, 8);
		e->ringbuf_events = get_uint(c, 8);
		e->exit_code = get_uint(c, 4);
		e->flags = get_uint(c, 4);
		n = get_uint(c, 2);
		for (uint32_t i = 0; i < n && !c->bad; i++) {
			uint64_t v = get_uint(c, 8);

			if (i < TR_DROP__COUNT)
				e->drops[i] = v;	/* later reasons: not known here */
		}
		/* version 6: the warnings (none before) */
		if (c->p < c->end)
			get_warnings(c, e->warnings, &e->n_warnings);
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
	struct cursor c;

	free(rd->text);
	rd->text = malloc(len ? len : 1);
	if (!rd->text)
		return rd->err = -ENOMEM;
	if (fread(rd->text, 1, len, rd->f) != len)
		return rd->err = ferror(rd->f) ? -EIO : -EPIPE;
	c = (struct cursor){ (unsigned char *)rd->text, (unsigned char *)rd->text + len, false };
	memset(m, 0, sizeof(*m));
	m->pid = get_uint(&c, 4);
	m->lines = get_uint(&c, 4);
	get_str(&c, m->note, sizeof(m->note));
	m->len = get_uint(&c, 4);
	if (c.bad || m->lines > 1 || m->len != (size_t)(c.end - c.p))
		return rd->err = -EINVAL;
	m->text = (char *)c.p;
	return 1;
}

int rec_reader__next(struct rec_reader *rd, struct rec_record *r)
{
	unsigned char h[REC_HDR_SIZE];
	struct cursor c = { h, h + sizeof(h), false };
	unsigned kind, flags, reserved;
	size_t n, len;

	if (rd->err)
		return rd->err;
	n = fread(h, 1, sizeof(h), rd->f);
	if (n == 0 && !ferror(rd->f))
		return 0;
	if (n != sizeof(h))
		return rd->err = ferror(rd->f) ? -EIO : -EPIPE;
	kind = get_uint(&c, 1);
	flags = get_uint(&c, 1);
	reserved = get_uint(&c, 2);
	len = get_uint(&c, 4);
	if (flags || reserved || !rec_payload_max(kind) || len > rec_payload_max(kind))
		return rd->err = -EINVAL;
	r->kind = kind;
	if (kind == REC_CODEMAP)
		return rec_reader__codemap(rd, len, &r->codemap);
	if (fread(rd->buf, 1, len, rd->f) != len)
		return rd->err = ferror(rd->f) ? -EIO : -EPIPE;
	c = (struct cursor){ rd->buf, rd->buf + len, false };
	if (rec_reader__decode(&c, kind, len, r))
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
