# SPDX-License-Identifier: MIT
"""The collapsed-stacks output (.folded), against the Chrome trace of the
same tracer run and the sys.setprofile ground truth: every line is
`frame;frame VALUE`, the values add up to the total traced thread time,
every function of the workload that ran is in some stack, and
`tracer report REC.trace -o X.folded` equals the direct -o X.folded.

The run is the one traced session per (interpreter, workload, mode) that
writes every format (fixture formats_run, formats_run.py). Also home of
what test_speedscope.py shares: the readers of the folded file and of the
Chrome trace's times."""
import collections
import re

import helpers
import nesting

# qualname (file:line), as out_folded.c names a frame
FRAME = re.compile(r"^(.*) \((.*):(\d+)\)$")


# ---- readers --------------------------------------------------------------

def parse_folded(path):
    """-> [(frames, value)] with frames outermost first, as strings; checks
    the line syntax"""
    rows = []
    with open(str(path), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            assert line.endswith("\n"), "line %d not terminated" % n
            m = re.match(r"^(.+) (\d+)\n$", line)
            assert m, "line %d is not `stack VALUE`: %r" % (n, line[:300])
            frames = m.group(1).split(";")
            assert all(frames), "empty frame on line %d" % n
            rows.append((frames, int(m.group(2))))
    return rows


def frame_key(frame):
    """"qualname (file:line)" -> (qualname, file, line)"""
    m = FRAME.match(frame)
    assert m, "frame not `qualname (file:line)`: %r" % frame
    return (m.group(1), m.group(2), int(m.group(3)))


def ns(us):
    """a Chrome time in microseconds (3 decimals) -> nanoseconds"""
    return int(round(us * 1000))


def chrome_intervals(chrome):
    """(pid, tid) -> [(start_ns, end_ns, key)] of the Chrome trace's calls"""
    by = collections.defaultdict(list)
    for e in chrome.calls:
        s = ns(e["ts"])
        by[(e["pid"], e["tid"])].append((s, s + ns(e["dur"]), chrome.key(e)))
    return by


def outermost_total_ns(intervals):
    """sum of the durations of the calls no other call of their thread
    encloses: the traced time of every thread"""
    total = 0
    for evs in intervals.values():
        end = None
        for s, e, _ in sorted(evs, key=lambda x: (x[0], -x[1])):
            if end is None or s >= end:
                total += e - s
                end = e
            else:
                assert e <= end, "calls overlap without nesting: %r" % ((s, e),)
    return total


def sanitize(key):
    """a Chrome key as out_folded.c writes it: ';' -> ',', controls -> ' '"""
    clean = lambda t: re.sub(r"[\x00-\x1f\x7f]", " ", t.replace(";", ","))
    return (clean(key[0]), clean(key[1]), key[2])


def chrome_stacks(chrome):
    """stack (keys, outermost first) -> self time in ns, from the nesting
    of the Chrome trace's calls per thread"""
    return nesting.self_per_path(
        (thread, s, e, sanitize(key))
        for thread, evs in chrome_intervals(chrome).items() for s, e, key in evs)


def workload_keys(keys, workload):
    files = set(workload.files)
    return {k for k in keys if k[1] in files and k[0] != "<module>"}


# ---- tests ----------------------------------------------------------------

def check_folded(run, workload, truth):
    rows = parse_folded(run["folded"])
    assert rows, "empty .folded"
    chrome = helpers.Chrome(run["json"])
    # the values add up to the traced time (each value rounds a running
    # total: the sum is the rounded total; 1 µs of slack for the Chrome
    # trace's own view of nesting at equal times)
    total_ns = outermost_total_ns(chrome_intervals(chrome))
    got = sum(v for _, v in rows)
    assert abs(got - total_ns / 1000.0) <= 1, \
        "folded values sum to %d µs, the Chrome trace's threads ran %.3f µs" % (got, total_ns / 1e3)
    # one line per distinct stack
    stacks = [tuple(f) for f, _ in rows]
    assert len(stacks) == len(set(stacks)), "a stack has several lines"
    # every function of the workload that ran (ground truth) is in a stack,
    # and nothing else of its files
    keys = {frame_key(f) for fr, _ in rows for f in fr}
    assert workload_keys(keys, workload) == set(truth.calls), \
        "functions of the workload in .folded differ from ground truth:\n only traced %r\n only truth %r" % (
            sorted(workload_keys(keys, workload) - set(truth.calls)),
            sorted(set(truth.calls) - workload_keys(keys, workload)))
    # the same stacks as the Chrome trace's nesting, each with its self
    # time (running-total rounding: within 1 µs of its own time)
    want = chrome_stacks(chrome)
    got_stacks = {tuple(frame_key(f) for f in fr): v for fr, v in rows}
    assert set(got_stacks) == set(want), \
        "stacks differ from the Chrome trace: %d only in .folded, %d only in .json, e.g. %r" % (
            len(set(got_stacks) - set(want)), len(set(want) - set(got_stacks)),
            sorted(set(got_stacks) ^ set(want))[:2])
    off = [(k, v, want[k]) for k, v in got_stacks.items() if abs(v - want[k] / 1000.0) > 1]
    assert not off, "values off by more than 1 µs (stack, µs, self ns): %r" % (off[:3],)


def test_folded(tracer, interp, workload, truth, formats_run, tmp_path):
    run = formats_run(tracer, interp, workload)
    check_folded(run, workload, truth)
    # a recording gives the same file
    out = tmp_path / "r.folded"
    p = helpers.run([tracer, "report", run["trace"], "-o", str(out)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    with open(run["folded"], "rb") as f:
        assert out.read_bytes() == f.read(), "report .folded differs from the direct one"


def test_folded_attach(tracer, get_interp, get_truth, formats_run):
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    check_folded(formats_run(tracer, it, wl, "attach"), wl, get_truth(it, wl))
