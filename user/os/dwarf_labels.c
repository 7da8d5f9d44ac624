// SPDX-License-Identifier: MIT
/*
 * Addresses of C labels (DW_TAG_label) inside one function, from the DWARF
 * of a binary (libdw). CPython's eval loop is one big function whose
 * control-flow landmarks (exit_unwind, ...) exist only as labels.
 *
 * GCC emits the function twice when it is split or inlined anywhere: an
 * abstract instance (names, no addresses) and concrete instances whose
 * DIEs point back with DW_AT_abstract_origin. Names are therefore read
 * through dwarf_attr_integrate, and only labels with an address count.
 */
#include <errno.h>
#include <string.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include "os/dwarf_file.h"
#include "os/dwarf_labels.h"

/* depth-first through lexical blocks: labels can sit in nested scopes */
static int find_label(Dwarf_Die *scope, const char *label, uint64_t *vaddr, int depth)
{
	Dwarf_Die c;
	int ret = -ENOENT;

	if (depth > 64 || dwarf_child(scope, &c) != 0)
		return -ENOENT;
	do {
		int tag = dwarf_tag(&c);
		Dwarf_Addr a;
		const char *n;

		if (tag == DW_TAG_label) {
			n = dwarf_file__die_name(&c);
			if (n && !strcmp(n, label) && dwarf_lowpc(&c, &a) == 0) {
				*vaddr = a;
				return 0;
			}
		} else if (tag == DW_TAG_lexical_block) {
			ret = find_label(&c, label, vaddr, depth + 1);
			if (!ret)
				return 0;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
	return ret;
}

int dwarf_labels__find(const char *path, const char *func, const char *label, uint64_t *vaddr)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	struct dwarf_file *df;
	int ret = -ENOENT;
	Dwarf *dw;

	ret = dwarf_file__open(path, &df);
	if (ret)
		return ret;
	dw = dwarf_file__dwarf(df);
	ret = -ENOENT;
	while (ret && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, c;

		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &c) == 0) {
			do {
				const char *n;

				if (dwarf_tag(&c) != DW_TAG_subprogram ||
				    dwarf_hasattr(&c, DW_AT_declaration))
					continue;
				n = dwarf_file__die_name(&c);
				if (n && !strcmp(n, func) && !find_label(&c, label, vaddr, 0)) {
					ret = 0;
					break;
				}
			} while (dwarf_siblingof(&c, &c) == 0);
		}
		off = next;
	}
	dwarf_file__close(df);
	return ret;
}
