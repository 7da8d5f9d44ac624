# SPDX-License-Identifier: MIT
"""--c-calls (issue 21) on CPython 3.8 to 3.10, the eval strategy
(user/cpython/ccall_sites_310.c, bpf/ccalls_eval.bpf.h).

The workload and the checks are test_ccalls.py's (imported below, so they
run here against this module's sessions): the tracer's C calls made by the
workload's own functions, per name, equal sys.setprofile's c_call events of
a separate run of the same interpreter (ccall_truth.py), with no end missed
and nothing lost; the PyTorch-profiler check (one `sorted` lasting at least
its key calls' sleeps, the key calls nested in it) in the .json and the
.pftrace; [C] frames in .folded, rows in the summary; the recording's report
gives the same C calls.

Interpreters and modes: the three versions' eval loops differ where
--c-calls probes them, so each is traced launched: pyenv 3.8 (call_function
is a function of its own: the start sites are its calls, the ends after
them; CALL_FUNCTION_EX calls PyCFunction_Call; f_lasti in bytes), 3.9 (the
vectorcall inlined into each handler, trace_call_function apart;
CALL_FUNCTION_KW's value stack register reused before its site) and 3.10
(the same, with f_lasti in code units). Attached too, each (the issue asks
every interpreter launched and attached; an attached session adds ~5 s).
And 3.10
launched while it profiles itself (the ground truth's own run, traced): the
path through trace_call_function, whose calls end at a uretprobe (3.9 has
the same path).
"""
import collections
import json

import pytest

import ccall_truth
import helpers
from test_ccalls import (CCALLS_WORKLOAD, WORKLOAD, _interp,  # noqa: F401
                         _c_calls_by_caller_file,
                         test_c_call_counts_equal_setprofile,
                         test_sorted_encloses_its_key_calls_json,
                         test_sorted_encloses_its_key_calls_pftrace,
                         test_c_calls_marked_in_folded,
                         test_c_calls_rows_in_summary,
                         test_c_calls_survive_a_recording,
                         test_c_exception_flagged_everywhere)


@pytest.fixture(scope="module", params=["pyenv3.8-launch", "pyenv3.8-attach",
                                        "pyenv3.9-launch", "pyenv3.9-attach",
                                        "pyenv3.10-launch", "pyenv3.10-attach"])
def traced(request, tracer, tmp_path_factory):
    """one traced run of the workload per interpreter and mode (see the
    module's docstring), with its ground truth"""
    ident, mode = request.param.split("-")
    interp = _interp(ident)
    d = tmp_path_factory.mktemp("ccalls-" + request.param)
    outs = [d / "t.json", d / "t.pftrace", d / "t.folded", d / "t.trace", "-"]
    err, summary = helpers.run_both_ways(tracer, interp, CCALLS_WORKLOAD, mode, d, outs,
                                         ["--c-calls"])
    truth = ccall_truth.c_truth(interp.python, WORKLOAD, d)
    return {"mode": request.param, "dir": d, "truth": truth, "json": d / "t.json",
            "pftrace": d / "t.pftrace", "folded": d / "t.folded", "trace": d / "t.trace",
            "summary": summary, "stderr": err}


def test_c_calls_cost_said_before_tracing(traced):
    """the sites and the cost per C call are said before tracing begins
    (launched: the tracer's stderr), none of them single-stepped"""
    if not traced["mode"].endswith("launch"):
        pytest.skip("the tracer's stderr is checked in launch mode")
    lines = traced["stderr"].splitlines()
    cost = [i for i, l in enumerate(lines) if "--c-calls:" in l and "two more probe hits" in l]
    start = [i for i, l in enumerate(lines) if "tracing PID" in l]
    assert cost and start and cost[0] < start[0], traced["stderr"][-2000:]
    assert "4 call-instruction sites" in lines[cost[0]], lines[cost[0]]
    assert "(0 single-stepped)" in lines[cost[0]], lines[cost[0]]


def test_ground_truth_fit_38(tmp_path):
    """the ground truth on 3.8 reports what 3.8's profiler reports: the
    descriptor calls (list.append, str.join) and PyCFunctions, no bound
    method, with the counts the workload's loops imply"""
    interp = _interp("pyenv3.8")
    doc = ccall_truth.c_truth(interp.python, WORKLOAD, tmp_path)
    calls = {name: c["calls"] for name, c in doc["counts"].items()}
    assert calls.get("list.append") == 60 + 80, calls
    # (LOOP in main and in raisers, 2 x 40 in the threads, 2 in main's last line)
    assert calls.get("len") == 60 + 60 + 80 + 2, calls
    assert calls.get("math.sqrt") == 60 + 1 + 10, calls
    for name, n in (("sorted", 1), ("time.sleep", 5), ("str.join", 1), ("repr", 3),
                    ("math.pow", 1), ("int.from_bytes", 1), ("isinstance", 60 + 60)):
        assert calls.get(name) == n, (name, calls)


def test_c_calls_while_the_target_profiles_itself(tracer, tmp_path):
    """3.10 launched with its own sys.setprofile on (the ground truth's run,
    traced): every call then goes through trace_call_function, whose C
    calls end at its uretprobe (not at a site, user/cpython/ccall_sites_310.c).
    The tracer's C calls from the workload's file equal what that same run's
    profiler reported, the sorted call encloses its key calls, no end missed."""
    interp = _interp("pyenv3.10")
    truth_path = tmp_path / "truth.json"
    out = tmp_path / "t.json"
    p = helpers.run([tracer, "--c-calls", "-o", str(out), "--", interp.python, WORKLOAD],
                    timeout=120, env=helpers.target_env({"E2E_CCALL_TRUTH": str(truth_path)}))
    assert p.returncode == 0, helpers.describe(p)
    assert "uretprobe on trace_call_function" in p.stderr, p.stderr[-2000:]
    truth = json.loads(truth_path.read_text())
    doc = helpers.load_chrome(out)
    mine = collections.Counter(e["name"] for e, caller in
                               _c_calls_by_caller_file(doc["traceEvents"]) if caller == WORKLOAD)
    want = {n: c["calls"] for n, c in truth["counts"].items()}
    assert dict(mine) == want, sorted(set(mine.items()) ^ set(want.items()))
    sess = doc["session"]
    assert not any("--c-calls" in w for w in sess.get("warnings", [])), sess
    evs = [e for e in doc["traceEvents"] if isinstance(e, dict) and e.get("ph") == "X"]
    s = [e for e in evs if e["name"] == "sorted" and e["cat"] == "c_function" and
         any(k["name"] == "slow_key" and k["tid"] == e["tid"] and
             e["ts"] <= k["ts"] <= e["ts"] + e["dur"] for k in evs)]
    assert len(s) == 1, s
    keys = [k for k in evs if k["name"] == "slow_key" and k["cat"] == "python"]
    assert len(keys) == 5 and all(s[0]["ts"] <= k["ts"] and k["ts"] + k["dur"] <=
                                  s[0]["ts"] + s[0]["dur"] + 0.001 for k in keys), (s, keys)
    assert s[0]["dur"] >= sum(k["dur"] for k in keys) >= 5 * 0.02 * 1e6, s
