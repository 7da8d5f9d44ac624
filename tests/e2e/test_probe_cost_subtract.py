# SPDX-License-Identifier: MIT
"""--subtract-probe-cost (docs/observer-effect.md, issue 20): the calibrated
probe cost taken out of self times, checked against a workload whose true
self times are known by construction (workloads/probe_subtract.py).

Each function of the workload spins until its thread's CPU time
(time.thread_time_ns) has advanced by a fixed amount, and measures each
spin itself, with no probe inside it: `outer` spins 20 us before each of N
calls of `leaf`, which spins 15 us; a generator pipeline (source -> stage
-> drain) spins 20 us per item in each stage. A function's true self time
is the sum of its spins (the statements around them are well under a
microsecond an iteration).

One session per interpreter, with the flag, writes a .folded (an aggregate:
corrected) and a .json timeline (never corrected: the measured times), so
one run gives both sides:

- with the flag, each function's self time (.folded) is within TOL of the
  truth;
- without it (the timeline's self times, measured), each is more than
  OFF above the truth, and the correction itself is at least OFF of the
  truth: a test that cannot pass with the subtraction missing, or with
  a wrong split of the costs between caller and callee (the leaf and its
  caller would move in opposite directions).

The truth is the spins' CLOCK_MONOTONIC time (time.perf_counter_ns, the
clock the tracer's timestamps use): the spins run for a fixed thread CPU
time, but on this shared 2-CPU VM a spin's wall time was 1.09-1.35x its
CPU time (other work preempts it, the hypervisor steals), and the tracer
measures wall-clock time. The probes' own preemption is not in the truth:
on a loaded machine the corrected times stay some % above it (seen:
+40% with another tracer session sampling meanwhile, the spins' wall
time 1.5x their CPU time), so a session whose spins took more than BUSY
x their CPU time is run again (twice at most) and the least busy checked. Measured
here (2026-12-07, shared machine, 3 runs each): corrected -1.9% to +3.4%
of the truth on both interpreters (up to +12.8% in a run under load,
with outer spinning 30 us), measured +25% to +107%.

Interpreters: pyenv 3.13 (its YIELD_VALUE site is single-stepped: each
yield costs ~13-17 us more, after the timestamp, on the consumer: the
case the flag was made for) and pyenv 3.12 (every site emulated). Not
Debian's 3.11: there every generator resumption enters the evaluator,
whose entry uprobe (gen.throw) makes no event and so cannot be
subtracted (said in the summary: `evaluator entry probe`); its outer/leaf
calls behave as 3.12's.
"""
import collections
import os
import re

import pytest

import helpers

N = 2000
TOL = 0.15
OFF = 0.15
BUSY = 1.2
WORKLOAD = os.path.join(helpers.WORKLOADS, "probe_subtract.py")
FUNCS = ("outer", "leaf", "source", "stage", "drain")
_FRAME = re.compile(r"^(.*) \((.*):(\d+)\)$")


def folded_self(path):
    """{function of WORKLOAD: its self time in ns} from a .folded"""
    out = collections.Counter()
    with open(str(path)) as f:
        for line in f:
            stack, _, value = line.rstrip("\n").rpartition(" ")
            m = _FRAME.match(stack.split(";")[-1])
            if m and m.group(2) == WORKLOAD:
                out[m.group(1)] += int(value) * 1000
    return out


def timeline_self(calls):
    """{function of WORKLOAD: its self time in ns} from a .json's calls"""
    out = collections.Counter()
    by_thread = collections.defaultdict(list)
    for e in calls:
        by_thread[(e["pid"], e["tid"])].append(e)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack, own = [], {}
        for i, e in enumerate(evs):
            while stack and evs[stack[-1]]["ts"] + evs[stack[-1]]["dur"] <= e["ts"] + 1e-3:
                stack.pop()
            if stack:
                own[stack[-1]] -= e["dur"]
            own[i] = e["dur"]
            stack.append(i)
        for i, e in enumerate(evs):
            if e["args"]["file"] == WORKLOAD:
                out[e["name"]] += own[i] * 1000
    return out


def busy(truth):
    """how much longer than their CPU time the spins took (1.0: not
    preempted at all)"""
    return sum(t["wall_ns"] for t in truth.values()) / \
        max(1, sum(t["thread_ns"] for t in truth.values()))


@pytest.fixture(scope="module", params=["pyenv3.13", "pyenv3.12"])
def session(request, tracer, get_interp, tmp_path_factory):
    it = get_interp(request.param)
    tmp = tmp_path_factory.mktemp("subtract-" + request.param)
    folded, timeline = tmp / "s.folded", tmp / "s.json"
    # the probes' own preemption is not in the truth: on a busy machine
    # (the spins' wall time over BUSY x their CPU time) the session is run
    # again, twice at most, and the least busy run is checked
    best = None
    for _ in range(3):
        r = helpers.run([tracer, "--subtract-probe-cost", "-o", "-", "-o", str(folded),
                         "-o", str(timeline), "--", it.python, WORKLOAD, str(N)],
                        timeout=120, env=helpers.target_env())
        assert r.returncode == 0, r.stderr[-3000:]
        b = busy(helpers.json_truth(r.stderr))
        if best is None or b < best[0]:
            best = (b, r, folded_self(folded), helpers.Chrome(timeline))
        if b <= BUSY:
            break
    b, r, corrected, chrome = best
    print("\n%s: spins' wall / CPU time %.2f" % (it.id, b))
    return {
        "it": it,
        "truth": helpers.json_truth(r.stderr),
        "corrected": corrected,
        "measured": timeline_self(chrome.calls),
        "obs": chrome.other["observer_effect"],
        "stdout": r.stdout,
        "stderr": r.stderr,
    }


def table(s):
    rows = []
    for f in FUNCS:
        t = s["truth"][f]
        rows.append("%-7s truth %7.1f ms (CPU %7.1f)  corrected %7.1f (%+6.1f%%)  measured "
                    "%7.1f (%+6.1f%%)" % (
                        f, t["wall_ns"] / 1e6, t["thread_ns"] / 1e6, s["corrected"][f] / 1e6,
                        100 * (s["corrected"][f] / t["wall_ns"] - 1), s["measured"][f] / 1e6,
                        100 * (s["measured"][f] / t["wall_ns"] - 1)))
    return "\n".join(rows)


def test_corrected_self_times_match_the_truth(session):
    print("\n%s:\n%s" % (session["it"].id, table(session)))
    for f in FUNCS:
        t = session["truth"][f]
        assert t["spins"] == N, t
        truth, corr = t["wall_ns"], session["corrected"][f]
        assert abs(corr / truth - 1) <= TOL, "%s: corrected self time off by more than " \
            "%d%%:\n%s" % (f, 100 * TOL, table(session))


def test_measured_self_times_are_off(session):
    """the same session's timeline (not corrected): the probes' cost is in
    it, and the correction took out a sizeable part of each self time"""
    for f in FUNCS:
        truth = session["truth"][f]["wall_ns"]
        meas, corr = session["measured"][f], session["corrected"][f]
        assert meas / truth - 1 > OFF, "%s: the measured self time is not off:\n%s" % (
            f, table(session))
        assert (meas - corr) / truth >= OFF, "%s: little was subtracted:\n%s" % (
            f, table(session))


def test_said_in_the_outputs(session):
    obs, it = session["obs"], session["it"]
    assert obs["subtracted_from_aggregates"] is True, obs
    assert obs["timeline_corrected"] is False, obs
    assert "SUBTRACTED (--subtract-probe-cost)" in session["stdout"], session["stdout"][-3000:]
    assert "--subtract-probe-cost: calibrated traps" in session["stderr"], session["stderr"]
    assert obs["entry_before_ns"] > 0 and obs["return_before_ns"] > 0, obs
    if it.version == (3, 13):
        # YIELD_VALUE: each of the 2N yields of the pipeline
        assert obs["slow_sites"] >= 1 and obs["slow_extra_ns"] > 0, obs
        assert obs["slow_hits"] >= 2 * N, obs
        assert "single-stepped site(s)" in session["stderr"], session["stderr"]
    else:
        assert obs["slow_sites"] == 0 and obs["slow_hits"] == 0, obs


def test_refused_where_not_measured(tracer):
    """refused before anything runs where the cost is not that of one
    process's call probes"""
    for extra in (["--sample"], ["-a"], ["--c-calls"]):
        argv = [tracer, "--subtract-probe-cost"] + extra
        if extra != ["-a"]:
            argv += ["--", "/bin/true"]
        r = helpers.run(argv, timeout=30)
        assert r.returncode != 0, (extra, r.stderr)
        assert "--subtract-probe-cost" in r.stderr, (extra, r.stderr)
