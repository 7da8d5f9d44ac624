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
on a loaded machine the corrected times stay above it (seen: +46% for
3.13's stage, +155% measured, the spins' wall time 1.2-1.3x their CPU
time): the probe cost in a run over what was subtracted followed the
spins' wall / CPU ratio (1.02-1.33 for ratios 1.09-1.35). So a session
whose spins took more than BUSY x their CPU time is run again, twice at
most, the least busy run is checked, and a corrected time may exceed the
truth by TOL plus (ratio - 1) x what was subtracted from it: the probes'
time preempted as the spins' was. A subtraction that is wrong (missing,
doubled, split the wrong way) is off in every run. Measured here
(2026-12-07, the machine shared with another helper's builds and
sessions): corrected -1.9% to +3.4% of the truth when quiet, -8.6% to
+10.4% under load, measured +23% to +117%. TOL and OFF are 20%.

Interpreters: pyenv 3.13 (its YIELD_VALUE site is single-stepped: each
yield costs ~13-17 us more, after the timestamp, on the consumer: the
case the flag was made for), pyenv 3.12 (every site emulated) and
Debian's 3.11, where every generator resumption enters the evaluator: its
entry is not probed since gen.throw() has a site of its own
(user/cpython/throw_site.c); when it was (a trap with no event, not
subtractable) the pipeline's stage and drain stayed +22% after the
correction (measured 2026-12-07; now -0.4% to +3.9%).
"""
import collections
import json
import os
import re

import pytest

import helpers

N = 2000
TOL = 0.2
OFF = 0.2
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


def drift(truth, measured, corrected):
    """what the probes cost in the run (measured - truth, all five
    functions) over what was subtracted (measured - corrected): 1.0 when
    they cost what the calibration at the session's start said"""
    cost = sum(measured[f] - truth[f]["wall_ns"] for f in FUNCS)
    return cost / max(1, sum(measured[f] - corrected[f] for f in FUNCS))


@pytest.fixture(scope="module", params=["pyenv3.13", "pyenv3.12", "debian3.11"])
def session(request, tracer, get_interp, tmp_path_factory):
    it = get_interp(request.param)
    tmp = tmp_path_factory.mktemp("subtract-" + request.param)
    folded, timeline = tmp / "s.folded", tmp / "s.json"
    svg, speedscope = tmp / "s.svg", tmp / "s.speedscope.json"
    # a busy machine (the spins' wall time over BUSY x their CPU time):
    # the session is run again, twice at most, and the least busy run is
    # checked
    best = None
    for _ in range(3):
        r = helpers.run([tracer, "--subtract-probe-cost", "-o", "-", "-o", str(folded),
                         "-o", str(timeline), "-o", str(svg), "-o", str(speedscope),
                         "--", it.python, WORKLOAD, str(N)],
                        timeout=120, env=helpers.target_env())
        assert r.returncode == 0, r.stderr[-3000:]
        truth = helpers.json_truth(r.stderr)
        chrome = helpers.Chrome(timeline)
        corrected, measured = folded_self(folded), timeline_self(chrome.calls)
        b, d = busy(truth), drift(truth, measured, corrected)
        print("\n%s: spins' wall / CPU time %.2f, probe cost / subtracted %.2f" % (
            it.id, b, d))
        if best is None or b < best[0]:
            best = (b, d, r, truth, corrected, measured, chrome,
                    svg.read_text(encoding="utf-8"),
                    json.loads(speedscope.read_text(encoding="utf-8"))["name"])
        if b <= BUSY:
            break
    b, d, r, truth, corrected, measured, chrome, svg_text, ss_name = best
    return {
        "it": it,
        "busy": b,
        "truth": truth,
        "corrected": corrected,
        "measured": measured,
        "obs": chrome.other["observer_effect"],
        "stdout": r.stdout,
        "svg": svg_text,
        "speedscope_name": ss_name,
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
        # (the probes are preempted as the spins are: that share of their
        # time is not subtracted, and allowed)
        preempted = max(0, session["busy"] - 1) * (session["measured"][f] - corr)
        assert truth * (1 - TOL) <= corr <= truth * (1 + TOL) + preempted, \
            "%s: corrected self time off by more than %d%% (+ %.1f ms preempted):\n%s" % (
                f, 100 * TOL, preempted / 1e6, table(session))


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
    said = "--subtract-probe-cost: times corrected"
    assert said in session["svg"], session["svg"][:3000]
    assert said in session["speedscope_name"], session["speedscope_name"]
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
