// SPDX-License-Identifier: MIT
/*
 * An ELF file as the tracer reads an interpreter or a libpython: opened
 * (from a memfd), then every query the tracer makes of it: symbols, bytes
 * and pointers at a virtual address, DT_SONAME, the SDT notes.
 */
#include "os/elf_file.h"
#include "fuzz.h"

static const char *const symbols[] = { "_PyRuntime", "PyEval_EvalFrameDefault",
				       "_PyEval_EvalFrameDefault", "opcode_targets", "main" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], buf[64];
	uint64_t v, sz, off, ptrs[4], sema;
	struct elf_file *ef;
	int fd = fuzz_memfd(data, size, path, sizeof(path));
	const char *so;

	if (fd < 0)
		return 0;
	ef = elf_file__open(path);
	if (!ef)
		goto cleanup;
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		if (!elf_file__find_symbol(ef, symbols[i], &v, &sz) ||
		    !elf_file__find_symbol_prefix(ef, symbols[i], &v, &sz)) {
			elf_file__read_vaddr(ef, v, buf, sizeof(buf));
			elf_file__read_pointers(ef, v, ptrs, 4);
			elf_file__vaddr_to_offset(ef, v, &off);
		}
	}
	elf_file__has_symtab(ef);
	so = elf_file__soname(ef);
	if (so)
		(void)strlen(so);
	/* addresses the file does not choose: the edges of the address space */
	elf_file__read_vaddr(ef, 0, buf, sizeof(buf));
	elf_file__read_vaddr(ef, UINT64_MAX - 8, buf, sizeof(buf));
	elf_file__read_pointers(ef, UINT64_MAX - 16, ptrs, 4);
	elf_file__has_usdt(ef, "python", "function__entry", &sema);
	elf_file__has_usdt(ef, "python", "line", NULL);
	elf_file__close(ef);
cleanup:
	close(fd);
	return 0;
}
