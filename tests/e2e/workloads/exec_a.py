# SPDX-License-Identifier: MIT
"""Workload of test_exec.py: runs main() (counted), then execs
E2E_EXEC_PYTHON on exec_b.py: the same process goes on in a new image.
Under ground truth, exec_b.py's counts go to E2E_GROUND_TRUTH + ".b"."""
import os
import sys


def area(n):
    return n * n


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def gen(n):
    for i in range(n):
        yield area(i)


def main():
    return fib(12) + sum(gen(40))


if __name__ == "__main__":
    import _harness
    _harness.run(main)
    gt = os.environ.get("E2E_GROUND_TRUTH")
    if gt:
        os.environ["E2E_GROUND_TRUTH"] = gt + ".b"
    py = os.environ["E2E_EXEC_PYTHON"]
    b = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exec_b.py")
    os.execv(py, [py, b])
