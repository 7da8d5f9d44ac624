# SPDX-License-Identifier: MIT
"""Threads running in parallel on a free-threaded build (test_free_threaded.py;
not in helpers.WORKLOAD_LIST).

Two threads start together, each recursing to its own depth and spinning
there in its own leaf: `alpha` for E2E_FT_SECONDS * 2 of its CPU time,
`beta` for E2E_FT_SECONDS. The leaves' names are not ASCII (spin_álpha
one byte a character, spin_β two): a free-threaded build's str header and
state bits differ from a GIL build's. Each thread measures itself, and the ground
truth goes to stderr as `truth: ...` lines:
  - its CPU time (time.thread_time) and wall time (time.monotonic) spent
    spinning: the sampled shares of the two leaves;
  - its stack under the leaf, walked with sys._getframe: every frame's
    function name and current line (f_lineno), outermost first, which each
    sample of the leaf must show exactly (its depth, and with --lines its
    callers' lines);
  - the lines of the leaf's loop (co_lines of its code), and those of its
    code outside the loop (the lines that read the clocks before and after
    the spin, the return): a sampled leaf line must be one of either, most
    of them the loop's;
  - the process's CPU time over the wall time while both threads ran
    (os.times), above 1 only when they ran in parallel, and whether the GIL
    was enabled (sys._is_gil_enabled)."""
import inspect
import os
import sys
import threading
import time

SECONDS = float(os.environ.get("E2E_FT_SECONDS", "1"))
DEPTHS = {"alpha": 40, "beta": 90}


def stack_truth():
    """(name, line) of the caller's callers, outermost first"""
    frames, frame = [], sys._getframe(2)
    while frame is not None:
        frames.append((frame.f_code.co_qualname, frame.f_lineno))
        frame = frame.f_back
    return frames[::-1]


def spin_álpha(seconds, out):
    out["stack"] = stack_truth()
    t0, w0 = time.thread_time(), time.monotonic()
    end = t0 + seconds
    s = 0
    while time.thread_time() < end:
        for i in range(200):
            s += i * i
    out["cpu"], out["wall"] = time.thread_time() - t0, time.monotonic() - w0
    return s


def spin_β(seconds, out):
    out["stack"] = stack_truth()
    t0, w0 = time.thread_time(), time.monotonic()
    end = t0 + seconds
    s = 0
    while time.thread_time() < end:
        for i in range(200):
            s ^= i
    out["cpu"], out["wall"] = time.thread_time() - t0, time.monotonic() - w0
    return s


def descend_alpha(n, out):
    if n == 0:
        return spin_álpha(2 * SECONDS, out)
    return descend_alpha(n - 1, out)


def descend_beta(n, out):
    if n == 0:
        return spin_β(SECONDS, out)
    return descend_beta(n - 1, out)


def loop_lines(fn):
    """the lines of FN's spinning loop (while, for, and the sum), numbered
    as its code object numbers them"""
    src, first = inspect.getsourcelines(fn)
    assert first == fn.__code__.co_firstlineno
    have = {line for _, _, line in fn.__code__.co_lines() if line}
    loop = {first + k for k, text in enumerate(src)
            if text.strip().startswith(("while ", "for i ", "s += ", "s ^= "))}
    assert len(loop) == 3 and loop <= have, (loop, have)
    return sorted(loop)


def once_lines(fn):
    """the lines of FN's code outside its loop (co_lines): those before it and
    after it, each run once"""
    loop = loop_lines(fn)
    return sorted({line for _, _, line in fn.__code__.co_lines()
                   if line and line not in loop})


def main():
    sys.setrecursionlimit(1000)
    outs = {name: {} for name in DEPTHS}
    go = threading.Barrier(len(DEPTHS) + 1)

    def run(name, descend):
        go.wait()
        descend(DEPTHS[name], outs[name])

    threads = [threading.Thread(target=run, args=("alpha", descend_alpha), name="alpha"),
               threading.Thread(target=run, args=("beta", descend_beta), name="beta")]
    for t in threads:
        t.start()
    go.wait()
    c0, w0 = os.times(), time.monotonic()
    threads[1].join()	# beta: both ran until then
    c1, w1 = os.times(), time.monotonic()
    threads[0].join()
    both = (c1.user + c1.system - c0.user - c0.system) / max(w1 - w0, 1e-9)
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    sys.stderr.write("truth: gil=%d parallel=%.3f\n" % (gil, both))
    for name, out in outs.items():
        sys.stderr.write("truth: %s cpu=%.6f wall=%.6f\n" % (name, out["cpu"], out["wall"]))
        sys.stderr.write("truth: %s stack=%s\n" % (
            name, ";".join("%s:%d" % f for f in out["stack"])))
    for name, fn in (("alpha", spin_álpha), ("beta", spin_β)):
        sys.stderr.write("truth: %s lines=%s\n" % (
            name, ",".join(str(x) for x in loop_lines(fn))))
        sys.stderr.write("truth: %s once=%s\n" % (
            name, ",".join(str(x) for x in once_lines(fn))))
    sys.stderr.flush()
    return sum(len(o["stack"]) for o in outs.values())


if __name__ == "__main__":
    import _harness
    _harness.run(main)
