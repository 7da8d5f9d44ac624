# SPDX-License-Identifier: MIT
"""Workload of test_subprocesses.py: main() runs some work itself, then
starts, one after the other, a multiprocessing.Pool of 2 workers (start
method E2E_MP_START, default fork; a barrier makes each worker take one
task), a child by
subprocess.run([sys.executable, this file, "child"]) (fork + exec) and an
os.fork() child; and `true`, not a Python process. Each child's work runs through _children.run_child, which
under ground truth profiles it on its own and writes its counts to
E2E_GROUND_TRUTH + ".ROLE.PID" (ROLE: pool, sub, fork). Counts are
deterministic in every process."""
import functools
import multiprocessing
import os
import subprocess
import sys

import _children


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def squares(n):
    for i in range(n):
        yield i * i


class Box(object):
    def __init__(self, v):
        self.v = v

    def get(self):
        return self.v


def parent_work():
    return fib(10) + sum(squares(20))


def pool_work(n):
    return sum(Box(fib(k)).get() for k in range(n))


def sub_work():
    return sum(squares(30)) + fib(9)


def fork_work():
    return sum(Box(i).get() for i in squares(15)) + fib(8)


def main():
    total = parent_work()
    ctx = multiprocessing.get_context(os.environ.get("E2E_MP_START", "fork"))
    with ctx.Pool(2, initializer=_children.pool_init, initargs=(ctx.Barrier(2),)) as pool:
        total += sum(pool.map(functools.partial(_children.pool_task, pool_work), [9, 9],
                              chunksize=1))
    subprocess.run([sys.executable, os.path.abspath(__file__), "child"], check=True)
    subprocess.run(["true"], check=True)        # a child that is no Python process
    pid = os.fork()
    if pid == 0:
        try:
            _children.run_child("fork", fork_work)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return total if status == 0 else -1


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        _children.run_child("sub", sub_work)
    else:
        import _harness
        _harness.run(main)
