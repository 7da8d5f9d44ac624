/* SPDX-License-Identifier: MIT */
/* Forked unit test runner: one child per test; prints "N passed, N failed". */
#include <sys/wait.h>
#include <unistd.h>
#include <stdbool.h>
#include "unit.h"

#define MAX_TESTS 1024
static struct { const char *name, *file; void (*fn)(void); } tests[MAX_TESTS];
static int n_tests;

void unit_register(const char *name, const char *file, void (*fn)(void))
{
	if (n_tests < MAX_TESTS)
		tests[n_tests++] = (typeof(tests[0])){ name, file, fn };
}

void unit_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", file, line, expr);
	fflush(stderr);
	_exit(1);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (int i = 0; i < n_tests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			tests[i].fn();
			fflush(stdout);
			_exit(0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		printf("%s %s (%s)\n", ok ? "PASS" : "FAIL", tests[i].name, tests[i].file);
		if (ok)
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
