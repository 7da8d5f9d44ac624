// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include "model/proc_label.h"
#include "cpython/pyversion.h"

const char *proc_label__extra(const struct in_process *p, char *buf, size_t len)
{
	int n = 0;

	buf[0] = 0;
	if (p->ns_pid && p->ns_pid != p->pid)
		n = snprintf(buf, len, "ns pid %u", p->ns_pid);
	if (p->cgroup[0] && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "%scgroup %.*s", n ? ", " : "",
			 (int)strnlen(p->cgroup, sizeof(p->cgroup)), p->cgroup);
	return buf;
}

const char *proc_label__name(const struct in_process *p, char *buf, size_t len)
{
	size_t exe_n = strnlen(p->exe, sizeof(p->exe));
	const char *base = memrchr(p->exe, '/', exe_n);
	char ver[16], extra[300];

	base = base ? base + 1 : p->exe;
	proc_label__extra(p, extra, sizeof(extra));
	snprintf(buf, len, "%.*s%s%s [pid %u%s%s]", (int)(exe_n - (base - p->exe)), base,
		 exe_n ? " " : "python ", pyversion__format(p->version_hex, ver, sizeof(ver)),
		 p->pid, extra[0] ? ", " : "", extra);
	return buf;
}

const char *proc_label__signal(uint32_t sig)
{
	const char *n = sig < 128 ? sigabbrev_np((int)sig) : NULL;

	return n ? n : "?";
}

const char *proc_label__launch_end(const struct launch_end *l, char *buf, size_t len)
{
	if (l->how == LAUNCH_END_EXIT)
		snprintf(buf, len, "exit code %u", l->value);
	else if (l->how == LAUNCH_END_SIGNAL)
		snprintf(buf, len, "killed by signal %u (SIG%s)%s", l->value,
			 proc_label__signal(l->value), l->core ? ", core dumped" : "");
	else
		return NULL;
	return buf;
}
