# SPDX-License-Identifier: MIT
"""200 asyncio tasks on one loop (tests/e2e/test_async_tasks.py).

Task I (from 0) is named "job-I" when I % 3 != 0, else left to asyncio's
default name ("Task-N"); task 5's name has quotes, a newline and
characters beyond ASCII and Latin-1 (escaped in every output). Each one awaits a helper coroutine (which awaits
another) and sleeps a few times, so the tasks interleave on the loop's
thread: every coroutine of a task is resumed several times, from the loop
(the task's own coroutine) or from its awaiter (the helpers). One task
also starts a child task named "child-of-I" and awaits it.

E2E_ASYNC_TRUTH=1: instead of a plain run, the ground truth, measured by
the interpreter: sys.setprofile records, at each 'call' of a coroutine of
this file (a start or a resumption), the function and
asyncio.current_task()'s name. Printed on stderr as `truth: {json}`:
{"qualname|task": count}.
"""
import asyncio
import json
import os
import sys

N = 200
CO_COROUTINE = 0x80


async def leaf(i, r):
    await asyncio.sleep(0)
    return i + r


async def helper(i, r):
    v = await leaf(i, r)
    await asyncio.sleep(0)
    return v * 2


async def child(i):
    await asyncio.sleep(0)
    return i


async def job(i):
    s = 0
    for r in range(i % 3 + 1):
        s += await helper(i, r)
    if i == 7:
        s += await asyncio.get_running_loop().create_task(child(i), name="child-of-%d" % i)
    return s


async def amain():
    tasks = []
    for i in range(N):
        if i == 5:
            tasks.append(asyncio.create_task(job(i), name='j\u00f6b "5"\n\u2713'))
        elif i % 3:
            tasks.append(asyncio.create_task(job(i), name="job-%d" % i))
        else:
            tasks.append(asyncio.create_task(job(i)))
    return sum(await asyncio.gather(*tasks))


def main():
    return asyncio.run(amain())


def truth():
    here = os.path.abspath(__file__)
    counts = {}

    def prof(frame, event, arg):
        code = frame.f_code
        if event != "call" or code.co_filename != here or not code.co_flags & CO_COROUTINE:
            return
        try:
            t = asyncio.current_task()
        except RuntimeError:
            t = None
        key = "%s|%s" % (code.co_qualname, t.get_name() if t else "")
        counts[key] = counts.get(key, 0) + 1

    sys.setprofile(prof)
    try:
        result = main()
    finally:
        sys.setprofile(None)
    sys.stderr.write("truth: %s\n" % json.dumps(counts))
    return result


if __name__ == "__main__":
    if os.environ.get("E2E_ASYNC_TRUTH") == "1":
        sys.stdout.write("result: %r\n" % (truth(),))
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import _harness
        _harness.run(main)
