// SPDX-License-Identifier: MIT
/*
 * The characters of a CPython str as the BPF side copied them: encoding
 * (1 byte), length in characters (4 bytes), then the raw bytes (their
 * number is the copy's cap).
 */
#include "fuzz.h"
#include "cpython/pystr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t enc = fuzz_take(&in, 1);
	uint32_t len_chars = fuzz_take(&in, 4);
	size_t cap = in.left;
	char *raw = fuzz_rest(&in, 0);
	bool truncated = false;
	char *s;

	s = pystr__to_utf8(raw, cap, len_chars, enc, &truncated);
	if (s)
		(void)strlen(s);
	free(s);
	free(raw);
	return 0;
}
