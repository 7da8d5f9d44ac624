# SPDX-License-Identifier: MIT
"""--lines workload (test_sample_lines.py; not in helpers.WORKLOAD_LIST).

hot() spends its CPU in two lines, LINE_A doing twice the work of LINE_B;
the CPU time of each line, measured here with time.thread_time() around
it, is the ground truth of their sample shares. Each call's N is drawn at
random so that the loop is not strictly periodic (a fixed sampling period
could be in step with it: "Limits" in docs/sampling.md). Phase 1 calls hot() for
E2E_SAMPLE_SECONDS of CPU; phase 2 calls it from the bottom of a recursion DEPTH
deep for E2E_DEEP_SECONDS. The lines come from the interpreter: the
markers' lines in this file, and every line each function has (co_lines()
on 3.10+, dis.findlinestarts before). All of it goes to stderr as one
`truth: JSON` line."""
import dis
import json
import os
import random
import sys
import time

DEPTH = int(os.environ.get("E2E_SAMPLE_DEPTH", "600"))


def hot(n, acc):
    s = 0
    t0 = time.thread_time()
    for i in range(2 * n): s += i * i  # LINE_A
    t1 = time.thread_time()
    for i in range(n): s += i * i  # LINE_B
    t2 = time.thread_time()
    acc[0] += t1 - t0
    acc[1] += t2 - t1
    return s


def spin(seconds, acc):
    rng = random.Random(7)
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        hot(rng.randint(2000, 4000), acc)  # LINE_SPIN


def deep(n, acc):
    if n == 0:
        return spin(float(os.environ.get("E2E_DEEP_SECONDS", "1.5")), acc)  # LINE_BOTTOM
    return deep(n - 1, acc)  # LINE_DEEP


def lines_of(code):
    # and co_firstlineno: f_lineno of a frame that has not started yet
    if sys.version_info >= (3, 10):
        lines = {ln for _, _, ln in code.co_lines() if ln is not None}
    else:
        lines = {ln for _, ln in dis.findlinestarts(code)}
    return sorted(lines | {code.co_firstlineno})


def marker(name):
    with open(__file__) as f:
        for n, text in enumerate(f, 1):
            if text.rstrip().endswith("# " + name):
                return n
    raise LookupError(name)


def main():
    sys.setrecursionlimit(DEPTH + 200)
    acc = [0.0, 0.0]
    end = time.thread_time() + float(os.environ.get("E2E_SAMPLE_SECONDS", "3"))
    rng = random.Random(6)
    while time.thread_time() < end:
        hot(rng.randint(15000, 25000), acc)
    deep(DEPTH, acc)
    truth = {
        "a_cpu": acc[0], "b_cpu": acc[1],
        "markers": {m: marker(m) for m in ("LINE_A", "LINE_B", "LINE_SPIN", "LINE_BOTTOM",
                                           "LINE_DEEP")},
        "lines": {f.__name__: lines_of(f.__code__) for f in (hot, spin, deep, main)},
    }
    sys.stderr.write("truth: %s\n" % json.dumps(truth))
    sys.stderr.flush()
    return 0


if __name__ == "__main__":
    import _harness
    _harness.run(main)
