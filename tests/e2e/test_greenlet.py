# SPDX-License-Identifier: MIT
"""Greenlets (workloads/greenlets.py): 50 greenlets on one thread, plain
greenlet and gevent, launched and attached.

Ground truth, in a separate run of the same interpreter: sys.setprofile's
calls attributed to the running greenlet, which greenlet.settrace follows.
The Chrome trace must give each greenlet a track of its own ("greenlet N
(thread T)") holding exactly its greenlet's calls, nested like a stack;
the thread's own track holds the main greenlet's; no return is unmatched
or inferred and no message says calls are missing. The Perfetto trace has
a track per greenlet under its thread's track with the same calls, the
speedscope file a timeline per greenlet."""
import collections
import json
import os
import subprocess

import pytest

import helpers
from test_pftrace import Trace
from test_pprof import one

WORKLOAD = helpers.Workload("greenlets", ["greenlets.py"])
INTERPS = ["debian3.11", "pyenv3.12"]


def needs_greenlet(interp, kind):
    mod = "gevent" if kind == "gevent" else "greenlet"
    p = subprocess.run([interp.python, "-c", "import " + mod], capture_output=True)
    if p.returncode:
        why = "%s cannot import %s: %s" % (interp.python, mod,
                                           p.stderr.decode(errors="replace").strip()
                                           .splitlines()[-1:])
        print("skipping: " + why)
        pytest.skip(why)


def truth_of(interp, kind, early):
    env = helpers.target_env({"TR_GREENLET_KIND": kind, "E2E_GREENLET_TRUTH": "1",
                              "TR_GREENLET_EARLY": early})
    p = helpers.run([interp.python, WORKLOAD.path], env=env, timeout=120)
    assert p.returncode == 0, helpers.describe(p)
    return helpers.json_truth(p.stderr)


def tracks_of(chrome):
    """tid -> track name, for the greenlet tracks; calls of the workload
    file by (pid, tid)"""
    names = {e["tid"]: e["args"]["name"] for e in chrome.events
             if e["ph"] == "M" and e["name"] == "thread_name"
             and e["args"]["name"].startswith("greenlet ")}
    calls = collections.defaultdict(collections.Counter)
    for e in chrome.in_files(WORKLOAD.files):
        # the truth starts inside <module>, after the frames running at
        # the attach began
        if e["name"] != "<module>" and not e["args"].get("began_before_attach"):
            calls[e["tid"]][e["name"]] += 1
    return names, calls


# "early": the greenlets are suspended when the tracer attaches (their
# frames are on no thread's frame chain then)
@pytest.mark.parametrize("mode", ["launch", "attach", "attach-early"])
@pytest.mark.parametrize("kind", ["greenlet", "gevent"])
@pytest.mark.parametrize("ident", INTERPS)
def test_greenlet_tracks(tracer, get_interp, ident, kind, mode, tmp_path, monkeypatch):
    interp = get_interp(ident)
    needs_greenlet(interp, kind)
    early = "1" if mode.endswith("-early") else "0"
    truth = truth_of(interp, kind, early)
    monkeypatch.setenv("TR_GREENLET_KIND", kind)
    monkeypatch.setenv("TR_GREENLET_EARLY", early)
    out = tmp_path / "t.json"
    pf = tmp_path / "t.pftrace"
    ss = tmp_path / "t.speedscope.json"
    err, summary = helpers.run_both_ways(tracer, interp, WORKLOAD, mode.split("-")[0], tmp_path,
                                         [out, pf, ss, "-"], interp.tracer_args,
                                         env={"TR_GREENLET_KIND": kind, "TR_GREENLET_EARLY": early})
    chrome = helpers.Chrome(out)
    names, calls = tracks_of(chrome)

    main, greenlets = truth["greenlets"][0], truth["greenlets"][1:]
    assert len(greenlets) == 50, truth
    got_main = [dict(c) for tid, c in calls.items() if tid not in names]
    got_greenlets = [dict(c) for tid, c in calls.items() if tid in names]
    assert got_main == [main], (got_main, main)
    key = lambda d: sorted(d.items())
    assert sorted(got_greenlets, key=key) == sorted(greenlets, key=key), \
        "per greenlet calls differ:\ntraced %r\ntruth  %r" % (got_greenlets, greenlets)
    # each of the 50 greenlets has its own track
    assert len([t for t in names if calls.get(t)]) == 50, names

    assert chrome.counter("unmatched_returns") == 0, chrome.other
    assert chrome.counter("inferred_returns") == 0, chrome.other
    assert chrome.counter("lost") == 0, chrome.other
    assert "missing" not in err + summary
    assert " 0 returns inferred (not probed), 0 unmatched returns" in summary, summary
    assert helpers.nesting_violations(chrome.calls) == []
    # a greenlet's work() lasts from its call to its return, as setprofile
    # sees it: across the switches, so longer than its callees together
    work = [e for e in chrome.in_files(WORKLOAD.files) if e["name"].startswith("work_")]
    assert len(work) == 50, work
    for e in work:
        assert e["tid"] in names, e
        inner = [c for c in chrome.calls if c["tid"] == e["tid"] and c is not e and
                 e["ts"] <= c["ts"] <= e["ts"] + e["dur"]]
        assert inner and e["dur"] > sum(c["dur"] for c in inner if c["name"] == "middle"), e
        assert bool(e["args"].get("began_before_attach")) == (early == "1"), e

    # Perfetto: a track per greenlet, under its thread's
    tr = Trace(pf, tmp_path)
    threads = {u for u, td in tr.tracks.items() if td.get("thread")}
    gtracks = {u for u, td in tr.tracks.items() if one(td, "name", "").startswith("greenlet ")}
    assert len(gtracks) >= 50, tr.tracks
    assert all(one(tr.tracks[u], "parent_uuid") in threads for u in gtracks)
    names = {n for g in greenlets for n in g}
    per = collections.defaultdict(collections.Counter)
    for sl in tr.slices:
        if sl["name"] in names and not sl["args"].get("began_before_attach"):
            assert sl["track"] in gtracks, sl
            per[sl["track"]][sl["name"]] += 1
    assert sorted(map(dict, per.values()), key=key) == sorted(greenlets, key=key)

    # speedscope: a timeline per greenlet, its opens and closes balanced
    with open(str(ss), encoding="utf-8") as f:
        doc = json.load(f)
    frames = doc["shared"]["frames"]
    per = []
    for p in doc["profiles"]:
        if not p["name"].startswith("greenlet "):
            continue
        stack, c = [], collections.Counter()
        for e in p["events"]:
            if e["type"] == "O":
                stack.append(e["frame"])
                c[frames[e["frame"]]["name"]] += 1
            else:
                assert stack and stack.pop() == e["frame"], p["name"]
        mine = {n: k for n, k in c.items() if n in names and not n.startswith("work_")}
        if mine:	# (gevent's hub runs none of the workload's functions)
            per.append(mine)
    assert sorted(per, key=key) == sorted(
        [{n: k for n, k in g.items() if not n.startswith("work_")} for g in greenlets], key=key)
