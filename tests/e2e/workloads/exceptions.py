# SPDX-License-Identifier: MIT
"""Exceptions-heavy workload: most frames here are left by an exception
(the eval loop's exit_unwind), through plain calls, finally blocks,
re-raises, generators (raised in, thrown into, closed), coroutines,
__init__ (3.13's specialized CALL_ALLOC_AND_ENTER_INIT runs it under a
shim frame), and context managers. (No RecursionError: the depth it is raised at
depends on the profiler's own frames, so the ground truth could not
match an unprofiled run.)"""
import asyncio

ROUNDS = 300

# no class statement at module level: its body would run before main()
Failure = type("Failure", (Exception,), {})


def raiser(n):
    if n == 0:
        raise Failure(n)
    return raiser(n - 1)


def catcher(k):
    try:
        raiser(k)
    except Failure:
        return 1
    return 0


def helper():
    return 1


def finally_path(n):
    try:
        raiser(n)
    finally:
        helper()


def reraiser(n):
    try:
        raiser(n)
    except Failure as e:
        raise ValueError(n) from e


def gen_raises(n):
    for i in range(n):
        yield i
    raise Failure("gen")


def gen_forever():
    while True:
        yield 1


def generators():
    n = 0
    try:
        for v in gen_raises(3):
            n += v
    except Failure:
        n += 1
    g = gen_forever()
    next(g)
    try:
        g.throw(Failure("thrown"))
    except Failure:
        n += 1
    g = gen_forever()
    next(g)
    g.close()
    return n


def gen_catches():
    while True:
        try:
            yield 1
        except Failure:
            yield 2


def gen_cleans():
    try:
        yield 1
    finally:
        finally_path(0)


def throws():
    """gen.throw()/close() entering frames without their RESUME: caught
    and resumed, a finally run by close() (each a call in sys.setprofile).
    (Into a coroutine, through `yield from` and await delegates: throws.py)"""
    n = 0
    g = gen_catches()
    next(g)
    n += g.throw(Failure("caught"))
    g = gen_cleans()
    next(g)
    try:
        g.close()
    except Failure:
        n += 1
    return n


async def coro_fails(n):
    await asyncio.sleep(0)
    raiser(n)


async def coro_catches():
    try:
        await coro_fails(2)
    except Failure:
        return 1
    return 0


def make_classes():
    class Boom:
        def __init__(self, v):
            if v % 3 == 0:
                raise Failure(v)
            self.v = v

    class Swallow:
        def __enter__(self):
            return self

        def __exit__(self, kind, value, tb):
            return kind is Failure

    return Boom, Swallow


def init_failures(Boom):
    built = 0
    for i in range(60):
        try:
            Boom(i)
            built += 1
        except Failure:
            pass
    return built


def swallowed(Swallow, n):
    with Swallow():
        raiser(n)
    return n


def main():
    Boom, Swallow = make_classes()
    total = [0, 0, 0, 0, 0, 0]
    for i in range(ROUNDS):
        total[0] += catcher(i % 5)
        try:
            finally_path(i % 3)
        except Failure:
            total[1] += 1
        try:
            reraiser(i % 4)
        except ValueError:
            total[2] += 1
        total[3] += generators() + throws()
        total[5] += swallowed(Swallow, i % 2)
    for _ in range(20):
        total[4] += init_failures(Boom)
        total[4] += asyncio.run(coro_catches())
    return total


if __name__ == "__main__":
    import _harness
    _harness.run(main)
