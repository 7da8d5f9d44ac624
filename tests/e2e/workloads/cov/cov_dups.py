# SPDX-License-Identifier: MIT
"""Code objects sharing a name and a first line (test_coverage.py): the
LCOV has one <lambda> there with the calls of both (one identity)."""


def sums(a, b):
    return sum(i for i in a) + sum(j for j in b)


pair = (lambda x: x + 1, lambda x: x * 2)

total = pair[0](1)
for k in range(3):
    total += pair[1](k)
total += sums((1, 2), (3, 4, 5, 6))
print("result: %r" % (total,))
