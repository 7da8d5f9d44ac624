# SPDX-License-Identifier: MIT
"""Attach workload of test_coverage.py. Phase 1 runs, then the program
waits for the trigger file $E2E_TRIGGER (saying `workload: ready PID` on
stderr, like workloads/_harness.py); the tracer attaches meanwhile; phase 2
runs the rest, imports cov_helper.py and calls functions defined in
phase 1, with other branches. Without $E2E_TRIGGER (ground truth) the wait
loop still runs its body (polls >= 2)."""
import os
import sys
import time


def step(x):
    if x > 0:
        y = x * 2
    else:
        y = -x
    return y


def phase1_only():
    return [step(i) for i in range(-2, 1)]


def gen(n):
    for i in range(n):
        yield i


class Box(object):
    def __init__(self, v):
        self.v = v

    def get(self):
        return self.v

    def unused(self):
        return None


def one(x): return x + 1


square = lambda x: x * x


def never_called():
    return 0


def wait_trigger(path):
    sys.stderr.write("workload: ready %d\n" % os.getpid())
    sys.stderr.flush()
    polls = 0
    while polls < 2 or not os.path.exists(path):
        polls += 1
        time.sleep(0.005)
    return polls


def phase2():
    import cov_helper
    out = [step(3), step(4)]
    out.append(sum(gen(3)))
    out.append(Box(5).get())
    out.append(cov_helper.use_all())
    return out


r1 = phase1_only()
wait_trigger(os.environ.get("E2E_TRIGGER") or __file__)
r2 = phase2()
r3 = [one(1), square(2)]
print("result: %r" % ([r1, r2, r3],))
