# SPDX-License-Identifier: MIT
"""Benchmark workload of --c-calls (issue 21): C calls, timed in-process.

Usage: PY ccall_workload.py CALLS ROUNDS RESULT_FILE [--count]

Two parts, each timed alone (time.perf_counter), so interpreter start-up
and the tracer's attach are excluded:
  loop  CALLS calls of math.sqrt in a loop (one C call per iteration, no
        Python call): the cost per C call;
  pyloop CALLS calls of a tiny Python function in the same loop: the cost
        per Python call, against which --c-calls' cost is said before
        tracing (user/capture/ccalls.c);
  real  ROUNDS rounds of a small real program: the stdlib's tokenize on the
        source of textwrap, then json round trips and re matching of what
        it found (C calls of str, list, dict and re methods, builtins, and
        the Python calls between them).
The result goes to RESULT_FILE as
"loop_seconds=S pyloop_seconds=P real_seconds=R calls=N".
With --count, the real part runs once more under sys.setprofile and the
line gets c_calls=K, its c_call events (the ground truth of how many C
calls it makes, in a run of its own: never timed).
"""
import io
import json
import math
import re
import sys
import textwrap
import time
import tokenize

WORD = re.compile(r"[A-Za-z_]+")


def loop(n):
    f = math.sqrt
    t0 = time.perf_counter()
    for i in range(n):
        f(i)
    return time.perf_counter() - t0


def tiny(x):
    return x


def pyloop(n):
    f = tiny
    t0 = time.perf_counter()
    for i in range(n):
        f(i)
    return time.perf_counter() - t0


def real_round(text):
    names = {}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME:
            names[tok.string] = names.get(tok.string, 0) + 1
    doc = json.loads(json.dumps(sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))))
    return len(doc) + sum(len(WORD.findall(s)) for s, _ in doc)


def real(rounds, text):
    t0 = time.perf_counter()
    for _ in range(rounds):
        real_round(text)
    return time.perf_counter() - t0


def count(rounds, text):
    n = [0]

    def prof(frame, event, arg):
        if event == "c_call":
            n[0] += 1
    sys.setprofile(prof)
    try:
        real(rounds, text)
    finally:
        sys.setprofile(None)
    return n[0] - 1     # (setprofile(None) itself)


def main():
    calls, rounds, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with open(textwrap.__file__) as f:
        text = f.read()
    lo = loop(calls)
    py = pyloop(calls)
    re_ = real(rounds, text)
    line = "loop_seconds=%.6f pyloop_seconds=%.6f real_seconds=%.6f calls=%d" % (
        lo, py, re_, calls)
    if "--count" in sys.argv[4:]:
        line += " c_calls=%d" % count(rounds, text)
    with open(out, "w") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main()
