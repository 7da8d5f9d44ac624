# SPDX-License-Identifier: MIT
"""gen.throw() and close() through delegation: a generator delegating with
`yield from` (and a coroutine awaiting another) is thrown into. CPython
makes each delegating frame current without running it, to hand the throw
on to the innermost one, which resumes with the throw: sys.setprofile
reports a call of the innermost frame only (its caller the delegate, which
runs only if the exception comes back out). Also throws that are caught and
resumed, and every evaluator entry from C in between (map() calling Python
functions), so that a probe taking the entries for throws would count too
many."""
import asyncio

ROUNDS = 200

Failure = type("Failure", (Exception,), {})


def inner():
    while True:
        try:
            yield 1
        except Failure:
            yield 2


def middle():
    yield from inner()


def outer():
    yield from middle()


def leaky():
    yield 1
    raise Failure("leaks")


def delegate_of_leaky():
    try:
        yield from leaky()
    except Failure:
        yield 3


def closing_inner():
    try:
        yield 1
    finally:
        touch(0)


def closing_outer():
    yield from closing_inner()


def touch(x):
    return x


async def awaited():
    await asyncio.sleep(0)
    return 1


async def awaiting():
    try:
        return await awaited()
    except Failure:
        return 4


def round_():
    n = 0
    g = outer()
    next(g)
    n += g.throw(Failure("through two delegates"))
    n += next(g)
    g = delegate_of_leaky()
    next(g)
    n += g.throw(Failure("into leaky, back out to its delegate"))
    g = closing_outer()
    next(g)
    g.close()
    c = awaiting()
    c.send(None)
    try:
        c.throw(Failure("through an await"))
    except StopIteration as stop:
        n += stop.value
    n += sum(map(touch, range(5)))
    return n


def main():
    return sum(round_() for _ in range(ROUNDS))


if __name__ == "__main__":
    import _harness
    _harness.run(main)
