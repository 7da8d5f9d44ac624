// SPDX-License-Identifier: MIT
/* Reading a live CPython process's objects from outside (see py_mem.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "capture/py_mem.h"
#include "cpython/pystr.h"

#define STR_CAP 4096

int py_mem__read(const struct py_mem *m, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!addr)
		return -EFAULT;
	n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int py_mem__ptr(const struct py_mem *m, uint64_t addr, uint64_t *out)
{
	*out = 0;
	return py_mem__read(m, addr, out, sizeof(*out));
}

/* OBJ's header as a compact str: 0 with its length, kind, ascii flag and
 * where its characters are; -EINVAL when it is not one */
static int str_head(const struct py_mem *m, uint64_t obj, int64_t *length, uint32_t *kind,
		    bool *ascii, uint64_t *data)
{
	const struct tr_py_layout *L = m->L;
	uint32_t state = 0;

	if (py_mem__read(m, obj + L->unicode_length, length, sizeof(*length)) ||
	    py_mem__read(m, obj + L->unicode_state, &state, sizeof(state)))
		return -EFAULT;
	/* kind, compact, ascii: from bit unicode_kind_shift on (see tracer.h) */
	state >>= L->unicode_kind_shift & 15;
	*kind = state & 7;
	*ascii = (state >> 4) & 1;
	if (!((state >> 3) & 1) || (*kind != 1 && *kind != 2 && *kind != 4) || *length < 0 ||
	    *length > 0x7fffffff)
		return -EINVAL;
	*data = obj + (*ascii ? L->unicode_ascii_size : L->unicode_compact_size);
	return 0;
}

char *py_mem__str(const struct py_mem *m, uint64_t obj)
{
	int64_t length = 0;
	uint32_t kind = 0;
	uint64_t data, n;
	bool ascii, trunc = false;
	char *raw = NULL, *s;
	uint8_t enc = 0;

	if (obj && !str_head(m, obj, &length, &kind, &ascii, &data)) {
		n = (uint64_t)length * kind;
		if (n > STR_CAP)
			n = STR_CAP;
		raw = malloc(n ? n : 1);
		if (raw && !py_mem__read(m, data, raw, n))
			enc = kind | (ascii ? TR_STR_ASCII : 0);
	}
	s = pystr__to_utf8(raw, STR_CAP, enc ? (uint32_t)length : 0, enc, &trunc);
	free(raw);
	return s;
}

int py_mem__str_chars(const struct py_mem *m, uint64_t obj, uint32_t *cps, size_t max,
		      size_t *n, int64_t *length)
{
	uint8_t raw[4 * 256];
	uint32_t kind;
	uint64_t data;
	bool ascii;
	size_t k;
	int ret;

	*n = 0;
	if (!obj)
		return -EFAULT;
	if ((ret = str_head(m, obj, length, &kind, &ascii, &data)))
		return ret;
	k = (uint64_t)*length < max ? (size_t)*length : max;
	if (k > sizeof(raw) / 4)
		k = sizeof(raw) / 4;
	if (k && (ret = py_mem__read(m, data, raw, k * kind)))
		return ret;
	for (size_t i = 0; i < k; i++) {
		if (kind == 1)
			cps[i] = raw[i];
		else if (kind == 2)
			cps[i] = raw[2 * i] | raw[2 * i + 1] << 8;
		else
			memcpy(&cps[i], raw + 4 * i, 4);
	}
	*n = k;
	return 0;
}

bool py_mem__str_is(const struct py_mem *m, uint64_t obj, const char *s)
{
	size_t n = strlen(s);
	int64_t length = 0;
	uint32_t kind;
	uint64_t data;
	bool ascii;
	char buf[64];

	if (n > sizeof(buf) || !obj || str_head(m, obj, &length, &kind, &ascii, &data) ||
	    !ascii || (uint64_t)length != n)
		return false;
	return !py_mem__read(m, data, buf, n) && !memcmp(buf, s, n);
}
