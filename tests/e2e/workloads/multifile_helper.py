# SPDX-License-Identifier: MIT
"""Second file of the multifile workload: same function names as in
multifile.py (different identities), a class, non-ASCII names."""


def compute(x):
    return x + 1


class Accumulator:
    def __init__(self):
        self.total = 0

    def add(self, v):
        self.total += compute(v)
        return self


def grüße(n):
    return n * 2


def 関数(n):
    return grüße(n) + 1


def 𠀀𠀁(n):
    return 関数(n) + 1
