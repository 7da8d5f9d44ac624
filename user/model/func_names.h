/* SPDX-License-Identifier: MIT */
/* The function identities a sink was told about (struct sink_ops.func),
 * by id, with their own copies of the strings. */
#ifndef TRACER_FUNC_NAMES_H
#define TRACER_FUNC_NAMES_H
#include <stddef.h>
#include "model/model.h"

struct func_names {
	struct func_info *v;	/* v[id]; qualname NULL where never told */
	size_t n, cap;
};

/* remember F (replacing what its id had): 0 or -ENOMEM */
int func_names__set(struct func_names *fn, const struct func_info *f);
/* the identity of ID, or NULL when never told */
const struct func_info *func_names__get(const struct func_names *fn, uint32_t id);
void func_names__free(struct func_names *fn);
#endif
