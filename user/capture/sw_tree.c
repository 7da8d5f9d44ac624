// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "capture/launch.h"
#include "capture/sw_tree.h"
#include "capture/target.h"
#include "os/proc_status.h"
#include "tracer.skel.h"

int sw_tree__add(struct tracer_bpf *skel, int pid)
{
	__u32 key = pid;
	__u8 one = 1;

	return bpf_map__update_elem(skel->maps.tree_pids, &key, sizeof(key), &one, sizeof(one),
				    BPF_ANY);
}

bool sw_tree__has(struct tracer_bpf *skel, int pid)
{
	__u32 key = pid;
	__u8 v;

	return !bpf_map__lookup_elem(skel->maps.tree_pids, &key, sizeof(key), &v, sizeof(v), 0);
}

int sw_tree__add_running(struct tracer_bpf *skel, int root, void (*fn)(void *ctx, int pid),
			 void *ctx)
{
	int added = 0, ret;
	bool again = true;

	if ((ret = sw_tree__add(skel, root)))
		return ret;
	while (again) {
		DIR *d = opendir("/proc");
		struct dirent *de;

		if (!d)
			return -errno;
		again = false;
		while ((de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);
			int ppid;

			if (*end || pid <= 0 || pid == root || pid == getpid() ||
			    sw_tree__has(skel, pid) || proc_status__ppid(pid, &ppid) ||
			    ppid <= 0 || !sw_tree__has(skel, ppid))
				continue;
			if ((ret = sw_tree__add(skel, pid))) {
				closedir(d);
				return ret;
			}
			added++;
			again = true;
			if (fn)
				fn(ctx, pid);
		}
		closedir(d);
	}
	return added;
}

int sw_tree__launch(struct tracer_bpf *skel, char *const argv[], struct launch **l, char *err,
		    size_t errlen)
{
	int ret = launch__start(argv, NULL, l, err, errlen), py;

	if (ret)
		return ret;
	/* stopped: it forks nothing before it is in the tree */
	if ((ret = sw_tree__add(skel, launch__pid(*l)))) {
		snprintf(err, errlen, "cannot follow the process tree: %s", strerror(-ret));
		goto fail;
	}
	while ((py = target__is_python(launch__pid(*l))) == 0) {
		if ((ret = launch__next_exec(*l))) {
			snprintf(err, errlen, ret == -ECHILD ? "%s exited without running a Python "
				 "interpreter" : "cannot follow %s: %s", argv[0], strerror(-ret));
			goto fail;
		}
	}
	if (py > 0)
		return 0;
	ret = py;
	snprintf(err, errlen, "cannot inspect %s: %s", argv[0], strerror(-ret));
fail:
	launch__abort(*l);
	*l = NULL;
	return ret;
}
