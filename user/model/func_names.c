// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "model/func_names.h"

int func_names__set(struct func_names *fn, const struct func_info *f)
{
	char *q, *file;
	struct func_info *e;

	if (array__grow((void **)&fn->v, &fn->cap, f->id, sizeof(*fn->v)))
		return -ENOMEM;
	q = strdup(f->qualname ? f->qualname : "");
	file = strdup(f->file ? f->file : "");
	if (!q || !file) {
		free(q);
		free(file);
		return -ENOMEM;
	}
	e = &fn->v[f->id];
	free((char *)e->qualname);
	free((char *)e->file);
	*e = (struct func_info){ .id = f->id, .qualname = q, .file = file, .line = f->line,
				 .base = f->base, .at_line = f->at_line, .c_func = f->c_func };
	if (f->id >= fn->n)
		fn->n = f->id + 1;
	return 0;
}

const struct func_info *func_names__get(const struct func_names *fn, uint32_t id)
{
	return id < fn->n && fn->v[id].qualname ? &fn->v[id] : NULL;
}

void func_names__free(struct func_names *fn)
{
	for (size_t i = 0; i < fn->n; i++) {
		free((char *)fn->v[i].qualname);
		free((char *)fn->v[i].file);
	}
	free(fn->v);
	*fn = (struct func_names){};
}
