# SPDX-License-Identifier: MIT
"""Sampling a free-threaded CPython 3.14t (--disable-gil, built by hand
like 3.14.7 under $PYENV_ROOT/versions/3.14.*t; skipped with the reason
when absent), against the ground truth the workload measures itself
(workloads/free_threaded.py): two threads running at once without a GIL,
each spinning at its own depth in its own leaf for a measured time.

- the GIL is off in the target (its sys._is_gil_enabled());
- the leaves' shares of the samples follow the threads' own CPU times
  (--sample) or wall times (--wall) within 15%;
- every sample of a leaf has the thread's whole stack, exactly as Python
  walked it (names, so the depth), and with --lines each caller's current
  line and a leaf line inside the spinning loop: on 3.14t each thread runs
  its own copy of the bytecode (co_tlbc), which the sampler must measure
  the instruction from; the leaves' names are not ASCII (one and two bytes
  a character: the str layout of a free-threaded build).

Three sessions, each checked by all that applies: CPU samples launched and
attached (with --lines), wall-clock samples attached (--wall with --lines
is refused on every build: sample_wall's verification goes past 1M
instructions, test_errors.py). Exact modes are refused
on 3.14t: test_errors.py. 3.13t is not tested: no such build is here (the
tracer refuses it: no layout was derived for it)."""
import collections
import glob
import os
import re

import pytest

import helpers
from test_folded import FRAME, parse_folded

TIMEOUT = 180
WORKLOAD = helpers.Workload("free_threaded", ["free_threaded.py"])
# (the workload's default too: an attached target gets no environment
# from helpers.run_both_ways)
SECONDS = "1"
LEAF = {"alpha": "spin_álpha", "beta": "spin_β"}


def _ft_interp():
    pys = sorted(glob.glob(os.path.join(helpers.PYENV_ROOT, "versions", "3.14.*t", "bin",
                                        "python3.14")))
    if not pys:
        why = "no free-threaded 3.14 build under %s/versions/3.14.*t" % helpers.PYENV_ROOT
        print("skipping: " + why)
        pytest.skip(why)
    d = os.path.dirname(os.path.dirname(pys[-1]))
    return helpers.Interp("pyenv3.14t", pys[-1], (3, 14), "pyenv",
                          os.path.join(d, "lib", "libpython3.14t.so.1.0"))


def _truth(err):
    t = {}
    m = re.search(r"^truth: gil=(\d) parallel=([\d.]+)$", err, re.M)
    assert m, "the workload did not report its truth:\n" + err[-3000:]
    t["gil"], t["parallel"] = int(m.group(1)), float(m.group(2))
    for name in ("alpha", "beta"):
        m = re.search(r"^truth: %s cpu=([\d.]+) wall=([\d.]+)$" % name, err, re.M)
        s = re.search(r"^truth: %s stack=(.*)$" % name, err, re.M)
        ln = re.search(r"^truth: %s lines=([\d,]+)$" % name, err, re.M)
        once = re.search(r"^truth: %s once=([\d,]+)$" % name, err, re.M)
        assert m and s and ln and once, err[-3000:]
        frames = [f.rsplit(":", 1) for f in s.group(1).split(";")]
        t[name] = {"cpu": float(m.group(1)), "wall": float(m.group(2)),
                   "stack": [(n, int(line)) for n, line in frames],
                   "lines": set(int(x) for x in ln.group(1).split(",")),
                   "once": set(int(x) for x in once.group(1).split(","))}
    return t


@pytest.fixture(scope="module", params=["launch-cpu", "attach-cpu", "attach-wall"])
def session(request, tracer, tmp_path_factory):
    interp = _ft_interp()
    mode, kind = request.param.split("-")
    d = tmp_path_factory.mktemp(request.param)
    folded = str(d / "s.folded")
    args = ["--sample=199", "--wall"] if kind == "wall" else ["--sample=997", "--lines"]
    err, out = helpers.run_both_ways(tracer, interp, WORKLOAD, mode, d, [folded, "-"], args,
                                     {"E2E_FT_SECONDS": SECONDS}, TIMEOUT)
    return kind, _truth(err), parse_folded(folded), out


def _frame(text, lines):
    """(name, line or None) of a folded frame; with --lines its name is
    `qualname:LINE`"""
    m = FRAME.match(text)
    assert m, text
    name = m.group(1)
    if lines:
        m = re.match(r"^(.*):(\d+)$", name)
        return (m.group(1), int(m.group(2))) if m else (name, None)
    return name, None


MARKED = "[changed while read]"


def _leaf_rows(rows, lines):
    """{thread: [(frames, n)]} of the samples whose innermost frame is a
    leaf; "marked": the number of samples marked as read while their
    thread changed its stack (--wall: counted and said, their frames not
    exact)"""
    got = collections.defaultdict(list)
    for frames, n in rows:
        if MARKED in frames:
            got["marked"].append(([], n))
            continue
        fs = [_frame(f, lines) for f in frames]
        for name in ("alpha", "beta"):
            if fs and fs[-1][0] == LEAF[name]:
                got[name].append((fs, n))
    return got


def test_gil_is_off(session):
    kind, truth, rows, out = session
    print("process CPU / wall time while both threads ran: %.2f (2 CPUs, shared machine)"
          % truth["parallel"])
    assert truth["gil"] == 0, "the target ran with the GIL enabled"


def test_shares_follow_the_threads_times(session):
    kind, truth, rows, out = session
    got = _leaf_rows(rows, kind == "cpu")
    sa, sb = (sum(n for _, n in got[x]) for x in ("alpha", "beta"))
    key = "cpu" if kind == "cpu" else "wall"
    want = truth["alpha"][key] / truth["beta"][key]
    print("%s: alpha/beta samples %d/%d = %.3f, measured %s time ratio %.3f"
          % (kind, sa, sb, sa / max(sb, 1), key, want))
    assert sb >= 100, "only %d samples of beta's leaf" % sb
    assert abs((sa / sb) / want - 1) <= 0.15, (sa, sb, want)


def test_stacks_are_whole_and_exact(session):
    """names (so the depth) of every leaf sample as Python walked them;
    with --lines every caller's line too and the leaf's in its loop"""
    kind, truth, rows, out = session
    lines = kind == "cpu"
    got = _leaf_rows(rows, lines)
    for name in ("alpha", "beta"):
        want = truth[name]["stack"]
        assert got[name], "no sample of %s's leaf" % name
        for fs, n in got[name]:
            assert len(fs) == len(want) + 1, \
                "%s: %d frames, Python counted %d" % (name, len(fs), len(want) + 1)
            assert [f[0] for f in fs[:-1]] == [w[0] for w in want], (name, fs[:6])
            if lines:
                assert fs[:-1] == want, "%s: callers' lines %r, Python's %r" % (
                    name, [f for f, w in zip(fs, want) if f != w][:3],
                    [w for f, w in zip(fs, want) if f != w][:3])
                assert fs[-1][1] in truth[name]["lines"] | truth[name]["once"], \
                    "%s's leaf at line %s, its loop is %s, its other lines %s" % (
                        name, fs[-1][1], sorted(truth[name]["lines"]),
                        sorted(truth[name]["once"]))
        if lines:
            # the spin is its loop: the lines before and after it run once
            in_loop = sum(n for fs, n in got[name] if fs[-1][1] in truth[name]["lines"])
            assert in_loop >= 0.95 * sum(n for _, n in got[name]), (name, got[name][:3])
    # marked samples: --wall only (its walks read threads that run), few
    marked = sum(n for _, n in got["marked"])
    total = sum(n for _, n in rows)
    print("%s: %d of %d samples marked %s" % (kind, marked, total, MARKED))
    assert marked == 0 if kind == "cpu" else marked <= 0.05 * total, (marked, total)
