// SPDX-License-Identifier: MIT
/*
 * What --c-calls needs from the interpreter file beyond its exported
 * symbols. The type objects (PyCFunction_Type, PyMethodDescr_Type, ...) are
 * exported by every build, stripped or not; list.append's C function is
 * not (`list_append` is a local symbol: in .symtab only, which `strip
 * --strip-all`, Debian's and most containers' builds remove). It is found
 * where CPython itself finds it: the exported PyList_Type's tp_methods, a
 * PyMethodDef array ended by a NULL name, has the entry "append" whose
 * ml_meth it is. The words are read as the loader sees them before the
 * load bias (R_X86_64_RELATIVE addends in a shared library, absolute
 * addresses in a non-PIE executable), every one bounds-checked.
 */
#include <errno.h>
#include <string.h>
#include "cpython/ccall_syms.h"

#define TP_METHODS 232		/* PyTypeObject.tp_methods (3.8-3.14) */
#define METHOD_DEF_WORDS 4	/* PyMethodDef: ml_name, ml_meth, ml_flags, ml_doc */
#define MAX_METHODS 64		/* list has 11 in 3.11, 12 in 3.14 */

int ccall_syms__list_append(struct elf_file *ef, uint64_t *vaddr)
{
	uint64_t type, size, methods, defs[MAX_METHODS * METHOD_DEF_WORDS];
	char name[sizeof("append")];

	if (elf_file__find_symbol(ef, "PyList_Type", &type, &size) || size < TP_METHODS + 8 ||
	    elf_file__read_pointers(ef, type + TP_METHODS, &methods, 1) || !methods)
		return -ENOENT;
	for (size_t n = MAX_METHODS; n > 0; n /= 2)	/* the table may end near a boundary */
		if (!elf_file__read_pointers(ef, methods, defs, n * METHOD_DEF_WORDS)) {
			for (size_t i = 0; i < n; i++) {
				const uint64_t *d = &defs[i * METHOD_DEF_WORDS];

				if (!d[0])
					return -ENOENT;	/* the end of the table */
				if (elf_file__read_vaddr(ef, d[0], name, sizeof(name)) ==
				    (ssize_t)sizeof(name) && !memcmp(name, "append", 7) && d[1]) {
					*vaddr = d[1];
					return 0;
				}
			}
			return -ENOENT;
		}
	return -ENOENT;
}
