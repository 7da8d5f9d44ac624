# SPDX-License-Identifier: MIT
"""Calls of C functions made from Python code (issue 21, --c-calls): what
sys.setprofile reports as c_call / c_return / c_exception.

- sorted(key=...) whose key sleeps: the PyTorch-profiler check (one `sorted`
  call lasting at least the key's sleeps, the key calls nested inside);
- builtins and methods in loops long enough for 3.11+ to specialize them
  (len, isinstance, list.append, math.sqrt: the specialized instructions
  LEN / ISINSTANCE / LIST_APPEND never call the C function, setprofile
  still reports them), sum, str.join, repr through a Python classmethod,
  a C classmethod (int.from_bytes), C calls through f(*args);
- a C call that raises (math.sqrt(-1): c_exception), and len and
  isinstance raising at the end of loops that have specialized them (3.12+
  LEN / ISINSTANCE: PyObject_Size / PyObject_IsInstance return -1);
- C calls in a generator (resumed from C by sum) and in two threads.

Types (range, list, str, int) are called too: setprofile reports no
c_call for them, nor may the tracer.

Run with E2E_CCALL_TRUTH=PATH, main() runs under the profiler of
../ccall_truth.py (the ground truth); else under _harness like any workload.
"""
import math
import os
import sys
import threading
import time

KEY_SLEEP = 0.02
ITEMS = [3, 1, 4, 5, 2]
LOOP = 60


def slow_key(x):
    time.sleep(KEY_SLEEP)
    return -x


class Shown(object):
    @classmethod
    def show(cls, v):
        return repr(v)


def roots(n):
    for i in range(n):
        yield math.sqrt(i)


def worker(n, out):
    for i in range(n):
        out.append(len(str(i)))


def raisers():
    n = 0
    for x in ["ab"] * (LOOP - 1) + [5]:
        try:
            n += len(x)
        except TypeError:
            n += 1
    for c in [int] * (LOOP - 1) + [5]:
        try:
            n += isinstance(n, c)
        except TypeError:
            n += 1
    return n


def main():
    ordered = sorted(ITEMS, key=slow_key)
    acc = []
    n_int = 0
    for i in range(LOOP):
        acc.append(i)
        n_int += isinstance(i, int)
        math.sqrt(i)
        len(acc)
    shown = [Shown.show(i) for i in range(3)]
    joined = ",".join(shown)
    raised = 0
    try:
        math.sqrt(-1)
    except ValueError:
        raised = 1
    args = (2.0, 3.0)
    p = math.pow(*args)
    b = int.from_bytes(b"\x01\x02", "big")
    g = sum(roots(10))
    r = raisers()
    outs = [[], []]
    ts = [threading.Thread(target=worker, args=(40, outs[k])) for k in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return (ordered, sum(acc), n_int, joined, raised, r, p, b, round(g, 3),
            [len(o) for o in outs])


if __name__ == "__main__":
    out = os.environ.get("E2E_CCALL_TRUTH")
    if out:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.dirname(here))
        import ccall_truth
        ccall_truth.profile_call(main, out)
    else:
        import _harness
        _harness.run(main)
