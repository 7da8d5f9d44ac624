# SPDX-License-Identifier: MIT
"""Imported by cov_main.py and cov_attach.py (test_coverage.py): classes
with a property, a staticmethod, a classmethod and a method never called,
a generator function, a one-line def, two lambdas (one name, two lines),
a function defined twice under one name (one of them never runs), a
context manager, an exception raised and caught. Deterministic."""
import sys


class Shape(object):
    sides = 0

    def __init__(self, size):
        self.size = size

    @property
    def area(self):
        return self.size * self.size

    @staticmethod
    def unit():
        return Shape(1)

    @classmethod
    def named(cls, name):
        return "%s:%s" % (cls.__name__, name)

    def unused(self):
        return None


class Square(Shape):
    sides = 4

    def describe(self):
        return "square %d" % self.area


def countdown(n):
    while n > 0:
        yield n
        n -= 1


def one_liner(x): return x + 1


pick = (lambda a: a + 1,
        lambda a: a + 2)


if sys.version_info >= (3, 0):
    def variant():
        return "new"
else:
    def variant():
        return "old"


class Tracked(object):
    def __enter__(self):
        self.depth = 1
        return self

    def __exit__(self, *exc):
        self.depth = 0
        return False


def fail(x):
    raise ValueError(x)


def use_all():
    sq = Square(3)
    out = [sq.describe(), Shape.unit().area, Shape.named("x")]
    out.append(list(countdown(2)))
    out.append(one_liner(1) + pick[0](1) + pick[0](2) + pick[1](1))
    out.append(variant())
    with Tracked() as t:
        out.append(t.depth)
    try:
        fail(3)
    except ValueError as e:
        out.append(str(e))
    return out
