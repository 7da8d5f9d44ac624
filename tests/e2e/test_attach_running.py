# SPDX-License-Identifier: MIT
"""Attach to a process already deep in recursive work, for a fixed time
(-d): the session starts and stops at one instant (issue 20), so every
return recorded has its call (no unmatched returns), nothing is lost, and
calls are recorded until the end (no blind tail). Each round of the
workload that ran wholly inside the session must hold exactly the calls
the interpreter itself reports for a round (sys.setprofile, separate run)."""
import collections
import subprocess
import sys
import time

import pytest

import helpers

WORKLOAD = r'''
import os, sys

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def one_round():
    return fib(16)

if sys.argv[1] == "truth":
    calls = collections = {}
    def prof(frame, event, arg):
        if event == "call":
            name = frame.f_code.co_name
            calls[name] = calls.get(name, 0) + 1
    sys.setprofile(prof)
    one_round()
    sys.setprofile(None)
    print("fib", calls["fib"])
else:
    one_round()
    print("ready", os.getpid(), flush=True)
    while True:
        one_round()
'''

# calls of the session's last milliseconds must be recorded: before the
# switch, the probes were removed one by one for seconds after the end
TAIL_US = 500000


def _truth(interp, script):
    p = helpers.run([interp.python, str(script), "truth"], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    word, n = p.stdout.split()
    assert word == "fib"
    return int(n)


@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.12", "pyenv3.13", "pyenv3.10",
                                   "pyenv3.12-eval"])
def test_attach_running_recursion(tracer, get_interp, ident, tmp_path):
    interp = get_interp(ident)
    script = tmp_path / "fib_loop.py"
    script.write_text(WORKLOAD)
    per_round = _truth(interp, script)
    target = subprocess.Popen([interp.python] + list(interp.attach_args) + [str(script), "run"],
                              stdout=subprocess.PIPE, env=helpers.target_env())
    out = tmp_path / "t.json"
    try:
        line = target.stdout.readline().decode()
        assert line.startswith("ready"), line
        p = helpers.run([tracer, "-p", str(target.pid), "-d", "2", "-o", str(out)]
                        + list(interp.tracer_args), timeout=120)
        assert p.returncode == 0, helpers.describe(p)
        assert target.poll() is None, "the target died under tracing"
    finally:
        target.kill()
        target.wait()
    chrome = helpers.Chrome(out)
    # The eval strategy (3.8-3.10, and 3.12+ with -X perf) sees returns
    # through uretprobes, which the kernel arms per call whatever the switch
    # says; those armed while it was off are told apart by the thread's
    # count of pending uretprobes (bpf/tracer.bpf.c, off_window_call). One
    # return in ~10^5 still slips through in some runs (a race at the
    # switch not found yet; issue 20 stays open for it): at most 2 are
    # allowed there, against 18,114 before the switch. USDT and dispatch
    # returns carry their frame: none at all.
    allowed = 2 if (interp.tracer_args and "eval" in interp.tracer_args) or \
        ident == "pyenv3.10" else 0
    assert chrome.counter("unmatched_returns") <= allowed, chrome.other
    assert chrome.counter("lost") == 0, chrome.other
    calls = [e for e in chrome.calls if e["args"]["file"] == str(script)]
    rounds = [e for e in calls if e["name"] == "one_round"]
    whole = [r for r in rounds if not any(r["args"].get(f) for f in helpers.FLAG_ARGS)]
    assert whole, "no round ran wholly inside the session: %d rounds" % len(rounds)
    # the fib calls inside each whole round, by time on its thread
    fibs = collections.defaultdict(list)
    for e in calls:
        if e["name"] == "fib":
            fibs[e["tid"]].append(e["ts"])
    wrong = []
    for r in whole:
        n = sum(1 for ts in fibs[r["tid"]] if r["ts"] <= ts <= r["ts"] + r["dur"])
        if n != per_round:
            wrong.append((r["ts"], n))
    assert not wrong, "rounds with the wrong number of fib calls (truth %d): %r" % (
        per_round, wrong[:5])
    # calls went on being recorded until the session's end
    ends = [e["ts"] + e["dur"] for e in calls if e["args"].get("end_at_session_end")]
    assert ends, "nothing was running at the end of the session?"
    session_end = max(ends)
    last_whole = max(e["ts"] + e["dur"] for e in calls
                     if not any(e["args"].get(f) for f in helpers.FLAG_ARGS))
    assert session_end - last_whole < TAIL_US, (
        "no call recorded in the last %.0f ms of the session" % ((session_end - last_whole) / 1e3))
