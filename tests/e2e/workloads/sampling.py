# SPDX-License-Identifier: MIT
"""CPU sampling workload (test_sample.py; not in helpers.WORKLOAD_LIST).

Phase 1: f() does twice the work of g(), for E2E_SAMPLE_SECONDS of CPU (so
that a loaded machine does not thin the samples out), in
rounds of one call of each in a shuffled order; the CPU time of each,
measured here with time.thread_time() around every call, is the ground
truth of their sample shares. (A fixed order made the loop strictly
periodic, and a fixed sampling period can then be in step with it: see
"Limits" in docs/sampling.md. These tests check what a sample says, not
that limit.) Phase 2: a recursion DEPTH deep whose innermost frame spins for
E2E_DEEP_SECONDS of CPU; the number of Python frames of the spinning
stack, counted here by walking sys._getframe(), is the ground truth of the
sampled stacks' depth. Both go to stderr as `truth: ...` lines."""
import os
import random
import sys
import time

DEPTH = int(os.environ.get("E2E_SAMPLE_DEPTH", "600"))


def work(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def f():
    return work(20000)


def g():
    return work(10000)


def spin(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        work(300)


def stack_depth():
    """the Python frames of the caller's stack, the caller's included"""
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def deep(n, out):
    if n == 0:
        out.append(stack_depth() + 1)	# with spin(), the innermost frame that spins
        spin(float(os.environ.get("E2E_DEEP_SECONDS", "1.5")))
        return 0
    return deep(n - 1, out)


def main():
    sys.setrecursionlimit(DEPTH + 200)
    tf = tg = 0.0
    end = time.thread_time() + float(os.environ.get("E2E_SAMPLE_SECONDS", "3"))
    rng = random.Random(6)
    while time.thread_time() < end:
        for fn in rng.sample((f, g), 2):
            t0 = time.thread_time()
            fn()
            t = time.thread_time() - t0
            if fn is f:
                tf += t
            else:
                tg += t
    sys.stderr.write("truth: f_cpu=%.6f g_cpu=%.6f\n" % (tf, tg))
    out = []
    deep(DEPTH, out)
    sys.stderr.write("truth: spin_depth=%d\n" % out[0])
    sys.stderr.flush()
    return out[0]


if __name__ == "__main__":
    import _harness
    _harness.run(main)
