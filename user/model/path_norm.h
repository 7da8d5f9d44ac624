/* SPDX-License-Identifier: MIT */
/* File names as the outputs show them: lexically normalized (path_norm.c says why that is
 * the choice, and what it means with symbolic links). */
#ifndef TRACER_PATH_NORM_H
#define TRACER_PATH_NORM_H
#include <stdbool.h>

/* Normalize the file name S in place (it only gets shorter): "//" and "/./" become "/",
 * "name/.." goes, "/.." at the root is "/", a trailing "/" goes; a relative name keeps its
 * leading ".." parts. A pseudo-name ("<frozen ...>", "<string>", "") is left as it is.
 * True when S changed. */
bool path_norm__apply(char *s);
#endif
