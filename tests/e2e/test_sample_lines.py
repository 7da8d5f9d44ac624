# SPDX-License-Identifier: MIT
"""--sample --lines on every interpreter present, launched and attached,
against the workload's own measurements (workloads/sample_lines.py):

- hot()'s two busy lines get sample shares matching the CPU time the
  workload measured around each line: the share of LINE_A within
  4 standard errors of a binomial of that many samples (+2 points for the
  sampling's own granularity), and the A/B ratio within 15%;
- every frame of a workload function, in every sample (the 600-deep
  stacks included), is at a line the interpreter says that function has;
  the recursion's frames are exactly at its call line, its bottom at the
  bottom line; where hot() is the innermost frame it is (almost always) on
  LINE_A or LINE_B, the lines it spends its time on;
- the .pprof's Locations carry the line with the function hot (not a
  function per line), and their sample counts equal the .folded's;
- --lines without --sample is refused."""
import collections
import json
import math
import re

import pytest

import helpers
from test_folded import FRAME, parse_folded
from test_pprof import decode_profile, one
from test_sample import INTERPS, _run

WORKLOAD = helpers.Workload("sample_lines", ["sample_lines.py"])


def _frame(text, wl):
    """'hot:24 (path:22)' -> ('hot', 24 or None, is a workload function)"""
    m = FRAME.match(text)
    if not m:
        return text, None, False
    name, _, line = m.group(1).rpartition(":")
    assert name, "a frame without :LINE under --lines: %r" % text
    return name, (None if line == "?" else int(line)), m.group(2) == wl


def _check_folded(rows, truth):
    """-> samples per (function, line) of hot() as the innermost frame"""
    wl, mk, lines = WORKLOAD.path, truth["markers"], truth["lines"]
    leaf_hot = collections.Counter()
    deep_samples = 0
    for frames, n in rows:
        parsed = [_frame(x, wl) for x in frames]
        for name, line, ours in parsed:
            if ours and name in lines:
                assert line in lines[name], \
                    "%s at line %s, which it does not have (%s)" % (name, line, lines[name])
        deeps = [line for name, line, ours in parsed if ours and name == "deep"]
        # every caller in the recursion is at its call (going down too)
        assert deeps[:-1] == [mk["LINE_DEEP"]] * (len(deeps) - 1), collections.Counter(deeps)
        if any(ours and name == "spin" for name, _, ours in parsed):
            deep_samples += n
            assert len(deeps) == 601, len(deeps)
            assert deeps[-1] == mk["LINE_BOTTOM"], deeps[-1]
        name, line, ours = parsed[-1]
        if ours and name == "hot":
            leaf_hot[line] += n
    assert deep_samples >= 100, "only %d samples of the deep stack" % deep_samples
    return leaf_hot


def _check_shares(leaf_hot, truth):
    mk = truth["markers"]
    a, b = leaf_hot[mk["LINE_A"]], leaf_hot[mk["LINE_B"]]
    leaf = sum(leaf_hot.values())
    assert (a + b) >= 0.9 * leaf, "hot() innermost: %d samples, %d on its busy lines (%s)" % (
        leaf, a + b, dict(leaf_hot))
    want = truth["a_cpu"] / (truth["a_cpu"] + truth["b_cpu"])
    got = a / float(a + b)
    se = math.sqrt(want * (1 - want) / (a + b))
    print("LINE_A share: samples %d/%d = %.3f, CPU time %.3f (1 s.e. %.3f)" % (
        a, a + b, got, want, se))
    assert a + b >= 300, (a, b)
    assert abs(got - want) <= 4 * se + 0.02, (got, want, se)
    ratio, wratio = a / float(b), truth["a_cpu"] / truth["b_cpu"]
    assert abs(ratio / wratio - 1) <= 0.15, (ratio, wratio)
    assert 1.6 <= wratio <= 2.4, "the workload is not 2:1 (%.3f): machine too noisy?" % wratio


def _check_pprof(path, leaf_hot, truth, tmp_path):
    msg = decode_profile(path, tmp_path)
    s = msg["string_table"]
    funcs = {one(f, "id"): s[one(f, "name", 0)] for f in msg["function"]}
    assert not any(re.search(r":(\d+|\?)$", n) for n in funcs.values()), \
        "a pprof Function per line: %s" % sorted(funcs.values())[:10]
    locs = {}
    for loc in msg["location"]:
        ln = one(loc, "line")
        locs[one(loc, "id")] = (funcs[one(ln, "function_id")], one(ln, "line", 0))
    leaf = collections.Counter()
    for smp in msg["sample"]:
        name, line = locs[smp["location_id"][0]]
        if name == "hot":
            leaf[line] += smp["value"][0]
    assert leaf == +collections.Counter({k: v for k, v in leaf_hot.items() if k}), (
        leaf, leaf_hot)
    assert leaf[truth["markers"]["LINE_A"]] > 0


@pytest.mark.parametrize("mode", ["launch", "attach"])
@pytest.mark.parametrize("ident", INTERPS)
def test_sample_lines(tracer, get_interp, ident, mode, tmp_path):
    interp = get_interp(ident)
    paths, truth, summary = _run(tracer, interp, mode, tmp_path, workload=WORKLOAD,
                                 args=["--lines"], truth=helpers.json_truth)
    leaf_hot = _check_folded(parse_folded(paths["folded"]), truth)
    _check_shares(leaf_hot, truth)
    _check_pprof(paths["pprof"], leaf_hot, truth, tmp_path)
    m = re.search(r"^lines: (\d+) of (\d+) sampled frames have no known line", summary, re.M)
    assert m and int(m.group(2)) > 0, summary[-2000:]
    assert re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+  hot:%d \(" % truth["markers"]["LINE_A"],
                     summary, re.M), summary[-3000:]
    with open(paths["speedscope"]) as f:
        frames = json.load(f)["shared"]["frames"]
    assert any(fr["name"] == "hot:%d" % truth["markers"]["LINE_A"] and
               fr["line"] == truth["markers"]["LINE_A"] for fr in frames)


def test_lines_needs_sample(tracer):
    p = helpers.run([tracer, "--lines", "--", helpers.DEBIAN_PY, "-c", "pass"], timeout=30)
    assert p.returncode != 0 and "--lines" in p.stderr and "--sample" in p.stderr, \
        helpers.describe(p)
