// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include "os/proc_status.h"
#include "capture/sw_filter.h"
#include "tracer.skel.h"

#define ERR(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

/* the longest cgroup2 mount point of /proc/self/mountinfo that holds PATH */
static int cgroup2_mount(const char *path, char *mnt, size_t n)
{
	char line[4096], dir[PATH_MAX];
	size_t best = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - cgroup2 ");
		size_t l;

		/* id parent major:minor root MOUNT_POINT ... */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", dir) != 1)
			continue;
		l = strlen(dir);
		if (l > best && !strncmp(path, dir, l) && (path[l] == '/' || !path[l] || l == 1)) {
			best = l;
			snprintf(mnt, n, "%s", dir);
		}
	}
	fclose(f);
	return best ? 0 : -ENOENT;
}

int sw_filter__init(struct sw_filter *f, const struct session_opts *o, char *err, size_t errlen)
{
	char real[PATH_MAX], mnt[PATH_MAX];
	struct statfs sfs;
	size_t l;

	memset(f, 0, sizeof(*f));
	f->o = o;
	f->cgroup_fd = -1;
	for (int i = 0; i < o->n_comm; i++)
		if (strlen(o->comm[i]) > 15)
			return ERR("--comm %s: a process name has at most 15 characters (the "
				   "kernel's comm)", o->comm[i]), -EINVAL;
	if (!o->cgroup)
		return 0;
	if (!realpath(o->cgroup, real) ||
	    (f->cgroup_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return ERR("--cgroup %s: %s", o->cgroup, strerror(errno)), -errno;
	if (fstatfs(f->cgroup_fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC ||
	    cgroup2_mount(real, mnt, sizeof(mnt))) {
		sw_filter__free(f);
		return ERR("--cgroup %s: not a cgroup v2 directory (cgroup v1 hierarchies are "
			   "not supported; v2 is mounted where `mount -t cgroup2` shows)",
			   o->cgroup), -EINVAL;
	}
	l = strlen(mnt);
	const char *rel = l > 1 ? real + l : real;
	if (strlen(rel) >= sizeof(f->cgroup_rel)) {
		sw_filter__free(f);
		return ERR("--cgroup %s: the path is too long", o->cgroup), -ENAMETOOLONG;
	}
	memcpy(f->cgroup_rel, rel, strlen(rel) + 1);
	if (!strcmp(f->cgroup_rel, "/"))
		f->cgroup_rel[0] = 0;
	return 0;
}

void sw_filter__free(struct sw_filter *f)
{
	if (f->cgroup_fd >= 0)
		close(f->cgroup_fd);
	f->cgroup_fd = -1;
}

void sw_filter__configure(const struct sw_filter *f, struct tracer_bpf *skel)
{
	skel->rodata->system_wide = true;
	skel->rodata->comm_filters = f->o->n_comm;
	for (int i = 0; i < f->o->n_comm && i < SESSION_MAX_COMMS; i++)
		strncpy((char *)skel->rodata->comm_filter[i], f->o->comm[i], 15);
	skel->rodata->cgroup_filter_on = f->cgroup_fd >= 0;
}

int sw_filter__fill_maps(const struct sw_filter *f, struct tracer_bpf *skel)
{
	__u32 zero = 0, self = getpid();
	__u8 one = 1;
	int ret = 0;

	if (f->cgroup_fd >= 0)
		ret = bpf_map__update_elem(skel->maps.cgroup_filter, &zero, sizeof(zero),
					   &f->cgroup_fd, sizeof(f->cgroup_fd), BPF_ANY);
	if (!ret)
		ret = bpf_map__update_elem(skel->maps.excluded_pids, &self, sizeof(self), &one,
					   sizeof(one), BPF_ANY);
	for (int i = 0; !ret && i < f->o->n_exclude; i++) {
		__u32 pid = f->o->exclude_pid[i];
		ret = bpf_map__update_elem(skel->maps.excluded_pids, &pid, sizeof(pid), &one,
					   sizeof(one), BPF_ANY);
	}
	return ret;
}

bool sw_filter__wants(const struct sw_filter *f, int pid)
{
	const struct session_opts *o = f->o;
	char path[64], comm[32] = "", cg[512];
	bool match = !o->n_comm;
	FILE *fp;

	if (pid == getpid())
		return false;
	for (int i = 0; i < o->n_exclude; i++)
		if (o->exclude_pid[i] == pid)
			return false;
	if (o->n_comm) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		fp = fopen(path, "re");
		if (!fp)
			return false;
		if (fgets(comm, sizeof(comm), fp))
			comm[strcspn(comm, "\n")] = 0;
		fclose(fp);
		for (int i = 0; i < o->n_comm && !match; i++)
			match = !strcmp(comm, o->comm[i]);
	}
	if (!match)
		return false;
	if (f->cgroup_fd >= 0) {
		size_t l = strlen(f->cgroup_rel);

		if (proc_status__cgroup2(pid, cg, sizeof(cg)))
			return false;
		return !l || (!strncmp(cg, f->cgroup_rel, l) && (!cg[l] || cg[l] == '/'));
	}
	return true;
}

void sw_filter__describe(const struct sw_filter *f, char *buf, size_t n)
{
	const struct session_opts *o = f->o;
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < o->n_comm && used < n; i++)
		used += snprintf(buf + used, n - used, "%s%s", i ? " or " : " named ", o->comm[i]);
	if (o->cgroup && used < n)
		used += snprintf(buf + used, n - used, " in cgroup %s",
				 f->cgroup_rel[0] ? f->cgroup_rel : "/");
	if (o->n_exclude && used < n)
		snprintf(buf + used, n - used, ", %d PID%s excluded", o->n_exclude,
			 o->n_exclude > 1 ? "s" : "");
}
