# SPDX-License-Identifier: MIT
"""Child processes (issue 22): with --subprocesses (-f), launched and
attached, every process of the target's tree that runs Python is traced,
each exact from its first call: a multiprocessing.Pool of 2 workers (fork),
a subprocess.run([sys.executable, ...]) child (fork + exec of the same
interpreter) and an os.fork() child (workloads/children.py). Each process's
calls are compared with sys.setprofile's in a separate run, where each
child profiles itself (workloads/_children.py). A forked child's frames
inherited open from its parent are not calls of the child: they show as
running from its first event (began_before_attach) to its exit
(end_at_exit). One set of outputs, one process group per process.

Without the flag the session traces one process and says at the end how
many Python children ran untraced (stderr, the summary, the .json's
warnings).

The interpreters: Debian's 3.11 (stripped, dispatch from code analysis)
and pyenv 3.12 (DWARF, its probes in libpython: a shared library that a
forked child inherits and an exec'd child maps anew), 3.14 launched when
present (ground truth through sys.monitoring, its own tool freed in a
forked child). 3.12 launched runs its pool with spawn, 3.14 with
forkserver (its default)."""
import collections
import glob
import json
import os
import re

import pytest

import helpers
from ground_truth import GroundTruth, run_profiled

WL = helpers.Workload("children", ["children.py"])
FILE = WL.files[0]
TIMEOUT = 120
# the roles of a process, by the function only that role calls
ROLES = {"main": "main", "pool_work": "pool", "sub_work": "sub", "fork_work": "fork"}
# not compared: the module's body and the class body it runs (at import,
# before either side's profiler in the main process; a subprocess child
# imports the file again)
NOT_COMPARED = {"<module>", "Box"}

# (interpreter, mode, the pool's start method): fork, and the start
# methods that exec an interpreter (spawn: each worker; forkserver, 3.14's
# default: the server, whose forks are the workers), launched (the attached
# target takes no environment of the test's)
CASES = [("debian3.11", "launch", "fork"), ("debian3.11", "attach", "fork"),
         ("pyenv3.12", "launch", "spawn"), ("pyenv3.12", "attach", "fork"),
         ("pyenv3.14", "launch", "forkserver")]
# processes of the tree with no call of the workload's functions: the
# resource tracker (spawn, forkserver) and the fork server
HELPERS = {"fork": 0, "spawn": 1, "forkserver": 2}


def truth(interp, start, tmp_path):
    """role -> [call counts of each process of that role], by sys.setprofile"""
    out = str(tmp_path / "gt.json")
    doc, stdout = run_profiled(interp.python, WL.path, "E2E_GROUND_TRUTH", out,
                               env=helpers.target_env({"E2E_MP_START": start}),
                               timeout=TIMEOUT)
    roles = {"main": [GroundTruth(doc, WL.files, stdout).calls]}
    for path in sorted(glob.glob(out + ".*.*")):
        role = path[len(out) + 1:].split(".")[0]
        with open(path) as f:
            roles.setdefault(role, []).append(GroundTruth(json.load(f), WL.files, "").calls)
    assert sorted((r, len(v)) for r, v in roles.items()) == \
        [("fork", 1), ("main", 1), ("pool", 2), ("sub", 1)], roles.keys()
    for counts in roles.values():
        for c in counts:
            for k in [k for k in c if k[0] in NOT_COMPARED]:
                del c[k]
    return roles, stdout


def per_process(chrome):
    """pid -> (role, call counts, frames inherited open) in the workload file"""
    calls = collections.defaultdict(list)
    for e in chrome.in_files(WL.files):
        calls[e["pid"]].append(e)
    procs = {}
    for pid, evs in calls.items():
        own = [e for e in evs if not e["args"].get("began_before_attach")]
        counts = helpers.count_calls(e for e in own if e["name"] not in NOT_COMPARED)
        if not counts:
            continue	# a helper process that imported the file (the fork server)
        roles = {ROLES[n] for (n, _, _) in counts if n in ROLES}
        role = roles.pop() if len(roles) == 1 else "?%r" % sorted(roles)
        procs[pid] = (role, counts, [e for e in evs if e["args"].get("began_before_attach")])
    return procs


@pytest.mark.parametrize("ident,mode,start", CASES, ids=["%s-%s-%s" % c for c in CASES])
def test_subprocesses(tracer, get_interp, ident, mode, start, tmp_path):
    interp = get_interp(ident)
    expected, gt_stdout = truth(interp, start, tmp_path)
    out = tmp_path / "tree.json"
    werr, summary = helpers.run_both_ways(tracer, interp, WL, mode, tmp_path, [out, "-"],
                                          ["-f"], env={"E2E_MP_START": start},
                                          timeout=TIMEOUT)
    root = int(re.search(r"^workload: pid (\d+)$", werr, re.M).group(1))
    chrome = helpers.Chrome(out)
    procs = per_process(chrome)
    problems = []
    described = {p["pid"]: p for p in chrome.other.get("processes", [])}
    n_all = 5 + HELPERS[start]
    if not set(procs) <= set(described) or len(procs) != 5 or len(described) != n_all:
        problems.append("processes described %r (%d expected), with calls of the workload "
                        "%r (5 expected)" % (sorted(described), n_all, sorted(procs)))
    for pid, p in described.items():
        if p.get("end") != "exit":
            problems.append("process %d ended %r, not by its exit" % (pid, p.get("end")))
    got = collections.defaultdict(list)
    for pid, (role, counts, inherited) in sorted(procs.items()):
        got[role].append(counts)
        # the main process has no frame open before its first call when
        # launched; attached, only the module's body runs at attach
        names = sorted({e["name"] for e in inherited})
        if pid == root:
            want = [] if mode == "launch" else ["<module>"]
        else:
            # forked from main() (os.fork, a pool worker forked by it)
            want = ["<module>", "main"] if role == "fork" or \
                (role == "pool" and start == "fork") else []
        if names != want:
            problems.append("%s %d: frames running at its first event %r, expected %r"
                            % (role, pid, names, want))
        if not all(e["args"].get("end_at_exit") for e in inherited if pid != root):
            problems.append("%s %d: inherited frames not ended at its exit" % (role, pid))
        if role == "main" and pid != root:
            problems.append("main() ran in %d, not in the target %d" % (pid, root))
    for role in sorted(set(expected) | set(got)):
        exp, have = expected.get(role, []), got.get(role, [])
        if len(exp) != len(have):
            problems.append("%d %s processes traced, %d in the ground truth"
                            % (len(have), role, len(exp)))
            continue
        for e, h in zip(exp, have):
            diffs = helpers.compare_counts(e, h)
            if diffs:
                problems.append("%s process: counts differ from ground truth (%s, %s):\n  %s"
                                % (role, ident, mode, "\n  ".join(diffs)))
    if chrome.counter("lost") != 0:
        problems.append("events lost: %r" % (chrome.other.get("lost"),))
    bad = helpers.nesting_violations(chrome.calls)
    if bad:
        problems.append("calls of one thread do not nest: %r" % (bad[:3],))
    if not re.search(r"^processes: %d traced, %d exited" % (n_all, n_all), summary, re.M):
        problems.append("the summary does not count %d processes:\n%s"
                        % (n_all, summary[-3000:]))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mode", ["launch", "attach"])
def test_untraced_children(tracer, get_interp, mode, tmp_path):
    """without -f: the main process alone, and the 4 Python children said
    (the 2 pool workers, the subprocess, the fork); the `true` run by
    subprocess (vfork + exec) is not one"""
    interp = get_interp("debian3.11")
    out = tmp_path / "one.json"
    werr, summary = helpers.run_both_ways(tracer, interp, WL, mode, tmp_path, [out, "-"], [],
                                          timeout=TIMEOUT)
    root = int(re.search(r"^workload: pid (\d+)$", werr, re.M).group(1))
    said = ("4 Python child processes of PID %d ran untraced: --subprocesses (-f) traces "
            "them too" % root)
    if mode == "launch":	# (the tracer's stderr is the workload's)
        assert "tracer: " + said in werr, werr[-3000:]
    assert "warning: " + said in summary, summary[-3000:]
    chrome = helpers.Chrome(out)
    assert said in chrome.other["warnings"], chrome.other["warnings"]
    assert {e["pid"] for e in chrome.calls} == {root}
    assert [x["pid"] for x in chrome.other["processes"]] == [root]
