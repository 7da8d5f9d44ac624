# SPDX-License-Identifier: MIT
"""Benchmark workload: Python functions entered from C, timed in-process.

Usage: PY callback_workload.py map|gen CALLS RESULT_FILE

  map  list(map(f, range(CALLS))): every call of f enters the evaluator
       from C (as callbacks, sort keys and dunder methods do)
  gen  a for loop over a generator of CALLS items: on 3.11 every
       resumption enters the evaluator from C (3.12+ resume it inline)

With the dispatch strategy such an entry used to cost a trap more (the
uprobe on the evaluator's entry that caught gen.throw(); now the throw has
a site of its own, user/cpython/throw_site.c). Only the loop is timed; its
seconds go to RESULT_FILE as one line. Run by tools/bench/callbackbench.py.
"""
import sys
import time


def f(x):
    return x


def gen(n):
    for i in range(n):
        yield i


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("map", "gen"):
        sys.stderr.write("usage: callback_workload.py map|gen CALLS RESULT_FILE\n")
        return 2
    n = int(sys.argv[2])
    t = time.perf_counter()
    if sys.argv[1] == "map":
        list(map(f, range(n)))
    else:
        for _ in gen(n):
            pass
    dt = time.perf_counter() - t
    with open(sys.argv[3], "w") as out:
        out.write("%.6f\n" % dt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
