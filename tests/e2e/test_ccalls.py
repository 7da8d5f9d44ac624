# SPDX-License-Identifier: MIT
"""--c-calls (issue 21): calls of C functions, as sys.setprofile's c_call.

Not traced yet on any interpreter (docs/c-calls.md says what it takes), so
the tool must refuse the option before anything runs, never produce partial
data: checked on Debian's 3.11 (the default interpreter; the refusal does
not depend on the interpreter: it comes from the command line).

The ground truth the exactness test will compare against (setprofile's
c_call counts per function in a separate run, ccall_truth.py) is checked
here to be fit for it on the two code paths of the issue: Debian's 3.11
(PRECALL_* specializations) and one pyenv 3.12+ build (CALL_NO_KW_*):
it must report each C function the workload calls, including those 3.11+
specializes into instructions that never call them, with the counts the
workload's loops imply, and the PyTorch-profiler check must hold in it.
"""
import os

import pytest

import ccall_truth
import helpers

WORKLOAD = os.path.join(helpers.WORKLOADS, "ccalls.py")
KEY_SLEEP = 0.02
N_ITEMS = 5
LOOP = 60


def _interp(ident):
    interp, why = helpers.find_interp(ident)
    if interp is None:
        pytest.skip(why)
    return interp


def test_c_calls_refused_before_tracing(tracer, tmp_path):
    interp = _interp("debian3.11")
    marker = tmp_path / "ran"
    out = tmp_path / "t.json"
    p = helpers.run([tracer, "--c-calls", "-o", str(out), "--", interp.python, "-c",
                     "open(%r, 'w').close()" % str(marker)], timeout=60)
    assert 0 < p.returncode < 128, helpers.describe(p)
    first = p.stderr.splitlines()[0] if p.stderr else ""
    assert "--c-calls" in first and "supported: the dispatch strategy on CPython 3.12" in first, \
        helpers.describe(p)
    assert not marker.exists(), "the command ran although --c-calls was refused"
    assert not out.exists(), "a refused session left an output file"


@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.12"])
def test_ground_truth_fit(ident, tmp_path):
    interp = _interp(ident)
    doc = ccall_truth.c_truth(interp.python, WORKLOAD, tmp_path)
    counts = doc["counts"]
    calls = {name: c["calls"] for name, c in counts.items()}
    # specialized on 3.11+ (LEN, ISINSTANCE, LIST_APPEND): reported all the same
    assert calls.get("isinstance") == LOOP, calls
    # LOOP in main, 2 x 40 in the threads, 2 in main's last line
    assert calls.get("len") == LOOP + 80 + 2, calls
    assert calls.get("list.append") == LOOP + 80, calls
    # LOOP, the raising one, 10 in the generator resumed from sum()
    assert calls.get("math.sqrt") == LOOP + 1 + 10, calls
    assert counts["math.sqrt"]["exceptions"] == 1, counts
    for name, n in (("sorted", 1), ("time.sleep", N_ITEMS), ("str.join", 1), ("repr", 3),
                    ("sum", 2), ("math.pow", 1), ("int.from_bytes", 1)):
        assert calls.get(name) == n, (name, calls)
    # types are called too (range, str, list, int): no c_call for them
    for name in ("range", "str", "list", "int"):
        assert name not in calls, (name, calls)
    for name, c in counts.items():
        assert c["returns"] + c["exceptions"] == c["calls"], (name, c)
    # the PyTorch-profiler check, as it must hold in our .json and .pftrace
    assert len(doc["sorted"]) == 1, doc["sorted"]
    s = doc["sorted"][0]
    keys = [i for i in s["inner"] if i["name"] == "slow_key"]
    assert len(keys) == N_ITEMS, s
    assert all(k["dur"] >= KEY_SLEEP for k in keys), s
    assert s["dur"] >= sum(k["dur"] for k in keys) >= N_ITEMS * KEY_SLEEP, s
