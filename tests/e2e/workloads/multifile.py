# SPDX-License-Identifier: MIT
"""A workload spread over two files (multifile.py + multifile_helper.py)
with plain call chains, functions of the same name in both files, nested
closures, and names that are not ASCII (1, 2 and 4 bytes per character in
CPython's string representation). Deterministic counts."""

helper = None   # imported by main(): its module body and class body run traced


def compute(x):
    return helper.compute(x) * 2


def outer(n):
    def inner(k):
        def innermost(j):
            return j + 1
        return innermost(k) + 1
    return sum(inner(k) for k in range(n))


def café(n):
    return helper.grüße(n) + helper.関数(n) + helper.𠀀𠀁(n)


def Ωmega(n):
    return café(n) - 1


def main():
    global helper
    import multifile_helper as helper
    acc = helper.Accumulator()
    total = 0
    for i in range(300):
        total += compute(i)
        acc.add(i)
    for i in range(20):
        total += outer(5)
        total += Ωmega(i)
    return [total, acc.total]


if __name__ == "__main__":
    import _harness
    _harness.run(main)
