# SPDX-License-Identifier: MIT
"""The observer effect's workload (test_observer.py): a function that makes
many tiny calls and one that makes none, each timed by the workload itself
with its thread's CPU time (time.thread_time_ns around the call), printed
as one JSON line: {"many": ns, "few": ns, "calls": N}."""
import json
import sys
import time


def tiny(x):
    return x


def many(n):
    for i in range(n):
        tiny(i)


def few(n):
    s = 0
    for i in range(n):
        s += i
    return s


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    t0 = time.thread_time_ns()
    many(n)
    t1 = time.thread_time_ns()
    few(m)
    t2 = time.thread_time_ns()
    print(json.dumps({"many": t1 - t0, "few": t2 - t1, "calls": n}))


main()
