// SPDX-License-Identifier: MIT
/* link_batch__destroy: every fd of the batch is closed (from however many
 * threads), NULL links are skipped, and each entry is marked done; and
 * uprobe_multi__attach refuses an empty set before any system call */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "capture/link_batch.h"
#include "capture/uprobe_multi.h"
#include "unit.h"

#define N 100	/* more than the batch's threads */

TEST(link_batch_closes_every_fd)
{
	struct bpf_link *links[3] = { NULL, NULL, NULL };
	int fds[N], orig[N], p[2];

	for (int i = 0; i < N; i += 2) {
		CHECK_EQ(pipe(p), 0);
		fds[i] = orig[i] = p[0];
		fds[i + 1] = orig[i + 1] = p[1];
	}
	fds[7] = -1;	/* skipped */
	close(orig[7]);
	link_batch__destroy(links, 3, fds, N);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(fds[i], -1);
		CHECK(fcntl(orig[i], F_GETFD) == -1 && errno == EBADF);
	}
	for (int i = 0; i < 3; i++)
		CHECK(links[i] == NULL);
}

TEST(link_batch_empty)
{
	link_batch__destroy(NULL, 0, NULL, 0);
	CHECK(1);
}

TEST(uprobe_multi_refuses_nothing_to_attach)
{
	uint64_t off = 0x1000;

	CHECK_EQ(uprobe_multi__attach(3, "/nonexistent", &off, NULL, NULL, 0, false, -1), -EINVAL);
	CHECK_EQ(uprobe_multi__attach(-1, "/nonexistent", &off, NULL, NULL, 1, false, -1), -EINVAL);
}
