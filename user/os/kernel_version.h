/* SPDX-License-Identifier: MIT */
/*
 * The running kernel's version, for features the tracer cannot cheaply
 * probe (uprobe_multi links, 6.6; tagged global BPF function arguments,
 * 6.8). A distribution kernel may have a feature backported under an
 * older number: the answer is then "no", and the caller takes its older,
 * slower way, never a wrong one.
 */
#ifndef TRACER_KERNEL_VERSION_H
#define TRACER_KERNEL_VERSION_H
#include <stdbool.h>

/* RELEASE (uname -r: "6.18.44-fc-v1272") is MAJOR.MINOR or later; false
 * when it does not start with two numbers */
bool kernel_version__release_at_least(const char *release, unsigned major, unsigned minor);
/* the running kernel is MAJOR.MINOR or later */
bool kernel_version__at_least(unsigned major, unsigned minor);
#endif
