// SPDX-License-Identifier: MIT
#include <stdio.h>
#include "model/rec_labels.h"

const char *runtime_rec__label(const struct runtime_rec *r, char *buf, size_t len)
{
	if (r->kind == TR_RT_IMPORT)
		snprintf(buf, len, "import %s", r->name ? r->name : "?");
	else if (r->generation >= 0)
		snprintf(buf, len, "GC (generation %lld)", (long long)r->generation);
	else
		snprintf(buf, len, "GC");
	return buf;
}
