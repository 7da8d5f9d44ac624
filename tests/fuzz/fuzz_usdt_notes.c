// SPDX-License-Identifier: MIT
/* The bytes of a .note.stapsdt section, through the SDT note parser, and
 * each note's argument string through the argument parser (os/usdt_arg.c:
 * the specs the USDT probes are attached with). */
#include "os/elf_file.h"
#include "os/usdt_arg.h"
#include "fuzz.h"

static int each(const struct usdt_note *n, void *ctx)
{
	size_t *total = ctx;

	/* every string must be readable to its NUL */
	struct usdt_arg a[USDT_ARGS_MAX];
	int k = usdt_arg__parse_all(n->args, a, USDT_ARGS_MAX);

	*total += strlen(n->provider) + strlen(n->name) + strlen(n->args) + n->pc + n->sema;
	for (int i = 0; i < k; i++) {
		/* what the attach writes into a spec: in range */
		if (a[i].size != 1 && a[i].size != 2 && a[i].size != 4 && a[i].size != 8 &&
		    a[i].size != -1 && a[i].size != -2 && a[i].size != -4 && a[i].size != -8)
			abort();
		if (a[i].kind != USDT_ARG_CONST && (a[i].reg_off < 0 || a[i].reg_off % 8))
			abort();
	}
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
