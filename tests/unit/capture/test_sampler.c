// SPDX-License-Identifier: MIT
/* sampler__plan: the bytes of a frame the walk reads at once, from each
 * version's layout (the offsets measured in docs/notes/sampling.md), and
 * the refusal of a layout whose fields do not fit one read */
#include <errno.h>
#include <string.h>
#include "cpython/py_layout.h"
#include "capture/sampler.h"
#include "unit.h"

static int plan(unsigned minor, struct target *t, char *err, size_t n)
{
	memset(t, 0, sizeof(*t));
	if (py_layout__for_version(3, minor, &t->cfg.layout, &t->bin.rt))
		return -99;
	t->bin.version_hex = 0x03000000 | minor << 16;
	t->runtime_addr = 0x10000;
	return sampler__plan(t, err, n);
}

TEST(sampler_frame_span_per_version)
{
	static struct target t;
	char err[256];

	CHECK_EQ(plan(8, &t, err, sizeof(err)), 0);
	CHECK_EQ(t.cfg.sample_span, 108);	/* f_lasti (int) at 104 */
	CHECK_EQ(t.cfg.tss_key_addr, 0x10000 + 1392);
	CHECK_EQ(plan(11, &t, err, sizeof(err)), 0);
	CHECK_EQ(t.cfg.sample_span, 64);	/* prev_instr at 56 */
	CHECK_EQ(plan(12, &t, err, sizeof(err)), 0);
	CHECK_EQ(t.cfg.sample_span, 71);	/* owner (a byte) at 70 */
}

TEST(sampler_frame_span_too_wide)
{
	static struct target t;
	char err[256];

	CHECK_EQ(plan(12, &t, err, sizeof(err)), 0);
	t.cfg.layout.frame_instr = TR_SAMPLE_FRAME_SPAN - 4;	/* 8 bytes from there */
	CHECK_EQ(sampler__plan(&t, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "frame fields") != NULL);
}

/* 3.14t: the frame's tlbc_index (which thread's copy of the bytecode the
 * instruction is in) is read with the rest; past the one read: refused */
TEST(sampler_frame_span_free_threaded)
{
	static struct target t;
	char err[256];

	memset(&t, 0, sizeof(t));
	CHECK_EQ(py_layout__for_build(3, 14, true, &t.cfg.layout, &t.bin.rt), 0);
	t.bin.version_hex = 0x030e0000;
	t.runtime_addr = 0x10000;
	CHECK_EQ(sampler__plan(&t, err, sizeof(err)), 0);
	CHECK_EQ(t.cfg.sample_span, 79);	/* owner (a byte) at 78, tlbc_index at 72 */
	CHECK_EQ(t.cfg.tss_key_addr, 0x10000 + 2336);
	t.cfg.layout.frame_tlbc_index = TR_SAMPLE_FRAME_SPAN - 2;	/* 4 bytes from there */
	CHECK_EQ(sampler__plan(&t, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "frame fields") != NULL);
}
