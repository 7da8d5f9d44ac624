# SPDX-License-Identifier: MIT
"""A small workload with most kinds of Python frames (runs on 3.8-3.14, no
third-party imports). Module level only imports and defines: everything
that runs a Python frame runs inside main(), so the tracer and the
ground-truth profiler see the same calls. Counts are deterministic."""
import asyncio
import sys
import threading

DEPTH = 450
N_THREADS = 4


# ---- recursion ------------------------------------------------------------
def recurse(n):
    if n == 0:
        return 0
    return recurse(n - 1) + 1


# ---- threads --------------------------------------------------------------
def square(x):
    return x * x


def worker(i, out, barrier):
    barrier.wait()          # all workers alive together: distinct threads
    total = 0
    for k in range(40):
        total += square(k + i)
    out[i] = total


def run_threads():
    out = [0] * N_THREADS
    barrier = threading.Barrier(N_THREADS)
    threads = [threading.Thread(target=worker, args=(i, out, barrier))
               for i in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(out)


# ---- generators -----------------------------------------------------------
def countdown(n):
    while n > 0:
        yield n
        n -= 1


def chain(a, b):
    yield from countdown(a)
    yield from countdown(b)


def gen_work():
    total = sum(chain(5, 3))
    total += sum(x * 2 for x in countdown(4))
    total += sum([square(v) for v in range(5)])
    g = countdown(10)
    total += next(g) + next(g)
    g.close()
    return total


# ---- asyncio --------------------------------------------------------------
async def leaf(i):
    await asyncio.sleep(0)
    return i * 2


async def middle(i):
    a = await leaf(i)
    await asyncio.sleep(0)
    return a + 1


async def amain():
    results = await asyncio.gather(middle(0), middle(1), middle(2))
    return sum(results)


# ---- exceptions -----------------------------------------------------------
# no class statement at module level: its body would run before main()
Failure = type("Failure", (Exception,), {})


def fail_deep(n):
    if n == 0:
        raise Failure("bottom")
    fail_deep(n - 1)


def cleanup_then_fail():
    try:
        fail_deep(2)
    finally:
        square(3)


def catch_failures():
    caught = 0
    for _ in range(5):
        try:
            fail_deep(4)
        except Failure:
            caught += 1
    try:
        cleanup_then_fail()
    except Failure:
        caught += 1
    return caught


# ---- classes, properties, class/static methods ---------------------------
def make_classes():
    class Shape:
        sides = 0

        def __init__(self, size):
            self._size = size

        @property
        def size(self):
            return self._size

        @size.setter
        def size(self, value):
            self._size = value

        @classmethod
        def make(cls, size):
            return cls(size)

        @staticmethod
        def describe(n):
            return "shape%d" % n

    class Square(Shape):
        sides = 4

        def area(self):
            return self.size * self.size

    return Shape, Square


def use_classes():
    Shape, Square = make_classes()
    total = 0
    for i in range(6):
        s = Square.make(i)
        s.size = i + 1
        total += s.area() + len(Shape.describe(i))
    return total


# ---- decorators -----------------------------------------------------------
def logged(fn):
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def use_decorators():
    @logged
    def add(a, b):
        return a + b

    @logged
    def mul(a, b):
        return a * b

    total = 0
    for i in range(7):
        total += add(i, 1) + mul(i, 2)
    return total


# ---- C -> Python re-entry, lambdas -----------------------------------------
def neg(x):
    return -x


def reentry():
    data = sorted(range(20), key=neg)
    data = list(map(square, data))
    odd = list(filter(lambda v: v % 2, data))
    return sum(odd) + max(range(8), key=lambda v: (v * 5) % 7)


def main():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(DEPTH + 500)
    try:
        r = recurse(DEPTH)
    finally:
        sys.setrecursionlimit(old)
    return [r, run_threads(), gen_work(), asyncio.run(amain()),
            catch_failures(), use_classes(), use_decorators(), reentry()]


if __name__ == "__main__":
    import _harness
    _harness.run(main)
