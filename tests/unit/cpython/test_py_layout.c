// SPDX-License-Identifier: MIT
/* user/cpython/py_layout.c: the built-in table and the _Py_DebugOffsets parser. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <unistd.h>

#include "cpython/py_layout.h"
#include "unit.h"

#define PY313_LIB "/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0"
#define PY314_LIB "/root/.pyenv/versions/3.14.7/lib/libpython3.14.so.1.0"
#define PY314T_LIB "/root/.pyenv/versions/3.14.7t/lib/libpython3.14t.so.1.0"

/* ---- table ----------------------------------------------------------- */

TEST(py_layout_table_every_version)
{
	for (unsigned minor = PY_LAYOUT_MIN_MINOR; minor <= PY_LAYOUT_MAX_MINOR; minor++) {
		struct tr_py_layout l;
		struct py_runtime_layout rt;

		memset(&l, 0x55, sizeof(l));
		memset(&rt, 0x55, sizeof(rt));
		CHECK_EQ(py_layout__for_version(3, minor, &l, &rt), 0);
		CHECK_EQ(l.version_hex, 0x03000000u | (minor << 16));
		/* which fields exist where (CPython's history) */
		CHECK(l.tstate_frame > 0);
		CHECK_EQ(l.cframe_current_frame >= 0, minor == 11 || minor == 12);
		CHECK(l.frame_code >= 0 && l.frame_back >= 0 && l.frame_code != l.frame_back);
		CHECK_EQ(l.frame_owner >= 0, minor >= 12);
		CHECK_EQ(l.frame_is_entry >= 0, minor == 11);
		CHECK_EQ(l.owner_cstack, minor >= 12 ? 3 : 0);
		CHECK_EQ(l.eval_frame_arg, minor == 8 ? 0 : 1);
		CHECK_EQ(l.code_qualname >= 0, minor >= 11);
		CHECK(l.code_name >= 16 && l.code_filename >= 16 && l.code_firstlineno >= 16);
		/* PyASCIIObject: PyObject head, length, hash, state (+ wstr <= 3.11) */
		CHECK_EQ(l.unicode_length, 16);
		CHECK_EQ(l.unicode_state, 32);
		CHECK_EQ(l.unicode_ascii_size, minor <= 11 ? 48 : 40);
		CHECK(l.unicode_compact_size > l.unicode_ascii_size);
		/* co_flags everywhere; co_code_adaptive and the frame's
		 * instruction pointer from 3.11 (_PyInterpreterFrame) */
		CHECK(l.code_flags >= 16);
		CHECK_EQ(l.code_code_adaptive >= 0, minor >= 11);
		CHECK_EQ(l.frame_instr >= 0, minor >= 11);
		CHECK_EQ(l.frame_instr_start, minor == 11 || minor == 12 ? -2 : 0);
		CHECK_EQ(rt.runtime_tstate_current >= 0, minor <= 11);
		CHECK(rt.runtime_interpreters_main > 0);
		CHECK(rt.interp_eval_frame > 0);
	}
}

/* values published by other out-of-process tools (py-spy, austin) */
TEST(py_layout_table_known_values)
{
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	CHECK_EQ(py_layout__for_version(3, 8, &l, &rt), 0);
	CHECK_EQ(rt.runtime_tstate_current, 1368);
	CHECK_EQ(l.tstate_frame, 24);
	CHECK_EQ(l.frame_back, 24);
	CHECK_EQ(l.frame_code, 32);
	CHECK_EQ(py_layout__for_version(3, 10, &l, &rt), 0);
	CHECK_EQ(rt.runtime_tstate_current, 568);
	CHECK_EQ(py_layout__for_version(3, 11, &l, &rt), 0);
	CHECK_EQ(rt.runtime_tstate_current, 576);
	CHECK_EQ(py_layout__for_version(3, 13, NULL, &rt), 0);	/* NULL allowed */
	CHECK_EQ(py_layout__for_version(3, 13, &l, NULL), 0);
}

/* co_flags, co_code_adaptive, prev_instr / instr_ptr: measured with gdb on
 * the pyenv builds; 3.8's co_flags from Include/code.h (PyObject_HEAD then
 * five ints before it: 16 + 5 * 4). */
TEST(py_layout_table_instr_fields)
{
	struct tr_py_layout l;

	CHECK_EQ(py_layout__for_version(3, 8, &l, NULL), 0);
	CHECK_EQ(l.code_flags, 36);
	CHECK_EQ(l.code_code_adaptive, -1);
	CHECK_EQ(l.frame_instr, -1);
	CHECK_EQ(l.frame_instr_start, 0);
	CHECK_EQ(py_layout__for_version(3, 11, &l, NULL), 0);
	CHECK_EQ(l.code_flags, 48);
	CHECK_EQ(l.code_code_adaptive, 184);
	CHECK_EQ(l.frame_instr, 56);		/* prev_instr */
	CHECK_EQ(l.frame_instr_start, -2);	/* _PyCode_CODE(co) - 1 */
	CHECK_EQ(py_layout__for_version(3, 12, &l, NULL), 0);
	CHECK_EQ(l.code_flags, 48);
	CHECK_EQ(l.code_code_adaptive, 192);
	CHECK_EQ(l.frame_instr, 56);		/* prev_instr */
	CHECK_EQ(l.frame_instr_start, -2);
	CHECK_EQ(py_layout__for_version(3, 13, &l, NULL), 0);
	CHECK_EQ(l.code_flags, 48);
	CHECK_EQ(l.code_code_adaptive, 200);
	CHECK_EQ(l.frame_instr, 56);		/* instr_ptr */
	CHECK_EQ(l.frame_instr_start, 0);	/* _PyCode_CODE(co) */
}

/* f_lasti and co_lnotab / co_linetable (docs/notes/sampling.md's table,
 * measured with gdb on the pyenv builds) */
TEST(py_layout_table_line_fields)
{
	static const struct { unsigned minor; int lasti, linetable; } want[] = {
		{ 8, 104, 120 }, { 9, 104, 120 }, { 10, 96, 120 },
		{ 11, -1, 136 }, { 12, -1, 136 }, { 13, -1, 136 },
	};
	struct tr_py_layout l;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_EQ(py_layout__for_version(3, want[i].minor, &l, NULL), 0);
		CHECK_EQ(l.frame_lasti, want[i].lasti);
		CHECK_EQ(l.code_linetable, want[i].linetable);
	}
}

TEST(py_layout_table_unsupported)
{
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	CHECK_EQ(py_layout__for_version(3, 7, &l, &rt), -ENOTSUP);
	CHECK_EQ(py_layout__for_version(3, 15, &l, &rt), -ENOTSUP);
	CHECK_EQ(py_layout__for_version(2, 7, &l, &rt), -ENOTSUP);
	CHECK_EQ(py_layout__for_version(4, 13, &l, &rt), -ENOTSUP);
	CHECK_EQ(py_layout__for_version(3, 0x10d, &l, &rt), -ENOTSUP);
}

/* ---- _Py_DebugOffsets ------------------------------------------------ */

/* A synthetic 3.13-shaped _Py_DebugOffsets (slots as in the 3.13 header),
 * with values deliberately different from the real 3.13 build so that a
 * parser copying the table would fail. */
#define DBG_SLOTS 73
static void dbg_fill(uint64_t *s, uint64_t version)
{
	memset(s, 0, DBG_SLOTS * 8);
	memcpy(s, "xdebugpy", 8);
	s[1] = version;
	s[2] = 0;			/* free_threaded */
	s[3] = 300000; s[4] = 1000; s[5] = 700;	/* runtime: size, finalizing, head */
	s[6] = 9000;			/* interpreter_state size */
	s[19] = 400;			/* thread_state: size */
	s[20] = 0; s[21] = 8; s[22] = 16; s[23] = 88; s[24] = 96;	/* prev next interp current_frame thread_id */
	s[28] = 80;			/* interpreter_frame: size */
	s[29] = 16; s[30] = 8; s[31] = 24; s[32] = 72; s[33] = 66;	/* previous executable instr localsplus owner */
	s[34] = 200;			/* code_object: size */
	s[35] = 104; s[36] = 112; s[37] = 136; s[38] = 144; s[39] = 60;
	s[40] = 64; s[41] = 152; s[42] = 160; s[43] = 176;	/* argcount .. co_code_adaptive */
	s[61] = 32; s[62] = 16; s[63] = 24;	/* long_object: size lv_tag ob_digit */
	s[64] = 40; s[65] = 24; s[66] = 32;	/* bytes_object: size ob_size ob_sval */
	s[67] = 72;			/* unicode_object: size */
	s[68] = 40; s[69] = 24; s[70] = 48;	/* state length asciiobject_size */
}

TEST(py_layout_dbg_synthetic_313)
{
	uint64_t s[DBG_SLOTS];
	struct tr_py_layout l, row;
	struct py_runtime_layout rt, rowrt;

	dbg_fill(s, 0x030d02f0);
	CHECK_EQ(py_layout__for_version(3, 13, &row, &rowrt), 0);
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), 0);
	CHECK_EQ(l.version_hex, 0x030d02f0);
	CHECK_EQ(l.bytes_size, 24);
	CHECK_EQ(l.bytes_sval, 32);
	CHECK_EQ(l.frame_tlbc_index, -1);
	CHECK_EQ(l.code_tlbc, -1);
	CHECK_EQ(l.unicode_kind_shift, 2);	/* the row's */
	CHECK_EQ(l.free_threaded, 0);
	CHECK_EQ(l.tstate_frame, 88);
	CHECK_EQ(l.tstate_thread_id, 96);
	CHECK_EQ(l.cframe_current_frame, -1);
	CHECK_EQ(l.frame_code, 8);
	CHECK_EQ(l.frame_back, 16);
	CHECK_EQ(l.frame_owner, 66);
	CHECK_EQ(l.frame_is_entry, -1);
	CHECK_EQ(l.code_name, 112);
	CHECK_EQ(l.code_qualname, 136);
	CHECK_EQ(l.code_filename, 104);
	CHECK_EQ(l.code_firstlineno, 60);
	CHECK_EQ(l.code_linetable, 144);
	CHECK_EQ(l.frame_lasti, -1);
	CHECK_EQ(l.unicode_length, 24);
	CHECK_EQ(l.unicode_state, 40);
	CHECK_EQ(l.unicode_ascii_size, 48);
	CHECK_EQ(l.frame_instr, 24);
	CHECK_EQ(l.code_code_adaptive, 176);
	CHECK_EQ(rt.runtime_tstate_current, -1);
	CHECK_EQ(rt.runtime_interpreters_main, 708);	/* head + 8 */
	/* not in the debug offsets: from the 3.13 row */
	CHECK_EQ(l.unicode_compact_size, row.unicode_compact_size);
	CHECK_EQ(l.owner_cstack, row.owner_cstack);
	CHECK_EQ(l.eval_frame_arg, row.eval_frame_arg);
	CHECK_EQ(l.code_flags, row.code_flags);
	CHECK_EQ(l.frame_instr_start, row.frame_instr_start);
	CHECK_EQ(rt.interp_eval_frame, rowrt.interp_eval_frame);
}

TEST(py_layout_dbg_bad_cookie)
{
	uint64_t s[DBG_SLOTS];
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	dbg_fill(s, 0x030d00f0);
	((char *)s)[7] = 'Y';
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	memset(s, 0, sizeof(s));	/* 3.12: _PyRuntime starts with _initialized */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	CHECK_EQ(py_layout__from_debug_offsets(NULL, sizeof(s), &l, &rt), -EINVAL);
}

TEST(py_layout_dbg_too_short)
{
	uint64_t s[DBG_SLOTS];
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	dbg_fill(s, 0x030d00f0);
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s) - 1, &l, &rt), -EINVAL);
	CHECK_EQ(py_layout__from_debug_offsets(s, 71 * 8, &l, &rt), -EINVAL);
	CHECK_EQ(py_layout__from_debug_offsets(s, 15, &l, &rt), -EINVAL);
	CHECK_EQ(py_layout__from_debug_offsets(s, 0, &l, &rt), -EINVAL);
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), 0);
}

TEST(py_layout_dbg_old_or_foreign_version)
{
	uint64_t s[DBG_SLOTS];
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	dbg_fill(s, 0x030c01f0);	/* 3.12 */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -ENOTSUP);
	dbg_fill(s, 0x040d00f0);	/* 4.13 */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -ENOTSUP);
	dbg_fill(s, 0x0100000000030d00ull);	/* garbage above 32 bits */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -ENOTSUP);
	dbg_fill(s, 0x030d00f0);
	s[2] = 1;			/* free-threaded 3.13t */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -ENOTSUP);
}

TEST(py_layout_dbg_inconsistent_offsets)
{
	uint64_t s[DBG_SLOTS];
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	dbg_fill(s, 0x030d00f0);
	s[23] = 400;			/* current_frame past sizeof(PyThreadState) */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	dbg_fill(s, 0x030d00f0);
	s[37] = s[36];			/* qualname == name */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	dbg_fill(s, 0x030d00f0);
	s[69] = UINT64_MAX - 3;		/* overflow attempt */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	dbg_fill(s, 0x030d00f0);
	s[31] = s[29];			/* instr_ptr == previous */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	dbg_fill(s, 0x030d00f0);
	s[31] = 80;			/* instr_ptr at sizeof(frame) */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	dbg_fill(s, 0x030d00f0);
	s[43] = 200;			/* co_code_adaptive at sizeof(code) */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	dbg_fill(s, 0x030d00f0);
	s[43] = 0;			/* co_code_adaptive missing (not last) */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
}

/* 3.13's synthetic struct in 3.14's order: interpreter_state gains
 * threads_main after threads_head and two slots at its end,
 * interpreter_frame two (stackpointer, tlbc_index), code_object one
 * (co_tlbc), set_object a section before dict; gen_object, llist_node and
 * debugger_support close it (95 slots) */
#define DBG14_SLOTS 95
static void dbg_fill_314(uint64_t *s, uint64_t version)
{
	uint64_t s13[DBG_SLOTS];

	dbg_fill(s13, version);
	memset(s, 0, DBG14_SLOTS * 8);
	memcpy(s, s13, 10 * 8);		/* up to threads_head */
	s[10] = 32;			/* threads_main */
	memcpy(&s[11], &s13[10], (19 - 10) * 8);	/* gc .. gil holder */
	s[20] = 8000; s[21] = 8008;	/* code_object_generation, tlbc_generation */
	memcpy(&s[22], &s13[19], (34 - 19) * 8);	/* thread_state, frame */
	s[37] = 56; s[38] = 0;		/* stackpointer, tlbc_index */
	memcpy(&s[39], &s13[34], (44 - 34) * 8);	/* code_object */
	s[49] = 0;			/* co_tlbc */
	memcpy(&s[50], &s13[44], (56 - 44) * 8);	/* pyobject .. list */
	s[62] = 200; s[63] = 16; s[64] = 24; s[65] = 32;	/* set_object */
	memcpy(&s[66], &s13[56], (DBG_SLOTS - 56) * 8);	/* dict .. gc */
}

/* the same fields as 3.13's synthetic struct, read at 3.14's slots; the
 * rest from 3.14's row (the frame_code_tag of a _PyStackRef) */
TEST(py_layout_dbg_synthetic_314)
{
	uint64_t s13[DBG_SLOTS], s[DBG14_SLOTS];
	struct tr_py_layout l13, l, row;
	struct py_runtime_layout rt13, rt;

	dbg_fill(s13, 0x030d00f0);
	CHECK_EQ(py_layout__from_debug_offsets(s13, sizeof(s13), &l13, &rt13), 0);
	dbg_fill_314(s, 0x030e07f0);
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), 0);
	CHECK_EQ(py_layout__for_version(3, 14, &row, NULL), 0);
	CHECK_EQ(l.version_hex, 0x030e07f0);
	CHECK_EQ(l.tstate_frame, l13.tstate_frame);
	CHECK_EQ(l.tstate_thread_id, l13.tstate_thread_id);
	CHECK_EQ(l.frame_code, l13.frame_code);
	CHECK_EQ(l.frame_back, l13.frame_back);
	CHECK_EQ(l.frame_owner, l13.frame_owner);
	CHECK_EQ(l.frame_instr, l13.frame_instr);
	CHECK_EQ(l.code_qualname, l13.code_qualname);
	CHECK_EQ(l.code_code_adaptive, l13.code_code_adaptive);
	CHECK_EQ(l.unicode_ascii_size, l13.unicode_ascii_size);
	CHECK_EQ(rt.runtime_interpreters_main, rt13.runtime_interpreters_main);
	CHECK_EQ(l13.frame_code_tag, 0);
	CHECK_EQ(l.frame_code_tag, 1);
	CHECK_EQ(l.frame_code_tag, row.frame_code_tag);
	CHECK_EQ(rt.runtime_gil_holder, (py_layout__for_version(3, 14, NULL, &rt13), rt13.runtime_gil_holder));
	/* shorter than 3.14's struct */
	CHECK_EQ(py_layout__from_debug_offsets(s, DBG14_SLOTS * 8 - 8, &l, &rt), -EINVAL);
	/* inconsistent: -EINVAL for 3.14 itself, -ENOTSUP for a later version */
	s[36] = 80;			/* owner at sizeof(frame) */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	s[1] = 0x030f00f0;
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -ENOTSUP);
}

/* A version past the last map (3.15) with 3.14's order is accepted: its
 * fields from its bytes, the rest from the 3.14 row. */
TEST(py_layout_dbg_later_version_same_order)
{
	uint64_t s[DBG14_SLOTS + 8];
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	memset(s, 0, sizeof(s));
	dbg_fill_314(s, 0x030f00a1);	/* 3.15.0a1, struct longer than 3.14's */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), 0);
	CHECK_EQ(l.version_hex, 0x030f00a1);
	CHECK_EQ(l.tstate_frame, 88);
	CHECK_EQ(l.code_qualname, 136);
	CHECK_EQ(py_layout__from_debug_offsets(s, DBG14_SLOTS * 8 - 8, &l, &rt), -EINVAL);
}

/* 3.13's order labelled as a later version is read with 3.14's map:
 * every section after interpreter_state is shifted. The parser must
 * refuse rather than return shifted offsets. */
TEST(py_layout_dbg_later_version_reordered)
{
	uint64_t s[DBG14_SLOTS + 8];
	struct tr_py_layout l;
	struct py_runtime_layout rt;

	memset(s, 0, sizeof(s));
	dbg_fill(s, 0x030f00f0);
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -ENOTSUP);
	dbg_fill(s, 0x030e00f0);	/* and as 3.14 itself: not debug offsets */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
}

/* ---- the real 3.13 build --------------------------------------------- */

/* Initial bytes of symbol NAME from the file's section, with plain libelf. */
static int read_symbol_bytes(const char *path, const char *name, void *buf, size_t len)
{
	int fd, ret = -ENOENT;
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && ret == -ENOENT && (scn = elf_nextscn(e, scn))) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; d && i < n; i++) {
			GElf_Sym sym;
			GElf_Shdr dsh;
			const char *sn;

			if (!gelf_getsym(d, i, &sym))
				break;
			sn = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!sn || strcmp(sn, name))
				continue;
			if (sym.st_size < len ||
			    !gelf_getshdr(elf_getscn(e, sym.st_shndx), &dsh) ||
			    dsh.sh_type != SHT_PROGBITS ||
			    sym.st_value < dsh.sh_addr ||
			    sym.st_value + len > dsh.sh_addr + dsh.sh_size) {
				ret = -ERANGE;
				break;
			}
			ret = pread(fd, buf, len, dsh.sh_offset + (sym.st_value - dsh.sh_addr))
				== (ssize_t)len ? 0 : -EIO;
			break;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return ret;
}

static void check_real_build(const char *lib, unsigned minor, bool ft, int instr, int adaptive)
{
	unsigned char buf[4096];
	struct tr_py_layout l, row;
	struct py_runtime_layout rt, rowrt;
	uint64_t version;

	if (access(lib, R_OK)) {
		printf("  SKIP: %s not present\n", lib);
		return;
	}
	CHECK_EQ(read_symbol_bytes(lib, "_PyRuntime", buf, sizeof(buf)), 0);
	memcpy(&version, buf + 8, 8);
	CHECK_EQ(version >> 16, 0x0300 | minor);
	CHECK_EQ(py_layout__from_debug_offsets(buf, sizeof(buf), &l, &rt), 0);
	/* the debug offsets (CPython's own offsetof) agree with the DWARF
	 * derived table row, field by field */
	CHECK_EQ(py_layout__for_build(3, minor, ft, &row, &rowrt), 0);
	CHECK_EQ(l.version_hex, version);
	CHECK_EQ(l.free_threaded, ft);
	CHECK_EQ(l.bytes_size, row.bytes_size);
	CHECK_EQ(l.bytes_sval, row.bytes_sval);
	CHECK_EQ(l.frame_tlbc_index, row.frame_tlbc_index);
	CHECK_EQ(l.code_tlbc, row.code_tlbc);
	CHECK_EQ(l.unicode_kind_shift, row.unicode_kind_shift);
	CHECK_EQ(l.tstate_frame, row.tstate_frame);
	CHECK_EQ(l.cframe_current_frame, row.cframe_current_frame);
	CHECK_EQ(l.frame_code, row.frame_code);
	CHECK_EQ(l.frame_back, row.frame_back);
	CHECK_EQ(l.frame_owner, row.frame_owner);
	CHECK_EQ(l.frame_is_entry, row.frame_is_entry);
	CHECK_EQ(l.code_name, row.code_name);
	CHECK_EQ(l.code_qualname, row.code_qualname);
	CHECK_EQ(l.code_filename, row.code_filename);
	CHECK_EQ(l.code_firstlineno, row.code_firstlineno);
	CHECK_EQ(l.code_linetable, row.code_linetable);
	CHECK_EQ(l.unicode_length, row.unicode_length);
	CHECK_EQ(l.unicode_state, row.unicode_state);
	CHECK_EQ(l.unicode_ascii_size, row.unicode_ascii_size);
	CHECK_EQ(l.code_flags, row.code_flags);
	CHECK_EQ(l.frame_instr_start, row.frame_instr_start);
	/* from the debug offsets' instr_ptr and co_code_adaptive: the values
	 * measured with gdb on this build */
	CHECK_EQ(l.frame_instr, instr);
	CHECK_EQ(l.code_code_adaptive, adaptive);
	CHECK_EQ(l.frame_code_tag, row.frame_code_tag);
	CHECK_EQ(l.owner_cstack, row.owner_cstack);
	CHECK_EQ(l.frame_instr, row.frame_instr);
	CHECK_EQ(l.code_code_adaptive, row.code_code_adaptive);
	CHECK_EQ(rt.runtime_tstate_current, rowrt.runtime_tstate_current);
	/* interpreters.head + 8 (derived) == interpreters.main (DWARF) */
	CHECK_EQ(rt.runtime_interpreters_main, rowrt.runtime_interpreters_main);
}

static void check_real(const char *lib, unsigned minor, int instr, int adaptive)
{
	check_real_build(lib, minor, false, instr, adaptive);
}

TEST(py_layout_dbg_real_313)
{
	check_real(PY313_LIB, 13, 56, 200);
}

/* 3.14: the values measured with gdb on the 3.14.7 build */
TEST(py_layout_dbg_real_314)
{
	check_real(PY314_LIB, 14, 56, 208);
}

/* 3.14t (built by hand with --disable-gil, when present): its debug
 * offsets read with the "3.14t" row; the values measured with gdb on it
 * (co_code_adaptive 24 bytes further than 3.14's: the 32-byte object
 * header, and co_tlbc before it) */
TEST(py_layout_dbg_real_314t)
{
	struct tr_py_layout l;

	check_real_build(PY314T_LIB, 14, true, 56, 232);
	if (access(PY314T_LIB, R_OK))
		return;
	CHECK_EQ(py_layout__for_build(3, 14, true, &l, NULL), 0);
	CHECK_EQ(l.frame_tlbc_index, 72);
	CHECK_EQ(l.code_tlbc, 224);
	CHECK_EQ(l.unicode_kind_shift, 8);
	CHECK_EQ(l.bytes_sval, 48);
}

/* a synthetic 3.14t: 3.14's synthetic struct flagged free-threaded, with
 * its tlbc_index and co_tlbc set; fields it does not carry from the 3.14t
 * row, never the GIL build's */
TEST(py_layout_dbg_synthetic_314t)
{
	uint64_t s[DBG14_SLOTS];
	struct tr_py_layout l, ftrow, row;
	struct py_runtime_layout rt;

	CHECK_EQ(py_layout__for_build(3, 14, true, &ftrow, NULL), 0);
	CHECK_EQ(py_layout__for_version(3, 14, &row, NULL), 0);
	CHECK(ftrow.code_flags != row.code_flags);
	dbg_fill_314(s, 0x030e07f0);
	s[2] = 1;			/* free_threaded */
	s[38] = 76;			/* tlbc_index */
	s[49] = 168;			/* co_tlbc, before co_code_adaptive (176) */
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), 0);
	CHECK_EQ(l.free_threaded, 1);
	CHECK_EQ(l.frame_tlbc_index, 76);
	CHECK_EQ(l.code_tlbc, 168);
	CHECK_EQ(l.code_code_adaptive, 176);
	CHECK_EQ(l.bytes_size, 24);
	CHECK_EQ(l.unicode_kind_shift, 8);
	CHECK_EQ(l.code_flags, ftrow.code_flags);
	CHECK_EQ(l.unicode_compact_size, ftrow.unicode_compact_size);
	/* a GIL build's struct flagged free-threaded (no tlbc fields) */
	s[38] = 0;
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	s[38] = 76;
	s[49] = 0;
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	/* co_tlbc at co_code_adaptive, tlbc_index on the owner */
	s[49] = 176;
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
	s[49] = 168;
	s[38] = s[36];
	CHECK_EQ(py_layout__from_debug_offsets(s, sizeof(s), &l, &rt), -EINVAL);
}
