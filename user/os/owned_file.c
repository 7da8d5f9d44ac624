// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "os/owned_file.h"
#include "os/proc_status.h"

#define ERR(fmt, ...) snprintf(err, errlen, fmt, ##__VA_ARGS__)

int owned_file__uids(int pid, uid_t uids[4], char *err, size_t errlen)
{
	gid_t gids[4];
	int ret = proc_status__ids(pid, uids, gids);

	if (ret)
		ERR("cannot read the uids of PID %d: %s", pid, strerror(-ret));
	return ret;
}

int owned_file__check(int fd, const char *name, const uid_t uids[4], uint64_t *size,
		      char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st)) {
		int ret = -errno;

		ERR("%s: %s", name, strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		ERR("%s is not a regular file: not read", name);
		return -EPERM;
	}
	/* a hard link to a file the user does not own fails here too */
	if (st.st_uid != uids[0] && st.st_uid != uids[1] && st.st_uid != uids[2] &&
	    st.st_uid != uids[3]) {
		ERR("%s is owned by uid %u, not by the process's user (uid %u): not read",
		    name, (unsigned)st.st_uid, (unsigned)uids[1]);
		return -EPERM;
	}
	if (size)
		*size = st.st_size;
	return 0;
}

ssize_t owned_file__pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	return got;
}
