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

static const char *const cov_status_names[COV__COUNT] = {
	[COV_MEASURED] = "measured",
	[COV_STDLIB] = "stdlib",
	[COV_SITE] = "site-packages",
	[COV_OMITTED] = "omitted",
	[COV_NOT_INCLUDED] = "not-included",
	[COV_NO_SOURCE] = "no-source",
	[COV_ERROR] = "error",
};

const char *cov_status__name(enum cov_status s)
{
	return (unsigned)s < COV__COUNT ? cov_status_names[s] : NULL;
}
