/* SPDX-License-Identifier: MIT */
/*
 * How every output names a traced process: its host pid, and where they
 * are known and say more, its pid in its own PID namespace and its cgroup
 * (a system-wide session traces processes of containers and services).
 */
#ifndef TRACER_PROC_LABEL_H
#define TRACER_PROC_LABEL_H
#include <stddef.h>
#include "model/model.h"

/* "ns pid 1, cgroup /system.slice/app.service", what is known of them
 * ("" when nothing: a namespace pid equal to the host pid says nothing) */
const char *proc_label__extra(const struct in_process *p, char *buf, size_t len);
/* a timeline's process name: "python3.11 3.11.2 [pid 1234, ns pid 1,
 * cgroup /system.slice/app.service]" (the executable's base name) */
const char *proc_label__name(const struct in_process *p, char *buf, size_t len);
/* how the launched command L ended: "exit code 3", "killed by signal 9
 * (SIGKILL)", "killed by signal 11 (SIGSEGV), core dumped"; NULL when not
 * known (L->how LAUNCH_END_NONE) */
const char *proc_label__launch_end(const struct launch_end *l, char *buf, size_t len);
/* the signal's name without "SIG" ("KILL"), "?" when not known */
const char *proc_label__signal(uint32_t sig);
#endif
