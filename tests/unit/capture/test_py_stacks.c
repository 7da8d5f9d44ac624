// SPDX-License-Identifier: MIT
/*
 * py_stacks__read over a made-up CPython 3.11 process image built in this
 * process's own memory (read back through process_vm_readv of our pid):
 * the thread list, the frame walk through _PyCFrame, names from compact
 * ASCII str objects, a line from a frame that has not started, and the
 * bounds on made-up input: a thread list that comes back on itself, a
 * frame whose caller is itself, a caller that cannot be read.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "capture/py_stacks.h"
#include "capture/target.h"
#include "cpython/py_layout.h"
#include "unit.h"

/* a compact ASCII str of 3.11 (state: kind 1, compact, ascii) */
static void make_str(uint8_t *obj, const char *s)
{
	int64_t len = strlen(s);
	uint32_t state = 1 << 2 | 1 << 5 | 1 << 6;

	memcpy(obj + 16, &len, 8);
	memcpy(obj + 32, &state, 4);
	memcpy(obj + 48, s, len + 1);
}

static void put(uint8_t *at, const void *v)
{
	uint64_t w = (uint64_t)(uintptr_t)v;

	memcpy(at, &w, 8);
}

static void make_code(uint8_t *code, uint8_t *name, uint8_t *file, int32_t firstlineno)
{
	put(code + 128, name);	/* co_qualname */
	put(code + 112, file);	/* co_filename */
	memcpy(code + 72, &firstlineno, 4);
}

TEST(py_stacks_walks_a_made_up_311_image)
{
	static uint8_t runtime[1024], interp[1024], ts1[256], ts2[256], cf1[64], cf2[64];
	static uint8_t frame_a[128], frame_b[128], frame_c[128], code_a[256], code_b[256];
	static uint8_t s_a[96], s_b[96], s_file[96];
	static struct target t;
	struct py_stacks s;
	uint64_t self = (uint64_t)pthread_self(), instr;
	char err[256] = "";

	CHECK_EQ(py_layout__for_version(3, 11, &t.cfg.layout, &t.bin.rt), 0);
	t.pid = getpid();
	t.bin.version_hex = 0x030b0000;
	t.runtime_addr = (uint64_t)(uintptr_t)runtime;
	make_str(s_a, "Outer.inner");
	make_str(s_b, "<module>");
	make_str(s_file, "/app/x.py");
	make_code(code_a, s_a, s_file, 7);
	make_code(code_b, s_b, s_file, 1);
	put(runtime + 48, interp);		/* interpreters.main */
	put(interp + 16, ts1);			/* threads.head */
	/* thread 1 (this thread): A (not started: its first line) <- B,
	 * whose caller cannot be read */
	put(ts1 + 8, ts2);
	put(ts1 + 152, (void *)(uintptr_t)self);
	put(ts1 + 56, cf1);
	put(cf1 + 8, frame_a);
	put(frame_a + 32, code_a);
	put(frame_a + 48, frame_b);
	instr = (uint64_t)(uintptr_t)code_a + 184 - 2;	/* prev_instr before the first */
	memcpy(frame_a + 56, &instr, 8);
	put(frame_b + 32, code_b);
	put(frame_b + 48, (void *)0x1000);		/* unmapped */
	/* thread 2 (no such thread): one frame, its own caller; its next is
	 * thread 1 again */
	put(ts2 + 8, ts1);
	put(ts2 + 152, (void *)0x2000);
	put(ts2 + 56, cf2);
	put(cf2 + 8, frame_c);
	put(frame_c + 32, code_b);
	put(frame_c + 48, frame_c);

	CHECK_EQ(py_stacks__read(&t, &s, err, sizeof(err)), 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.v[0].ident, self);
	CHECK_EQ(s.v[0].tid, gettid());
	CHECK(s.v[0].os_name[0]);
	CHECK_EQ(s.v[0].n, 2);
	CHECK_STR(s.v[0].frames[0].name, "Outer.inner");
	CHECK_STR(s.v[0].frames[0].file, "/app/x.py");
	CHECK_EQ(s.v[0].frames[0].line, 7);
	CHECK_EQ(s.v[0].frames[0].firstlineno, 7);
	CHECK_STR(s.v[0].frames[1].name, "<module>");
	CHECK_EQ(s.v[0].frames[1].line, 0);	/* no line table */
	CHECK(s.v[0].read_error && !s.v[0].truncated);
	CHECK(!s.v[0].py_name);			/* no threading module */
	CHECK_EQ(s.v[1].tid, 0);
	CHECK_EQ(s.v[1].n, 1);
	CHECK(!s.v[1].read_error && !s.v[1].truncated);
	py_stacks__free(&s);
	CHECK_EQ(s.n, 0);

	/* the threads alone (a session's thread names): the same, no frame */
	CHECK_EQ(py_stacks__read_names(&t, &s, err, sizeof(err)), 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.v[0].ident, self);
	CHECK_EQ(s.v[0].tid, gettid());
	CHECK(s.v[0].os_name[0]);
	CHECK(s.v[0].n == 0 && !s.v[0].frames && !s.v[1].n && !s.v[1].frames);
	CHECK(!s.v[0].read_error && !s.v[0].truncated);
	py_stacks__free(&s);

	/* no interpreter yet */
	put(runtime + 48, NULL);
	CHECK_EQ(py_stacks__read(&t, &s, err, sizeof(err)), -ESRCH);
	CHECK(strstr(err, "no Python interpreter"));
	/* a version whose thread list is not known */
	t.bin.version_hex = 0x030f0000;	/* 3.15 */
	CHECK_EQ(py_stacks__read(&t, &s, err, sizeof(err)), -ENOTSUP);
}
