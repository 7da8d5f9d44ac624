// SPDX-License-Identifier: MIT
/*
 * The DWARF readers on an ELF file (from a memfd) as the tracer asks them:
 * the eval loop's exit_unwind label (dwarf_labels) and the collector's
 * generation parameter (dwarf_params, at the function's address as the
 * symbol table gives it, and at an address the input chooses). The seeds
 * are built from seed_dwarf.c, which has both.
 */
#include "os/dwarf_labels.h"
#include "os/dwarf_params.h"
#include "os/elf_file.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	enum dwarf_param_where where;
	uint64_t v = 0, sz;
	int64_t val;
	struct elf_file *ef;
	int fd = fuzz_memfd(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (dwarf_labels__find(path, "_PyEval_EvalFrameDefault", "exit_unwind", &v) == -ENODATA)
		goto cleanup;
	ef = elf_file__open(path);
	if (ef) {
		if (!elf_file__find_symbol(ef, "gc_collect_main", &v, &sz))
			dwarf_params__find(path, v, "generation", &where, &val);
		elf_file__close(ef);
	}
	/* an address no symbol names (from the ELF header's first bytes) */
	v = 0;
	memcpy(&v, data, size < 2 ? size : 2);
	dwarf_params__find(path, v, "generation", &where, &val);
cleanup:
	close(fd);
	return 0;
}
