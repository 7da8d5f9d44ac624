# SPDX-License-Identifier: MIT
"""Python thread names on the timeline tracks: the name `threading` gives
each thread (threading.Thread.name, read from the process while it runs)
names its track in the Chrome trace (`thread_name` metadata), the
.pftrace (thread descriptors), the .speedscope.json (profile names) and a
recording's report and pprof's `thread_name` label (go tool pprof -tags),
instead of the OS thread name; the .svg still counts each thread once. Ground truth: the
workload itself (workloads/thread_names.py) reports, in each thread at its
end, threading.get_native_id() and threading.current_thread().name. Its
threads include a name longer than an OS thread name, with quotes,
backslash, a tab, HTML and non-ASCII characters (the formats must carry it
escaped and intact), and a thread renamed while it runs (its last name
wins).

Matrix: the reading of a Thread's attributes differs with each version
(3.8-3.10 a dict at tp_dictoffset, 3.11 and 3.12 managed dicts, 3.13
inline values): Debian's 3.11 launched, and pyenv's 3.13 attached (the
newest layout, and names read of threads started after the attach); one
session each, checked by every assert. 3.14 is read as 3.13 (the same
object layouts: test_dump.py checks its names)."""
import collections
import json
import re

import pytest

import helpers
from test_pftrace import Trace, one
from test_pprof_go import pprof

WORKLOAD = helpers.Workload("thread_names", ["thread_names.py"])
CASES = [("debian3.11", "launch"), ("pyenv3.13", "attach")]
OUTPUTS = ("t.json", "t.pftrace", "t.speedscope.json", "t.svg", "t.pprof", "t.trace")


@pytest.fixture(scope="module", params=CASES, ids=["%s-%s" % c for c in CASES])
def session(request, tracer, tmp_path_factory):
    ident, mode = request.param
    it, why = helpers.find_interp(ident)
    if it is None:
        print("skipping %s: %s" % (ident, why))
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("names-%s" % ident)
    outs = [tmp / o for o in OUTPUTS]
    err, _ = helpers.run_both_ways(tracer, it, WORKLOAD, mode, tmp, outs, [])
    truth = helpers.json_truth(err)
    assert len(truth) == 4, truth
    p = helpers.run([tracer, "report", str(tmp / "t.trace"), "-o", str(tmp / "r.json")])
    assert p.returncode == 0, helpers.describe(p)
    return tmp, {int(k): v for k, v in truth.items()}


def chrome_names(path):
    """tid -> every thread_name given to it, in file order (the last wins,
    in Perfetto's JSON importer as in catapult's)"""
    doc = helpers.load_chrome(str(path))
    names = collections.defaultdict(list)
    for e in doc["traceEvents"]:
        if e.get("ph") == "M" and e["name"] == "thread_name":
            names[e["tid"]].append(e["args"]["name"])
    return names


def test_chrome_names(session):
    tmp, truth = session
    names = chrome_names(tmp / "t.json")
    assert {tid: names[tid][-1] for tid in truth} == truth, dict(names)


def test_report_names(session):
    """a recording keeps the names (and renames): its report names alike"""
    tmp, truth = session
    assert chrome_names(tmp / "r.json") == chrome_names(tmp / "t.json")


def test_pftrace_names(session):
    tmp, truth = session
    tr = Trace(tmp / "t.pftrace", tmp)
    got = {}
    for td in tr.tracks.values():	# each track's last descriptor
        if "thread" in td:
            th = one(td, "thread")
            got[one(th, "tid")] = one(th, "thread_name", "")
    assert {tid: got.get(tid) for tid in truth} == truth, got


def test_speedscope_names(session):
    tmp, truth = session
    with open(str(tmp / "t.speedscope.json")) as f:
        doc = json.load(f)
    got = {}
    for prof in doc["profiles"]:
        name, _, rest = prof["name"].rpartition(" (tid ")
        got[int(rest.split(",")[0])] = name
    assert {tid: got.get(tid) for tid in truth} == truth, got


def test_svg_counts_each_thread_once(session):
    """a thread named again (its Python name, a rename) is one thread in
    the flame graph's header"""
    tmp, truth = session
    with open(str(tmp / "t.svg"), encoding="utf-8") as f:
        assert "summed over %d threads" % len(truth) in f.read()


def test_pprof_thread_name_labels(session):
    """go tool pprof -tags: the thread_name label's values are the Python
    names (pprof prints them with blanks as it likes: compared word by word)"""
    tmp, truth = session
    tags, _ = pprof(["-tags"], tmp / "t.pprof")
    block = tags.split("thread_name:", 1)[1]
    got = set()
    for line in block.splitlines()[1:]:
        m = re.match(r"^\s+\S+ \(\s*[\d.]+%\): (.*)$", line)
        if not m:
            break
        got.add(" ".join(m.group(1).split()))
    assert got == {" ".join(n.split()) for n in truth.values()}, (got, tags[:2000])
