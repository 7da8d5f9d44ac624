// SPDX-License-Identifier: MIT
/*
 * Every thread's Python stack, read from outside (see py_stacks.h).
 *
 * The threads: the sampler finds a thread's state through its pthread key
 * and the thread's FS base, which only the kernel knows for another
 * process's thread. From outside, the interpreter's own list is walked
 * instead: _PyRuntime.interpreters.main -> threads.head (tstate_head up to
 * 3.10) -> PyThreadState.next, each state naming its thread by
 * pthread_self() (thread_id). glibc's struct pthread sits at that address,
 * holding the thread's kernel id (tid); that is how a state is matched to
 * /proc/PID/task/TID. The two offsets the layout table does not carry are
 * below (derived with gdb from the DWARF of the pyenv builds the table
 * comes from; 3.13's equal its _Py_DebugOffsets); they belong in
 * user/cpython/py_layout.c's generated rows when tools/derive-offsets.py
 * learns them.
 *
 * The frames: the walk of bpf/sample.bpf.h, one frame at a time from the
 * state's current frame along f_back/previous; a frame owned by the C
 * stack (3.12+) or running 3.13's __init__ shim is not a call and is
 * skipped. Nothing stops the process: a thread running meanwhile may make
 * its chain inconsistent (read_error, or a stack of another instant), as
 * with py-spy's --nonblocking; a parked thread's is exact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture/py_mem.h"
#include "capture/py_stacks.h"
#include "capture/py_thread_names.h"
#include "capture/target.h"
#include "cpython/line_table.h"
#include "util/hashmap.h"

/* glibc x86-64 (2.26+): offsetof(struct pthread, tid), like the sampler's
 * PTHREAD_SPECIFIC_* constants; a wrong value shows as a tid that is not
 * a thread of the process (then 0: unknown) */
#define PTHREAD_TID 720
/* PyThreadState.next: the second pointer of every version 3.8-3.14 */
#define TSTATE_NEXT 8
#define MAX_THREADS 65536
/* frames read in all (a made-up process could list MAX_THREADS threads
 * with MAX_FRAMES frames each): past it, stacks are cut, said truncated */
#define MAX_STEPS (1u << 20)

/* offsetof(PyInterpreterState, threads.head) (tstate_head up to 3.10) */
static int interp_threads_head(unsigned minor)
{
	static const short off[] = { [8] = 8, [9] = 8, [10] = 8, [11] = 16, [12] = 72,
				     [13] = 7344, [14] = 7344 };

	return minor >= 8 && minor <= 14 ? off[minor] : -1;
}

struct walk {
	struct py_mem m;
	const struct tr_py_layout *L;
	uint64_t shim_code;
	struct hashmap *codes;	/* code address -> struct code_info */
	uint64_t steps_left;	/* frames all threads may still read */
	bool locals;		/* read each frame's variables too */
};

struct code_info {
	char *name, *file;
	uint32_t firstlineno;
	bool has_lines;
	struct line_table lines;
};

static void code_info__free(void *p)
{
	struct code_info *ci = p;

	if (!ci)
		return;
	free(ci->name);
	free(ci->file);
	line_table__free(&ci->lines);
	free(ci);
}

/* the identity and line table of CODE, read once per dump: NULL when out of memory */
static struct code_info *code_info(struct walk *w, uint64_t code)
{
	const struct tr_py_layout *L = w->L;
	struct code_info *ci = hashmap__get(w->codes, code);
	uint64_t name = 0, file = 0, table = 0;
	int64_t size = 0;
	uint8_t *buf;

	if (ci)
		return ci;
	if (!(ci = calloc(1, sizeof(*ci))))
		return NULL;
	py_mem__ptr(&w->m, code + (L->code_qualname >= 0 ? L->code_qualname : L->code_name), &name);
	py_mem__ptr(&w->m, code + L->code_filename, &file);
	py_mem__read(&w->m, code + L->code_firstlineno, &ci->firstlineno, sizeof(ci->firstlineno));
	ci->name = py_mem__str(&w->m, name);
	ci->file = py_mem__str(&w->m, file);
	/* the line table: a bytes object (ob_size, then the bytes) */
	if (L->code_linetable >= 0 && !py_mem__ptr(&w->m, code + L->code_linetable, &table) && table &&
	    !py_mem__read(&w->m, table + w->L->bytes_size, &size, sizeof(size)) && size >= 0 &&
	    size <= (1 << 20) && (buf = malloc(size ? size : 1))) {
		ci->has_lines = !py_mem__read(&w->m, table + w->L->bytes_sval, buf, size) &&
				!line_table__decode(&ci->lines, w->m.minor, buf, size,
						    (int32_t)ci->firstlineno);
		free(buf);
	}
	if (!ci->name || !ci->file || hashmap__set(w->codes, code, ci)) {
		code_info__free(ci);
		return NULL;
	}
	return ci;
}

/* the instruction offset (bytes) of FRAME running CODE, as the BPF walk's
 * frame_offset: TR_SAMPLE_NOT_STARTED or TR_SAMPLE_NO_OFFSET else */
static uint32_t frame_offset(const struct walk *w, uint64_t frame, uint64_t code)
{
	const struct tr_py_layout *L = w->L;
	uint64_t instr = 0, first, arr = 0, size = 0;
	int32_t lasti = 0, idx = 0;

	if (L->frame_lasti >= 0) {
		if (py_mem__read(&w->m, frame + L->frame_lasti, &lasti, sizeof(lasti)))
			return TR_SAMPLE_NO_OFFSET;
		if (lasti == -1)
			return TR_SAMPLE_NOT_STARTED;
		if (lasti < 0 || lasti >= (1 << 28))
			return TR_SAMPLE_NO_OFFSET;
		return L->version_hex >= 0x030a0000 ? lasti * 2 : lasti;
	}
	if (L->frame_instr < 0 || L->code_code_adaptive < 0 ||
	    py_mem__ptr(&w->m, frame + L->frame_instr, &instr))
		return TR_SAMPLE_NO_OFFSET;
	first = code + L->code_code_adaptive;
	/* a free-threaded build's thread-local copy of the bytecode,
	 * co_tlbc->entries[tlbc_index] (bpf/sample.bpf.h's tlbc_bytecode) */
	if (L->frame_tlbc_index >= 0 && L->code_tlbc >= 0) {
		if (py_mem__read(&w->m, frame + L->frame_tlbc_index, &idx, sizeof(idx)))
			return TR_SAMPLE_NO_OFFSET;
		if (idx && (idx < 0 || py_mem__ptr(&w->m, code + L->code_tlbc, &arr) || !arr ||
			    py_mem__ptr(&w->m, arr, &size) || (uint64_t)idx >= size ||
			    py_mem__ptr(&w->m, arr + 8 + (uint64_t)idx * 8, &first)))
			return TR_SAMPLE_NO_OFFSET;
	}
	if (instr == first + L->frame_instr_start && L->frame_instr_start < 0)
		return TR_SAMPLE_NOT_STARTED;
	if (instr < first || instr - first >= (1 << 28))
		return TR_SAMPLE_NO_OFFSET;
	return instr - first;
}

static uint32_t frame_line(const struct code_info *ci, uint32_t offset)
{
	int32_t line;

	if (offset == TR_SAMPLE_NOT_STARTED)
		return ci->firstlineno;
	if (!ci->has_lines || offset == TR_SAMPLE_NO_OFFSET)
		return 0;
	line = line_table__line(&ci->lines, offset);
	return line > 0 ? (uint32_t)line : 0;
}

/* the frames of thread state TSTATE into TH: 0 or -ENOMEM */
static int walk_frames(struct walk *w, uint64_t tstate, struct py_thread *th)
{
	const struct tr_py_layout *L = w->L;
	uint64_t frame = 0, code, back;
	size_t cap = 0;
	uint8_t owner;

	if (py_mem__ptr(&w->m, tstate + L->tstate_frame, &frame))
		goto broken;
	if (frame && L->cframe_current_frame >= 0 &&
	    py_mem__ptr(&w->m, frame + L->cframe_current_frame, &frame))
		goto broken;
	/* each step reads a frame; a cycle (garbage) ends at the bound */
	for (unsigned steps = 0; frame; steps++) {
		struct code_info *ci;
		struct py_frame *f;

		if (th->n == PY_STACKS_MAX_FRAMES || steps == 2 * PY_STACKS_MAX_FRAMES ||
		    !w->steps_left) {
			th->truncated = true;
			return 0;
		}
		w->steps_left--;
		if (py_mem__ptr(&w->m, frame + L->frame_code, &code) ||
		    py_mem__ptr(&w->m, frame + L->frame_back, &back))
			goto broken;
		code &= ~(uint64_t)L->frame_code_tag;	/* 3.14: a tagged stack ref */
		if (L->frame_owner >= 0) {
			if (py_mem__read(&w->m, frame + L->frame_owner, &owner, 1))
				goto broken;
			if (owner == L->owner_cstack) {
				frame = back;
				continue;
			}
		}
		if (code && code == w->shim_code) {
			frame = back;
			continue;
		}
		if (!code)
			goto broken;
		if (!(ci = code_info(w, code)))
			return -ENOMEM;
		if (th->n == cap) {
			cap = cap ? 2 * cap : 16;
			f = realloc(th->frames, cap * sizeof(*f));
			if (!f)
				return -ENOMEM;
			th->frames = f;
		}
		f = &th->frames[th->n++];
		f->name = strdup(ci->name);
		f->file = strdup(ci->file);
		f->firstlineno = ci->firstlineno;
		f->line = frame_line(ci, frame_offset(w, frame, code));
		f->locals = NULL;
		f->n_locals = 0;
		f->locals_unreadable = false;
		if (!f->name || !f->file)
			return -ENOMEM;
		if (w->locals) {
			int r = py_locals__read(&w->m, frame, code, &f->locals, &f->n_locals);

			if (r == -ENOMEM)
				return r;
			f->locals_unreadable = r != 0;
		}
		frame = back == frame ? 0 : back;
	}
	return 0;
broken:
	th->read_error = true;
	return 0;
}

/* TH's OS thread: the tid glibc keeps in struct pthread at its ident, if
 * it is a thread of the process, and its name */
static void thread_os(const struct walk *w, struct py_thread *th)
{
	char path[96];
	int32_t tid = 0;
	FILE *f;

	if (py_mem__read(&w->m, th->ident + PTHREAD_TID, &tid, sizeof(tid)) || tid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", w->m.pid, tid);
	if (!(f = fopen(path, "re")))
		return;
	th->tid = tid;
	if (fgets(th->os_name, sizeof(th->os_name), f))
		th->os_name[strcspn(th->os_name, "\n")] = 0;
	fclose(f);
}

/* py_stacks__read, or without FRAMES: only the threads and their names */
static int read_threads(const struct target *t, struct py_stacks *out, bool frames,
			bool locals, char *err, size_t errlen)
{
	struct walk w = {
		.m = { .pid = t->pid, .minor = (t->bin.version_hex >> 16) & 0xff,
		       .L = &t->cfg.layout },
		.L = &t->cfg.layout, .shim_code = t->cfg.shim_code, .steps_left = MAX_STEPS,
		.locals = locals,
	};
	int head = interp_threads_head(w.m.minor), ret = 0;
	uint64_t interp = 0, ts = 0;
	struct hashmap *seen = NULL;	/* thread states listed */
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if ((t->bin.version_hex >> 24) != 3 || head < 0 ||
	    t->bin.rt.runtime_interpreters_main < 0) {
		snprintf(err, errlen, "CPython %u.%u: where its thread states are is not known "
			 "(3.8-3.14 are)", t->bin.version_hex >> 24, w.m.minor);
		return -ENOTSUP;
	}
	if (!(w.codes = hashmap__new()))
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	ret = py_mem__ptr(&w.m, t->runtime_addr + t->bin.rt.runtime_interpreters_main, &interp);
	if (!ret && interp)
		ret = py_mem__ptr(&w.m, interp + head, &ts);
	if (ret) {
		snprintf(err, errlen, "cannot read PID %d's interpreter state: %s", t->pid,
			 strerror(-ret));
		goto cleanup;
	}
	if (!interp) {
		snprintf(err, errlen, "PID %d has no Python interpreter running (yet, or any more)",
			 t->pid);
		ret = -ESRCH;
		goto cleanup;
	}
	if (!(seen = hashmap__new())) {
		ret = -ENOMEM;
		goto cleanup;
	}
	/* a list that comes back on itself (garbage, or made so) ends there */
	for (; ts && out->n < MAX_THREADS && !hashmap__get(seen, ts); ) {
		struct py_thread *th;

		if (hashmap__set(seen, ts, (void *)1)) {
			ret = -ENOMEM;
			break;
		}

		if (out->n == cap) {
			cap = cap ? 2 * cap : 8;
			th = realloc(out->v, cap * sizeof(*th));
			if (!th) {
				ret = -ENOMEM;
				break;
			}
			out->v = th;
		}
		th = memset(&out->v[out->n++], 0, sizeof(*th));
		if (py_mem__ptr(&w.m, ts + w.L->tstate_thread_id, &th->ident)) {
			th->read_error = true;
			break;
		}
		thread_os(&w, th);
		if (frames && (ret = walk_frames(&w, ts, th)))
			break;
		if (py_mem__ptr(&w.m, ts + TSTATE_NEXT, &ts))
			break;
	}
	if (!ret)
		ret = py_thread_names__fill(&w.m, interp, out);
	if (ret)
		snprintf(err, errlen, "out of memory");
cleanup:
	hashmap__free(seen, NULL);
	hashmap__free(w.codes, code_info__free);
	if (ret)
		py_stacks__free(out);
	return ret;
}

int py_stacks__read(const struct target *t, struct py_stacks *out, char *err, size_t errlen)
{
	return read_threads(t, out, true, false, err, errlen);
}

int py_stacks__read_locals(const struct target *t, struct py_stacks *out, char *err,
			   size_t errlen)
{
	const char *why = py_locals__unsupported((t->bin.version_hex >> 16) & 0xff);

	if (why) {
		memset(out, 0, sizeof(*out));
		snprintf(err, errlen, "%s (PID %d runs CPython %u.%u)", why, t->pid,
			 t->bin.version_hex >> 24, (t->bin.version_hex >> 16) & 0xff);
		return -ENOTSUP;
	}
	return read_threads(t, out, true, true, err, errlen);
}

int py_stacks__read_names(const struct target *t, struct py_stacks *out, char *err,
			  size_t errlen)
{
	return read_threads(t, out, false, false, err, errlen);
}

void py_stacks__free(struct py_stacks *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->v[i].n; j++) {
			free(s->v[i].frames[j].name);
			free(s->v[i].frames[j].file);
			py_locals__free(s->v[i].frames[j].locals, s->v[i].frames[j].n_locals);
		}
		free(s->v[i].frames);
		free(s->v[i].py_name);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
