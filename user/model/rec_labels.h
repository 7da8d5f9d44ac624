/* SPDX-License-Identifier: MIT */
/* How the outputs write the model's records as text (labels shared by
 * every timeline format). */
#ifndef TRACER_REC_LABELS_H
#define TRACER_REC_LABELS_H
#include <stddef.h>
#include "model/model.h"

/* What a timeline shows for R: "GC (generation 2)", "import json". */
const char *runtime_rec__label(const struct runtime_rec *r, char *buf, size_t len);
/* "measured", "stdlib", ... (the words of the code maps and the summary),
 * NULL if S is no status */
const char *cov_status__name(enum cov_status s);
#endif
