# SPDX-License-Identifier: MIT
"""The observer effect (docs/observer-effect.md): what the session says a
probe hit cost, checked against a workload whose true times are known.

The workload (workloads/observer.py) times two functions with its own
thread's CPU time (time.thread_time_ns): `many`, which makes N calls of a
one-line function, and `few`, a loop of the same kind making no call. It
runs once untraced and once traced (one session per interpreter, its
summary on stdout and a .json):

- the reported cost of a call (the calibrated trap + the BPF programs' run
  time measured in the session, entry and return) must match the slowdown
  the workload measured itself: (traced CPU time of `many` - untraced) / N.
  Allowed: a factor of 1.75 either way. The trap is calibrated in another
  process on another instruction (an estimate; the target's sites are also
  emulated instructions), the two runs are separate and this 2-CPU VM is
  shared (load moves a thread's CPU time by 10-20%); measured here the ratio
  was 1.05-1.08 on both interpreters. A report leaving out the trap (BPF
  time only, 1/8 to 1/15 of the whole here) or counting it twice fails.
- `many`'s probe share must be high and `few`'s near zero: the share is of
  the function's measured total, a wall-clock time, which on a loaded
  machine exceeds its CPU time (seen: 3.7x), so "high" is >= 10% and >= 20x
  `few`'s, whose only probe hits are its own entry and return (<= 2).
- the probe hits per thread count the N calls, the summary says it all,
  and a recording of the session keeps it all (`tracer report`).

Interpreters: Debian's 3.11 (dispatch strategy: every entry and return a
uprobe, a stripped distro build) and pyenv 3.10 (eval strategy: the return
is a uretprobe, calibrated separately). pyenv 3.12 takes the dispatch path
as Debian's does (measured by hand: 14.60 us reported vs 13.85 us slowdown).
"""
import json
import os
import re

import pytest

import helpers

N = 30000		# calls of tiny() in many()
M = 1000000		# iterations of few()'s loop
FACTOR = 1.75
WORKLOAD = os.path.join(helpers.WORKLOADS, "observer.py")


def workload_times(stdout):
    lines = [l for l in stdout.splitlines() if l.startswith("{\"many\"")]
    assert len(lines) == 1, stdout[-2000:]
    return json.loads(lines[0])


@pytest.fixture(scope="module", params=["debian3.11", "pyenv3.10"])
def session(request, tracer, get_interp, tmp_path_factory):
    it = get_interp(request.param)
    tmp = tmp_path_factory.mktemp("observer-" + request.param)
    env = helpers.target_env()
    # untraced: the best of two runs
    untraced = []
    for _ in range(2):
        r = helpers.run([it.python, WORKLOAD, str(N), str(M)], env=env)
        assert r.returncode == 0, r.stderr
        untraced.append(workload_times(r.stdout))
    out, rec = tmp / "o.json", tmp / "o.trace"
    r = helpers.run([tracer, "-o", "-", "-o", str(out), "-o", str(rec), "--", it.python,
                     WORKLOAD, str(N), str(M)], timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = helpers.load_chrome(out)
    return {
        "traced": workload_times(r.stdout),
        "untraced_many": min(u["many"] for u in untraced),
        "stdout": r.stdout,
        "obs": doc["session"].get("observer_effect"),
        "pid": [p["pid"] for p in doc["session"]["processes"]][0],
        "rec": rec,
        "tmp": tmp,
    }


def func(obs, name):
    f = [f for f in obs["functions"] if f["name"] == name and f["file"] == WORKLOAD]
    assert len(f) == 1, (name, obs["functions"])
    return f[0]


def test_cost_is_measured(session):
    obs = session["obs"]
    assert obs and obs["measured"] is True, obs
    for k in ("trap_entry_ns", "trap_return_ns", "bpf_entry_ns", "bpf_return_ns"):
        assert obs[k] > 0, (k, obs)
    assert obs["per_call_ns"] == pytest.approx(obs["entry_ns"] + obs["return_ns"], rel=1e-3)
    assert obs["entry_ns"] == pytest.approx(obs["trap_entry_ns"] + obs["bpf_entry_ns"],
                                            rel=1e-3)
    # the kernel counted at least the workload's calls on each program
    assert obs["bpf_entry_runs"] >= N and obs["bpf_return_runs"] >= N, obs


def test_cost_per_call_matches_the_workloads_slowdown(session):
    obs = session["obs"]
    slowdown = (session["traced"]["many"] - session["untraced_many"]) / N
    ratio = obs["per_call_ns"] / slowdown
    print("reported %.0f ns per call, measured slowdown %.0f ns (ratio %.2f)"
          % (obs["per_call_ns"], slowdown, ratio))
    assert 1 / FACTOR <= ratio <= FACTOR, (obs, session["traced"], session["untraced_many"])


def test_shares_of_many_and_few(session):
    obs = session["obs"]
    many, few, tiny = func(obs, "many"), func(obs, "few"), func(obs, "tiny")
    assert tiny["calls"] == N and tiny["entries"] == N and tiny["returns"] == N, tiny
    # many's own entry and return, and its callees'
    assert many["entries"] == N + 1 and many["returns"] == N + 1, many
    assert few["entries"] + few["returns"] <= 2, few
    assert many["probe_ns"] == pytest.approx(
        N * obs["per_call_ns"] + obs["entry_ns"] + obs["return_ns"], rel=1e-3)
    assert many["share"] == pytest.approx(many["probe_ns"] / many["total_ns"], rel=1e-3)
    print("share: many %.3f, few %.5f" % (many["share"], few["share"]))
    assert many["share"] >= 0.10 and many["share"] >= 20 * few["share"], (many, few)
    assert few["share"] < 0.01, few


def test_hits_per_thread_and_summary(session):
    obs = session["obs"]
    th = [t for t in obs["threads"] if t["tid"] == session["pid"]]
    assert len(th) == 1 and th[0]["entries"] >= N and th[0]["returns"] >= N, obs["threads"]
    text = session["stdout"]
    m = re.search(r"^observer effect \(docs/observer-effect.md\): a call's probes cost "
                  r"([0-9.]+) us", text, re.M)
    assert m and float(m.group(1)) == pytest.approx(obs["per_call_ns"] / 1e3, abs=0.006), text
    assert re.search(r"^  PID %d TID %d: \d+ probe hits" % (session["pid"], session["pid"]),
                     text, re.M), text
    row = [l for l in text.splitlines() if l.endswith(" many") and "%" in l]
    assert row and float(row[0].split("%")[0]) == pytest.approx(
        100 * func(obs, "many")["share"], abs=0.051), row


def test_recording_keeps_it(session, tracer):
    out = session["tmp"] / "r.json"
    r = helpers.run([tracer, "report", str(session["rec"]), "-o", str(out)], timeout=60)
    assert r.returncode == 0, helpers.describe(r)
    assert helpers.load_chrome(out)["session"]["observer_effect"] == session["obs"]
