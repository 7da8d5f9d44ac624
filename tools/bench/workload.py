# SPDX-License-Identifier: MIT
"""Benchmark workload: CALLS calls of a tiny function, timed in-process.

Usage: PY workload.py CALLS RESULT_FILE

Only the loop is timed (time.perf_counter around it), so interpreter
start-up, imports and tracer attach are excluded.  The result goes to
RESULT_FILE (not stdout, which the tracer's summary shares) as one line:
"loop_seconds=S calls=N cpu_seconds=C version=X.Y.Z", C being the
process's own CPU time (user + system) from start to the end of the loop.
Written to run unchanged on CPython 3.6 and later.
"""
import resource
import sys
import time


def tiny(x):
    return x


def loop(n):
    f = tiny
    t0 = time.perf_counter()
    for i in range(n):
        f(i)
    return time.perf_counter() - t0


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: workload.py CALLS RESULT_FILE\n")
        return 2
    n = int(sys.argv[1])
    if n <= 0:
        sys.stderr.write("workload.py: CALLS must be positive\n")
        return 2
    seconds = loop(n)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open(sys.argv[2], "w") as out:
        out.write("loop_seconds=%.9f calls=%d cpu_seconds=%.6f version=%s\n"
                  % (seconds, n, ru.ru_utime + ru.ru_stime, sys.version.split()[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
