# SPDX-License-Identifier: MIT
"""Functions whose true self times are known by construction (the test of
--subtract-probe-cost, tests/e2e/test_probe_cost_subtract.py).

Usage: PY probe_subtract.py N

Each function's own work is a spin until its thread's CPU time
(time.thread_time_ns, a C function: no Python call, no probe) has advanced
by a fixed amount; the spin measures itself, and the sums per function are
printed at the end as `truth: {json}` on stderr: what each function's self
time is, the few statements around the spins aside (the loop, the sums:
well under a microsecond an iteration). Wall-clock sums of the same spins
(time.perf_counter_ns) come too, for a loaded machine's preemption. The
spin is written out in each function, not called: a helper would be a
Python call of its own, its time no longer the function's self time.

- outer() makes N calls of leaf(), spinning 20 us before each; leaf()
  spins 15 us: every probe event of leaf lands next to outer's own time.
- a generator pipeline: source() spins 20 us and yields, stage() spins
  20 us per item it takes and yields it on, drain() spins 20 us per item:
  N items, each two resumptions and two yields (on 3.13 the yield's probe
  site is single-stepped: its extra cost falls on the consumer).
"""
import json
import sys
import time

tt = time.thread_time_ns
wall = time.perf_counter_ns
T = {}		# function -> [thread ns, wall ns, spins]


def leaf():
    w0 = wall()
    t0 = tt()
    while tt() - t0 < 15000:
        pass
    t1 = tt()
    r = T["leaf"]
    r[0] += t1 - t0
    r[1] += wall() - w0
    r[2] += 1


def outer(n):
    r = T["outer"]
    for _ in range(n):
        w0 = wall()
        t0 = tt()
        while tt() - t0 < 20000:
            pass
        t1 = tt()
        r[0] += t1 - t0
        r[1] += wall() - w0
        r[2] += 1
        leaf()


def source(n):
    r = T["source"]
    for i in range(n):
        w0 = wall()
        t0 = tt()
        while tt() - t0 < 20000:
            pass
        t1 = tt()
        r[0] += t1 - t0
        r[1] += wall() - w0
        r[2] += 1
        yield i


def stage(items):
    r = T["stage"]
    for x in items:
        w0 = wall()
        t0 = tt()
        while tt() - t0 < 20000:
            pass
        t1 = tt()
        r[0] += t1 - t0
        r[1] += wall() - w0
        r[2] += 1
        yield x


def drain(n):
    r = T["drain"]
    for x in stage(source(n)):
        w0 = wall()
        t0 = tt()
        while tt() - t0 < 20000:
            pass
        t1 = tt()
        r[0] += t1 - t0
        r[1] += wall() - w0
        r[2] += 1


def main():
    n = int(sys.argv[1])
    for name in ("leaf", "outer", "source", "stage", "drain"):
        T[name] = [0, 0, 0]
    outer(n)
    drain(n)
    sys.stderr.write("truth: %s\n" % json.dumps(
        {k: {"thread_ns": v[0], "wall_ns": v[1], "spins": v[2]} for k, v in T.items()}))


if __name__ == "__main__":
    main()
