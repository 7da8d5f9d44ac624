# SPDX-License-Identifier: MIT
"""Tiny workload whose lines and calls are worked out by hand in
test_coverage.py (checks cov_truth.py, no tracer needed)."""


def f(x):
    if x:
        return 1
    return 2


def g():
    for i in range(2):
        yield i


def h():
    return 3


total = f(1) + f(0)
total += sum(g())
if total > 100:
    total = h()
