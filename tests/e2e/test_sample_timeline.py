# SPDX-License-Identifier: MIT
"""CPU samples (--sample) in the timeline formats, .pftrace and Chrome
.json, read back by their consumers and compared with the .folded file of
the same run (whose counts test_sample.py checks against the workload's
own CPU times):

- .pftrace, decoded by protoc and replayed the way trace_processor reads
  it (test_pftrace.Trace: sequences, incremental clocks, interned names,
  slice nesting): "sample" slices on each thread's track; every slice's
  path from its thread's outermost slice is a stack of the .folded file,
  and each slice's `samples` argument less its children's gives, summed
  per path, exactly the .folded counts;
- Chrome .json: the same with its B/E events (file and line on the B, the
  E giving only its samples: catapult warns for an argument both give), and
  imported by the real speedscope ("Trace Event Format profile"): the same
  functions, each with a total time within 10% of its samples × period;
- the session's counters: the samples, the period, the truncated stacks."""
import collections
import os

import pytest

import helpers
from test_folded import FRAME, parse_folded
from test_pftrace import Trace
from test_speedscope import _chrome_key, _consumer_or_skip, _imported, speedscope_import

HZ = 997
WORKLOAD = helpers.Workload("sampling", ["sampling.py"])
ENV = {"E2E_SAMPLE_SECONDS": "1.5", "E2E_DEEP_SECONDS": "0.4"}
OUTS = {"folded": "s.folded", "json": "s.json", "pftrace": "s.pftrace"}


def _key(frame):
    """a .folded frame -> (qualname, file, line)"""
    m = FRAME.match(frame)
    return (m.group(1), m.group(2), int(m.group(3))) if m else (frame, "", 0)


def _run(tracer, interp, mode, d):
    """launched: ENV (shorter phases); attached: the workload's defaults"""
    paths = {k: os.path.join(str(d), v) for k, v in OUTS.items()}
    helpers.run_both_ways(tracer, interp, WORKLOAD, mode, d, list(paths.values()),
                          ["--sample=%d" % HZ], ENV, 120)
    return paths


def folded_by_path(rows, key):
    out = collections.Counter()
    for frames, n in rows:
        out[tuple(key(_key(f)) for f in frames)] += n
    return out


def slices_by_path(slices, key):
    """{path outermost first: samples with exactly that stack}: a slice's
    samples less its children's, summed per path"""
    children = collections.Counter()
    for s in slices:
        if s["parent"] is not None:
            children[id(s["parent"])] += s["samples"]
    out = collections.Counter()
    for s in slices:
        path, p = [], s
        while p is not None:
            path.append(key(p))
            p = p["parent"]
        own = s["samples"] - children[id(s)]
        assert own >= 0, "a slice stands for fewer samples than its children: %r" % key(s)
        if own:
            out[tuple(reversed(path))] += own
    return out


def check_paths(slices, rows, key, what):
    got, want = slices_by_path(slices, key), folded_by_path(rows, key)
    assert sum(want.values()) > 500, "only %d samples" % sum(want.values())
    only_got = {k: v for k, v in got.items() if want.get(k) != v}
    only_want = {k: v for k, v in want.items() if got.get(k) != v}
    assert not only_got and not only_want, \
        "%s: samples per stack differ from the .folded file:\n %s: %r\n .folded: %r" % (
            what, what, sorted(only_got.items())[:5], sorted(only_want.items())[:5])


def chrome_slices(doc):
    """replay the B/E events of category "sample", per thread"""
    stacks = collections.defaultdict(list)
    out = []
    for e in doc["traceEvents"]:
        if e.get("cat") != "sample":
            continue
        assert e["ph"] in ("B", "E"), e
        st = stacks[(e["pid"], e["tid"])]
        if e["ph"] == "B":
            s = {"name": e["name"], "file": e["args"]["file"], "line": e["args"]["line"],
                 "start": e["ts"], "parent": st[-1] if st else None}
            st.append(s)
            continue
        assert st, "an E without a B: %r" % e
        s = st.pop()
        assert s["name"] == e["name"], (s, e)
        # catapult's importer warns for every argument both the B and the
        # E give ("Both the B and E phases of ... provided values for
        # argument ..."): the E adds "samples", nothing of its B's
        assert set(e["args"]) == {"samples"}, e
        assert e["ts"] >= s["start"] and e["args"]["samples"] > 0, e
        s["samples"] = e["args"]["samples"]
        out.append(s)
    assert not any(stacks.values()), "slices never ended"
    return out


@pytest.mark.parametrize("ident,mode", [("debian3.11", "launch"), ("pyenv3.12", "attach")])
def test_sample_timeline(tracer, get_interp, ident, mode, tmp_path):
    interp = get_interp(ident)
    paths = _run(tracer, interp, mode, tmp_path)
    rows = parse_folded(paths["folded"])
    n = sum(v for _, v in rows)
    # .pftrace: slices of category "sample", their counts exact
    tr = Trace(paths["pftrace"], tmp_path)
    sampled = [s for s in tr.slices if s["cats"] == ["sample"]]
    assert sampled and len(sampled) + 1 == len(tr.slices), "other slices than samples"
    for s in sampled:
        s["samples"] = s["args"]["samples"]
        assert tr.thread_of(s["track"])[0] > 0
    check_paths(sampled, rows, lambda k: k["name"] if isinstance(k, dict) else k[0],
                "pftrace")
    sess = [s for s in tr.slices if s["cats"] == ["tracer"]][0]
    assert sess["args"]["samples"] == n and sess["args"]["samples_truncated"] == 0
    assert sess["args"]["sample_period_ns"] == 1000000000 // HZ
    # Chrome .json: the same, with files and lines
    doc = helpers.load_chrome(paths["json"])
    key = lambda k: (k["name"], k["file"], k["line"]) if isinstance(k, dict) else k  # noqa
    check_paths(chrome_slices(doc), rows, key, "json")
    other = doc["session"]
    assert other["samples"] == n and other["sample_period_ns"] == 1000000000 // HZ
    assert other["calls"] == 0


def test_sample_chrome_in_speedscope(tracer, get_interp, tmp_path):
    """speedscope reads the samples of the Chrome trace: the functions of
    the .folded file, each for about its samples × the period"""
    _consumer_or_skip()
    paths = _run(tracer, get_interp("debian3.11"), "launch", tmp_path)
    rows = parse_folded(paths["folded"])
    period_us = 1e6 / HZ
    want = collections.Counter()
    for frames, v in rows:
        for k in {_key(f) for f in frames}:
            want[k] += v
    profiles = _imported(speedscope_import([paths["json"]])[paths["json"]],
                         "Trace Event Format profile")
    got = collections.Counter()
    for p in profiles:
        for fr in p["frames"]:
            got[_chrome_key(fr["name"])] += fr["total"]
    assert set(got) == set(want), (sorted(set(got) ^ set(want)))[:10]
    wl = [k for k in want if k[1] == WORKLOAD.path and want[k] >= 100]
    assert {k[0] for k in wl} >= {"main", "f", "g", "work", "deep", "spin"}, wl
    for k in wl:
        ratio = got[k] / (want[k] * period_us)
        print("%s: %d samples, %.0f us in speedscope (%.3f)" % (k[0], want[k], got[k], ratio))
        assert abs(ratio - 1) <= 0.10, (k, want[k], got[k])
