// SPDX-License-Identifier: MIT
/*
 * `tracer report` on a damaged recording: the input is written to a file
 * and given to cmd_report itself, with every output format (the summary
 * included), so that the reader, the analyzer and each writer see what a
 * user's damaged or crafted .trace would give them.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include "cmd/commands.h"
#include "fuzz.h"

static char dir[64];
static const char *const formats[] = { "x.json", "x.xml", "x.folded", "x.lcov", "x.pftrace",
				       "x.pprof", "x.speedscope.json", "x.svg" };
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))
static char outs[N_FORMATS][128];

static void remove_outputs(void)
{
	for (size_t i = 0; i < N_FORMATS; i++)
		unlink(outs[i]);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null = open("/dev/null", O_WRONLY);

	/* the summary goes to stdout: not to libFuzzer's output */
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	/* tmpfs when there is one: every input writes each format */
	snprintf(dir, sizeof(dir), "%s/tracer-fuzz-%d",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", (int)getpid());
	if (mkdir(dir, 0700) && access(dir, W_OK))
		abort();
	for (size_t i = 0; i < N_FORMATS; i++)
		snprintf(outs[i], sizeof(outs[i]), "%s/%s", dir, formats[i]);
	atexit(remove_outputs);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	char *argv[4 + 2 * N_FORMATS + 1];
	int argc = 0, fd = fuzz_memfd(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	argv[argc++] = "report";
	argv[argc++] = path;
	argv[argc++] = "-o";
	argv[argc++] = "-";
	for (size_t i = 0; i < N_FORMATS; i++) {
		argv[argc++] = "-o";
		argv[argc++] = outs[i];
	}
	argv[argc] = NULL;
	cmd_report(argc, argv);
	close(fd);
	return 0;
}
