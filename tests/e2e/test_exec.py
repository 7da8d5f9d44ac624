# SPDX-License-Identifier: MIT
"""A traced process that execs (issue 17, finding 7): into a new image of
the same interpreter file it is followed, every call of both images
counted as sys.setprofile counts them, no event lost; into another
interpreter it is not traced after the exec, which is said once (terminal
and outputs) and costs no lost event. Launch and attach modes."""
import json
import os

import pytest

import helpers
from ground_truth import GroundTruth, ground_truth

A = os.path.join(helpers.WORKLOADS, "exec_a.py")
B = os.path.join(helpers.WORKLOADS, "exec_b.py")
TIMEOUT = 120

# (the interpreter running exec_a.py, the one it execs): dispatch, USDT,
# eval followed; another file not
PAIRS = [("pyenv3.12", "pyenv3.12"), ("debian3.11", "debian3.11"), ("pyenv3.10", "pyenv3.10"),
         ("pyenv3.12", "debian3.11")]


def truths(first, second, tmp_path):
    """ground truth of exec_a.py run by FIRST, then exec_b.py by SECOND"""
    env = helpers.target_env({"E2E_EXEC_PYTHON": second.python})
    a = ground_truth(first.python, A, [A], env=env, tmpdir=tmp_path)
    with open(str(tmp_path / "ground-truth-exec_a.py.json.b")) as f:
        b = GroundTruth(json.load(f), [B], "")
    return a, b


def run_traced(tracer, first, second, mode, tmp_path, out):
    """-> (the tracer's stderr, its stdout: the summary, pid of the target)"""
    env = {"E2E_EXEC_PYTHON": second.python}
    if mode == "launch":
        p = helpers.run([tracer, "-o", str(out), "-o", "-", "--", first.python, A],
                        timeout=TIMEOUT, env=helpers.target_env(env))
        assert p.returncode == 0, helpers.describe(p)
        assert p.stdout.count("result: ") == 2, helpers.describe(p)
        pid = int(p.stderr.split("workload: pid ")[1].split()[0])
        return p.stderr, p.stdout, pid
    trigger = str(tmp_path / "trigger")
    env["E2E_TRIGGER"] = trigger
    target = helpers.Spawned([first.python, A], env=helpers.target_env(env))
    tr = None
    try:
        assert target.err.wait_for("workload: ready", 30), target.describe()
        tr = helpers.start_tracer_attached(tracer, target.pid, [out, "-"])
        open(trigger, "w").close()
        assert target.wait(TIMEOUT) == 0, target.describe()
        assert tr.wait(30) == 0, tr.describe()
        assert target.out.text().count("result: ") == 2, target.describe()
        return tr.err.text(), tr.out.text(), target.pid
    finally:
        target.kill()
        if tr:
            tr.kill()


@pytest.mark.parametrize("mode", ["launch", "attach"])
@pytest.mark.parametrize("pair", PAIRS, ids=["%s-%s" % p for p in PAIRS])
def test_exec(tracer, get_interp, pair, mode, tmp_path):
    first, second = get_interp(pair[0]), get_interp(pair[1])
    same = first.lib == second.lib
    truth_a, truth_b = truths(first, second, tmp_path)
    out = tmp_path / "t.json"
    text, summary, pid = run_traced(tracer, first, second, mode, tmp_path, out)
    chrome = helpers.Chrome(out)

    problems = []
    got = helpers.count_calls(chrome.in_files([A, B]))
    expected = dict(truth_a.calls)
    if same:
        expected.update(truth_b.calls)
    diffs = helpers.compare_counts(expected, got)
    if diffs:
        problems.append("call counts differ from ground truth:\n  " + "\n  ".join(diffs))
    if chrome.counter("lost") != 0:
        problems.append("events lost: %r" % (chrome.other.get("lost"),))
    bad = helpers.nesting_violations(chrome.calls)
    if bad:
        problems.append("calls of one thread do not nest: %r" % (bad[:3],))
    procs = [p for p in chrome.other.get("processes", []) if p.get("pid") == pid]
    ends = [p.get("end") for p in procs]
    said = "PID %d exec'd %s at +" % (pid, second.python)
    if same:
        # two instances of the process: the first ended by its exec
        if len(procs) != 2 or ends[0] != "exec":
            problems.append("processes in the trace: %r" % (procs,))
        if "(the same interpreter file)" not in text:
            problems.append("the followed exec is not said")
    else:
        if ends != ["exec"]:
            problems.append("processes in the trace: %r" % (procs,))
        if text.count(said) != 1 or "calls after the exec are not traced" not in text:
            problems.append("the exec is not said once as %r" % said)
        if said not in summary:
            problems.append("the summary does not say the exec")
        if "calls after the exec are not traced" not in json.dumps(chrome.other):
            problems.append("the trace does not say the exec: %r" % (chrome.other,))
    assert not problems, "\n".join(problems) + "\n--- tracer\n" + text[-3000:] + summary[-1500:]
