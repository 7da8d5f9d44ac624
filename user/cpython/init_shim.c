// SPDX-License-Identifier: MIT
/*
 * CPython 3.13's __init__ shim, found without its symbol.
 *
 * When a call site of a class with a Python __init__ (and the default
 * __new__) is specialized (CALL_ALLOC_AND_ENTER_INIT), 3.13 pushes a shim
 * frame under the __init__ frame, whose code object is the static
 * _Py_InitCleanup (Python/specialize.c):
 *
 *     _PyVarObject_HEAD_INIT(&PyCode_Type, 3)
 *     .co_filename = .co_name = .co_qualname = &_Py_ID(__init__),
 *     .co_code_adaptive = { EXIT_INIT_CHECK, 0, RETURN_VALUE, 0,
 *                           RESUME, RESUME_AT_FUNC_START }
 *
 * The shim runs RETURN_VALUE (or leaves through exit_unwind when __init__
 * raises) though sys.setprofile sees no call of it: the BPF side drops the
 * exits of frames running that code object (bpf/tracer.bpf.c, shim_code).
 * Its symbol is local, so a stripped build does not name it. The object
 * itself is in the file, though, in .data.rel.ro (or .data): initialized
 * data of a fixed shape. We look for the one 8-byte aligned object there
 * that has all of it: an immortal reference count (_Py_IMMORTAL_REFCNT, the
 * low 32 bits set), a type word that is either PyCode_Type's address (a
 * non-PIE executable) or zero (a shared library: an R_X86_64_64 relocation
 * supplies it at load), ob_size 3, the same word for co_filename, co_name
 * and co_qualname, and the code bytes: a non-zero instruction, RETURN_VALUE,
 * RESUME, with zero arguments to the first two (opcode numbers from the
 * target's own interpreter). Exactly one object must match; the unit test
 * checks it is the symbol's on pyenv's 3.13 and on its stripped copy.
 */
#include <errno.h>
#include <string.h>
#include "cpython/init_shim.h"

static uint64_t word(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static bool is_shim(const uint8_t *o, size_t room, const struct tr_py_layout *L, int resume,
		    int ret_value, uint64_t code_type)
{
	int code = L->code_code_adaptive;
	uint64_t type, name;

	if (code < 24 || L->code_name < 24 || L->code_qualname < 24 || L->code_filename < 24 ||
	    (size_t)code + 6 > room || (size_t)L->code_name + 8 > room ||
	    (size_t)L->code_qualname + 8 > room || (size_t)L->code_filename + 8 > room)
		return false;
	type = word(o + 8);
	name = word(o + L->code_name);
	return word(o) == 0xffffffffu && (type == 0 || type == code_type) && word(o + 16) == 3 &&
	       word(o + L->code_qualname) == name && word(o + L->code_filename) == name &&
	       o[code] != 0 && o[code + 1] == 0 && o[code + 2] == ret_value &&
	       o[code + 3] == 0 && o[code + 4] == resume;
}

int init_shim__find(struct elf_file *ef, const struct tr_py_layout *L, int resume,
		    int return_value, uint64_t *vaddr)
{
	static const char *const sections[] = { ".data.rel.ro", ".data" };
	uint64_t code_type = 0, sz;
	int n = 0;

	if (resume < 0 || return_value < 0)
		return -ENOENT;
	if (elf_file__find_symbol(ef, "PyCode_Type", &code_type, &sz))
		return -ENOENT;
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		const uint8_t *data;
		size_t size;
		uint64_t base;

		if (elf_file__section(ef, sections[s], &data, &size, &base))
			continue;
		for (size_t off = (8 - base % 8) % 8; off + 24 <= size; off += 8) {
			if (!is_shim(data + off, size - off, L, resume, return_value, code_type))
				continue;
			*vaddr = base + off;
			n++;
		}
	}
	return n == 1 ? 0 : n ? -EEXIST : -ENOENT;
}
