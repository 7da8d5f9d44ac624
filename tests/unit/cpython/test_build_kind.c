// SPDX-License-Identifier: MIT
/*
 * build_kind: the builds we refuse, told from real files where they exist
 * here (pyenv 2.7, 3.6, 3.7; Debian's pypy3 when installed) and from a
 * synthetic _Py_DebugOffsets header for the free-threaded flag (no
 * free-threaded or tail-calling build exists on this machine).
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include "unit.h"
#include "cpython/build_kind.h"

#define PYENV "/root/.pyenv/versions/"

static int other(const char *path, char *why)
{
	why[0] = 0;
	return build_kind__other_python(path, "F", why, 384);
}

TEST(build_kind_versions)
{
	char why[384];

	CHECK_EQ(build_kind__version(0x030800f0, why, sizeof(why)), 0);
	CHECK_EQ(build_kind__version(0x030d00f0, why, sizeof(why)), 0);
	CHECK_EQ(build_kind__version(0x030700f0, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "CPython 3.7 is not supported (3.8 to 3.") != NULL);
	CHECK_EQ(build_kind__version(0x030f00a1, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "CPython 3.15 is not supported (3.8 to 3.") != NULL);
	CHECK_EQ(build_kind__version(0x020712f0, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "Python 2 is not supported") != NULL);
}

TEST(build_kind_other_pythons_from_their_files)
{
	char why[384];

	if (access(PYENV "2.7.18/lib/libpython2.7.so.1.0", R_OK)) {
		printf("SKIP: pyenv 2.7.18 not present\n");
	} else {
		CHECK_EQ(other(PYENV "2.7.18/lib/libpython2.7.so.1.0", why), -ENOTSUP);
		CHECK(strstr(why, "F is Python 2: Python 2 is not supported") != NULL);
	}
	if (access(PYENV "3.6.15/lib/libpython3.6m.so.1.0", R_OK)) {
		printf("SKIP: pyenv 3.6.15 not present\n");
	} else {
		CHECK_EQ(other(PYENV "3.6.15/lib/libpython3.6m.so.1.0", why), -ENOTSUP);
		CHECK_STR(why, "CPython 3.6 is not supported (3.8 to 3.14 are)");
		/* its executable links the library: it tells nothing itself */
		CHECK_EQ(other(PYENV "3.6.15/bin/python3.6", why), 0);
	}
	if (access("/usr/lib/x86_64-linux-gnu/libpypy3.9-c.so", R_OK)) {
		printf("SKIP: Debian's pypy3 not installed (tools/install-deps.sh installs it)\n");
	} else {
		CHECK_EQ(other("/usr/lib/x86_64-linux-gnu/libpypy3.9-c.so", why), -ENOTSUP);
		CHECK(strstr(why, "F is PyPy: PyPy is not supported (yet)") != NULL);
	}
	/* supported interpreters, and files that are no Python: nothing said */
	CHECK_EQ(other("/usr/bin/python3.11", why), 0);
	CHECK_STR(why, "");
	CHECK_EQ(other("/bin/sh", why), 0);
	CHECK_EQ(other("/nonexistent", why), 0);
	if (!access(PYENV "3.12.1/lib/libpython3.12.so.1.0", R_OK))
		CHECK_EQ(other(PYENV "3.12.1/lib/libpython3.12.so.1.0", why), 0);
}

TEST(build_kind_free_threaded_flag_of_debug_offsets)
{
	unsigned char blob[32] = "xdebugpy";
	uint64_t version = 0x030d00f0, ft = 1;

	memcpy(blob + 8, &version, 8);
	memcpy(blob + 16, &ft, 8);
	CHECK_EQ(build_kind__free_threaded_offsets(blob, sizeof(blob)), 1);
	ft = 0;
	memcpy(blob + 16, &ft, 8);
	CHECK_EQ(build_kind__free_threaded_offsets(blob, sizeof(blob)), 0);
	CHECK_EQ(build_kind__free_threaded_offsets(blob, 23), -EINVAL);
	blob[0] = 'y';
	CHECK_EQ(build_kind__free_threaded_offsets(blob, sizeof(blob)), -EINVAL);
}

/* the real 3.13 and 3.14 builds here: GIL builds with computed gotos,
 * their _Py_DebugOffsets read (the header found: 0, not -EINVAL) */
TEST(build_kind_of_real_builds_is_default)
{
	static const char *libs[] = { PYENV "3.13.0/lib/libpython3.13.so.1.0",
				      PYENV "3.14.7/lib/libpython3.14.so.1.0",
				      PYENV "3.12.1/lib/libpython3.12.so.1.0",
				      "/usr/bin/python3.11" };
	struct build_kind k;
	char why[384];

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		if (access(libs[i], R_OK)) {
			printf("SKIP: %s not present\n", libs[i]);
			continue;
		}
		CHECK_EQ(build_kind__of_file(libs[i], &k), 0);
		CHECK(!k.free_threaded && !k.tail_calls);
		CHECK_EQ(k.debug_offsets, strstr(libs[i], "3.13") || strstr(libs[i], "3.14"));
		CHECK_EQ(build_kind__check(&k, true, why, sizeof(why)), 0);
	}
	CHECK_EQ(build_kind__of_file("/nonexistent", &k), -ENOENT);
}

TEST(build_kind_check_refusals)
{
	struct build_kind ft = { .free_threaded = true, .how = "X" };
	struct build_kind tc = { .tail_calls = true, .how = "Y" };
	char why[384];

	CHECK_EQ(build_kind__check(&ft, true, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "free-threaded") && strstr(why, "told by X") &&
	      strstr(why, "exact tracing is not supported") && strstr(why, "--sample"));
	/* sampling: allowed here, its layout decides (cpython/py_layout.c) */
	CHECK_EQ(build_kind__check(&ft, false, why, sizeof(why)), 0);
	CHECK_EQ(build_kind__check(&tc, true, why, sizeof(why)), -ENOTSUP);
	CHECK(strstr(why, "tail-calling") && strstr(why, "--sample"));
	CHECK_EQ(build_kind__check(&tc, false, why, sizeof(why)), 0);	/* sampling */
}
