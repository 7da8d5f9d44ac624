// SPDX-License-Identifier: MIT
/* The bytes of a .note.stapsdt section, through the SDT note parser. */
#include "os/elf_file.h"
#include "fuzz.h"

static int each(const struct usdt_note *n, void *ctx)
{
	size_t *total = ctx;

	/* every string must be readable to its NUL */
	*total += strlen(n->provider) + strlen(n->name) + strlen(n->args) + n->pc + n->sema;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	char *buf = fuzz_rest(&in, 0);
	size_t total = 0;

	usdt_notes__parse(buf, size, each, &total);
	free(buf);
	return 0;
}
