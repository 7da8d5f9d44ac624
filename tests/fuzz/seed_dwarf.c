// SPDX-License-Identifier: MIT
/*
 * Not run: compiled with -g -O2 by `make fuzz-seeds` into a small ELF
 * file whose DWARF has what the tracer looks for in CPython's (a label
 * exit_unwind inside _PyEval_EvalFrameDefault, the parameter generation
 * of gc_collect_main), the DWARF fuzz target's seed.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long gc_collect_main(void *tstate, int generation, long *collected)
{
	long n = 0;

	for (int i = 0; i <= generation; i++)
		n += collected[i] + (long)tstate;
	return n;
}

__attribute__((noinline)) long _PyEval_EvalFrameDefault(void *tstate, long *frame, int throwflag)
{
	long acc = 0;

	if (throwflag)
		goto exit_unwind;
	for (long i = 0; i < frame[0]; i++) {
		if (frame[i + 1] < 0)
			goto error;
		acc += frame[i + 1];
	}
	return acc;
error:
	{
		long gen = gc_collect_main(tstate, 2, frame);
		if (gen > 100)
			goto exit_unwind;
		acc -= gen;
	}
exit_unwind:
	fprintf(stderr, "unwinding %ld\n", acc);
	return -1;
}

int main(int argc, char **argv)
{
	long frame[4] = { 3, argc, 2, -1 };

	return (int)_PyEval_EvalFrameDefault(argv, frame, argc > 3);
}
