/* SPDX-License-Identifier: MIT */
#ifndef TRACER_ARRAY_H
#define TRACER_ARRAY_H
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Make *ARR (of *CAP elements of SIZE bytes) hold index N; new elements
 * are zeroed. 0 or -ENOMEM (then *ARR is unchanged). */
static inline int array__grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *p;

	if (n < *cap)
		return 0;
	while (c <= n)
		c *= 2;
	p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (c - *cap) * size);
	*arr = p;
	*cap = c;
	return 0;
}
#endif
