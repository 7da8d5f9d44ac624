# SPDX-License-Identifier: MIT
"""speedscope's file format (.speedscope.json), checked three ways:

  - by its rules (the schema's fields; per profile, events nest and "at"
    never decreases, as speedscope's importer requires), against the
    Chrome trace of the same run (the same calls, to the nanosecond, per
    thread) and the ground truth (the same functions of the workload);
  - on a synthetic recording (no BPF) with the one case where the analyzer
    hands a call's begin out of order, and names with ';' and newlines;
  - with the real speedscope (the npm package's web app in headless
    Chromium, node/speedscope_check.js): the .speedscope.json, the .folded
    and the Chrome .json of one run import without errors and show the
    workload's functions (ground truth), with consistent times.
"""
import json
import os
import re
import shutil
import struct

import pytest

import helpers
from test_folded import (chrome_intervals, frame_key, outermost_total_ns, parse_folded,
                         workload_keys)

SCHEMA = "https://www.speedscope.app/file-format-schema.json"
NODE_DIR = os.path.join(helpers.HERE, "node")
CHECK_JS = os.path.join(NODE_DIR, "speedscope_check.js")
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")

# ---- reading a .speedscope.json -------------------------------------------


class Speedscope(object):
    """A loaded .speedscope.json, checked against the schema and against
    what speedscope's evented-profile importer requires."""

    def __init__(self, path):
        with open(str(path), encoding="utf-8") as f:
            doc = json.load(f)
        self.doc = doc
        assert doc.get("$schema") == SCHEMA, doc.get("$schema")
        assert isinstance(doc.get("exporter"), str) and isinstance(doc.get("name"), str)
        frames = doc["shared"]["frames"]
        assert isinstance(frames, list)
        for fr in frames:
            assert isinstance(fr.get("name"), str), fr
            assert isinstance(fr.get("file"), str) and isinstance(fr.get("line"), int), fr
        self.frames = [(fr["name"], fr["file"], fr["line"]) for fr in frames]
        profiles = doc["profiles"]
        assert isinstance(profiles, list) and profiles
        assert 0 <= doc.get("activeProfileIndex", 0) < len(profiles)
        self.threads = {}	# (pid, tid) -> [(start, end, key)], "at" units
        self.names = []
        self.used = set()	# keys of the frames events name
        for p in profiles:
            self._profile(p)

    def _profile(self, p):
        assert p.get("type") == "evented", p.get("type")
        assert p.get("unit") == "nanoseconds", p.get("unit")
        name = p.get("name")
        assert isinstance(name, str)
        self.names.append(name)
        m = re.search(r"\(tid (\d+), pid (\d+)\)$", name) or \
            re.search(r"^thread (\d+) \(pid (\d+)\)$", name)
        assert m, "profile name without tid/pid: %r" % name
        thread = (int(m.group(2)), int(m.group(1)))
        assert thread not in self.threads, "two profiles for %r" % (thread,)
        start, end = p["startValue"], p["endValue"]
        assert isinstance(start, int) and isinstance(end, int) and 0 <= start <= end, p
        last, stack, calls = start, [], []
        for e in p["events"]:
            assert e["type"] in ("O", "C") and isinstance(e["at"], int), e
            fr = e["frame"]
            assert isinstance(fr, int) and 0 <= fr < len(self.frames), e
            # speedscope: "Samples must be provided in increasing order"
            assert e["at"] >= last, "%s: at goes back: %r after %d" % (name, e, last)
            last = e["at"]
            if e["type"] == "O":
                stack.append((fr, e["at"]))
                self.used.add(self.frames[fr])
            else:
                # speedscope: "Tried to leave frame ... while frame ... was at the top"
                assert stack and stack[-1][0] == fr, "%s: C %r does not close the top %r" % (
                    name, e, stack[-1:] or None)
                f, at = stack.pop()
                calls.append((at, e["at"], self.frames[f]))
        assert not stack, "%s: %d frames never closed" % (name, len(stack))
        assert last <= end, (name, last, end)
        self.threads[thread] = calls

    def counts(self):
        """key -> number of calls (O events)"""
        c = {}
        for calls in self.threads.values():
            for _, _, k in calls:
                c[k] = c.get(k, 0) + 1
        return c


def same_calls_as_chrome(ss, chrome):
    """the calls of every thread, as intervals, equal the Chrome trace's,
    to the nanosecond ("at" counts from the earliest time of the session)"""
    want = chrome_intervals(chrome)
    base = min(s for evs in want.values() for s, _, _ in evs)
    assert set(ss.threads) == set(want), (sorted(ss.threads), sorted(want))
    for th, calls in ss.threads.items():
        a = sorted((s + base, e + base, k) for s, e, k in calls)
        b = sorted(want[th])
        if a != b:
            diff = sorted(set(a) ^ set(b))[:4]
            raise AssertionError("thread %r: %d calls vs %d in the Chrome trace, e.g. %r"
                                 % (th, len(a), len(b), diff))


def check_speedscope(run, workload, truth):
    ss = Speedscope(run["speedscope"])
    chrome = helpers.Chrome(run["json"])
    same_calls_as_chrome(ss, chrome)
    assert workload_keys(ss.used, workload) == set(truth.calls), \
        "functions of the workload differ from ground truth:\n only traced %r\n only truth %r" % (
            sorted(workload_keys(ss.used, workload) - set(truth.calls)),
            sorted(set(truth.calls) - workload_keys(ss.used, workload)))
    return ss


# ---- the tracer's runs ------------------------------------------------------

def test_speedscope(tracer, interp, workload, truth, formats_run, tmp_path):
    run = formats_run(tracer, interp, workload)
    check_speedscope(run, workload, truth)
    out = tmp_path / "r.speedscope.json"
    p = helpers.run([tracer, "report", run["trace"], "-o", str(out)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    with open(run["speedscope"], "rb") as f:
        assert out.read_bytes() == f.read(), "report .speedscope.json differs from the direct one"


def test_speedscope_attach(tracer, get_interp, get_truth, formats_run):
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    check_speedscope(formats_run(tracer, it, wl, "attach"), wl, get_truth(it, wl))


# ---- a synthetic recording ----------------------------------------------------

PID, TID, TID2 = 100, 100, 101
WEIRD = ("odd;name\nwith newline", "/srv/a;b/weird.py", 5)


def _rec(kind, payload):
    return struct.pack("<BBHI", kind, 0, 0, len(payload)) + payload


def _str(s):
    b = s.encode()
    return struct.pack("<H", len(b)) + b


def _ev_hdr(typ, flags, size, tid, ts):
    return struct.pack("<BBHIIIQ", typ, flags, size, PID, tid, 0, ts)


def _code(addr, name, file, line):
    n, f = name.encode(), file.encode()
    return _rec(3, _ev_hdr(3, 0, 1328, TID, 0) +
                struct.pack("<QIIIBBH", addr, line, len(n), len(f), 0x81, 0x81, 0) + n + f)


def _call(tid, ts, frame, code, parent=0):
    """a call of CODE in FRAME from the frame PARENT (0: none known), as
    the BPF side reports it"""
    return _rec(3, _ev_hdr(1, 0, 48, tid, ts) + struct.pack("<QQQ", frame, parent, code))


def _ret(tid, ts, frame, code):
    return _rec(3, _ev_hdr(2, 0, 40, tid, ts) + struct.pack("<QQ", frame, code))


def synthetic_recording(path):
    """Thread 100 is inside E -> A at the attach (ts 1000), frames the BPF
    side could not walk: it calls B (-> C) and the oddly named D, then A
    and E return (each a begin right before its end, out of order: it
    encloses all that came before), then B again. Thread 101 runs F."""
    codes = {"E": 0x10, "A": 0x11, "B": 0x12, "C": 0x13, "D": 0x14, "F": 0x15}
    recs = [b"PYTRACER" + struct.pack("<II", 1, 16),
            _rec(1, struct.pack("<IIIQ", PID, 0x030b02f0, 1, 1000) + _str("/usr/bin/python3") +
                 _str("/usr/bin/python3") + struct.pack("<H", 0))]
    for i, (n, c) in enumerate(sorted(codes.items(), key=lambda kv: kv[1])):
        recs.append(_code(c, *(WEIRD if n == "D" else (n, "/srv/app.py", i))))
    recs += [_rec(2, struct.pack("<II", PID, TID) + _str("main")),
             _rec(2, struct.pack("<II", PID, TID2) + _str("worker")),
             _call(TID2, 1500, 0xf0, codes["F"]), _ret(TID2, 1800, 0xf0, codes["F"]),
             _call(TID, 2000, 0xb0, codes["B"], 0xa0), _call(TID, 3000, 0xc0, codes["C"], 0xb0),
             _ret(TID, 3500, 0xc0, codes["C"]), _ret(TID, 4000, 0xb0, codes["B"]),
             _call(TID, 5000, 0xd0, codes["D"], 0xa0), _ret(TID, 5200, 0xd0, codes["D"]),
             _ret(TID, 6000, 0xa0, codes["A"]), _ret(TID, 7000, 0xe0, codes["E"]),
             _call(TID, 7500, 0xb1, codes["B"], 0x90), _ret(TID, 7600, 0xb1, codes["B"]),
             _rec(4, struct.pack("<QQIIH", 8000, 14, 0, 0, 4) + b"\0" * 32)]
    with open(str(path), "wb") as f:
        f.write(b"".join(recs))


def synthetic_outputs(tracer, tmp_path):
    rec = tmp_path / "syn.trace"
    synthetic_recording(rec)
    out = {k: str(tmp_path / ("syn" + s)) for k, s in
           (("json", ".json"), ("folded", ".folded"), ("speedscope", ".speedscope.json"))}
    p = helpers.run([tracer, "report", str(rec), "-o", out["json"], "-o", out["folded"],
                     "-o", out["speedscope"]], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    return out


def test_synthetic(tracer, tmp_path):
    out = synthetic_outputs(tracer, tmp_path)
    app = lambda n, i: (n, "/srv/app.py", i)
    E, A, B, C, F = app("E", 0), app("A", 1), app("B", 2), app("C", 3), app("F", 5)
    ss = Speedscope(out["speedscope"])
    # "at" from the earliest time (the attach, 1000)
    assert ss.threads == {
        (PID, TID): [(2000, 2500, C), (1000, 3000, B), (4000, 4200, WEIRD),
                     (0, 5000, A), (0, 6000, E), (6500, 6600, B)],
        (PID, TID2): [(500, 800, F)]}, ss.threads
    # profiles in the order the threads were described
    assert ss.names == ["main (tid 100, pid 100)", "worker (tid 101, pid 100)"]
    events = ss.doc["profiles"][0]["events"]
    assert [(e["type"], ss.frames[e["frame"]][0], e["at"]) for e in events[:3]] == [
        ("O", "E", 0), ("O", "A", 0), ("O", "B", 1000)]
    same_calls_as_chrome(ss, helpers.Chrome(out["json"]))
    # self times (ns): F 300 | B 1500+100, C 500, D 200, A 5000-2200,
    # E 6000-5000; stacks in order of first use, running-total rounding
    # (0.3 -> 0, 1.9 -> 2, 2.4 -> 2, 2.6 -> 3, 5.4 -> 5, 6.4 -> 6)
    fr = lambda k: "%s (%s:%d)" % k
    assert parse_folded(out["folded"]) == [
        ([fr(F)], 0), ([fr(B)], 2), ([fr(B), fr(C)], 0),
        (["odd,name with newline (/srv/a,b/weird.py:5)"], 1),
        ([fr(A)], 2), ([fr(E)], 1)]
    # the total: every thread's outermost calls, 6.4 µs
    assert outermost_total_ns(chrome_intervals(helpers.Chrome(out["json"]))) == 6400


# ---- the real speedscope ------------------------------------------------------

def _consumer_or_skip():
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (needed to run speedscope)")
    for mod in ("speedscope", "playwright-core"):
        if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", mod)):
            pytest.skip("%s is not installed in %s (npm ci there)" % (mod, NODE_DIR))
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("no Chromium at %s (apt-get install chromium)" % CHROMIUM)
    return node


def speedscope_import(files, timeout=300):
    """node/speedscope_check.js FILES -> {path: result}"""
    node = _consumer_or_skip()
    p = helpers.run([node, CHECK_JS, "--chromium", CHROMIUM] + [str(f) for f in files],
                    timeout=timeout, cwd=NODE_DIR)
    assert p.returncode == 0, helpers.describe(p)
    results = json.loads(p.stdout)["results"]
    return {r["file"]: r for r in results}


def _imported(r, importer):
    assert r["ok"] and not r["errors"], "speedscope could not import %s: %s" % (
        r["file"], "\n".join(r["errors"])[:4000])
    assert r["importer"] == importer, (r["file"], r["importer"])
    # the sandwich view lists the frames of the profile shown
    shown = set(r["sandwich"] or [])
    assert shown and any(shown == {f["name"] for f in p["frames"]} for p in r["profiles"]), \
        "%s: the sandwich view does not list the frames of a profile: %r" % (
            r["file"], sorted(shown)[:20])
    return r["profiles"]


def _chrome_key(name):
    """speedscope names a Chrome event "NAME {args as JSON}" """
    m = re.match(r"^(.*) (\{.*\})$", name)
    assert m, name
    args = json.loads(m.group(2))
    if "file" not in args:
        return (m.group(1), None, None)	# a GC collection or an import
    return (m.group(1), args["file"], args["line"])


def frame_totals(profiles, key_of, weight=1.0):
    """key -> the sum over profiles of speedscope's total weight of a frame"""
    tot = {}
    for p in profiles:
        for f in p["frames"]:
            k = key_of(f)
            tot[k] = tot.get(k, 0) + f["total"] * weight
    return tot


def check_imports(run, workload, truth, res):
    chrome = helpers.Chrome(run["json"])
    n_threads = len({(e["pid"], e["tid"]) for e in chrome.calls})
    keys = {}
    # .speedscope.json: a profile per thread, frames with file and line
    ssp = _imported(res[run["speedscope"]], "speedscope json file")
    assert len(ssp) == n_threads
    assert all(p["unit"] == "nanoseconds" for p in ssp)
    ss_tot = frame_totals(ssp, lambda f: (f["name"], f["file"], f["line"]), 1e-3)
    keys["speedscope"] = set(ss_tot)
    # .folded: one profile, frames named "qualname (file:line)"
    fp = _imported(res[run["folded"]], "collapsed stack format")
    assert len(fp) == 1
    rows = parse_folded(run["folded"])
    assert fp[0]["totalWeight"] == sum(v for _, v in rows)
    fo_tot = frame_totals(fp, lambda f: frame_key(f["name"]))
    keys["folded"] = set(fo_tot)
    # Chrome .json: a profile per thread, frames "name {args}"
    cp = _imported(res[run["json"]], "Trace Event Format profile")
    assert len(cp) == n_threads
    ch_tot = frame_totals(cp, lambda f: _chrome_key(f["name"]))
    keys["chrome"] = set(ch_tot)
    for what, ks in keys.items():
        got = workload_keys(ks, workload)
        assert got == set(truth.calls), \
            "%s in speedscope: workload functions differ from ground truth:\n" \
            " only imported %r\n only truth %r" % (what, sorted(got - set(truth.calls)),
                                                   sorted(set(truth.calls) - got))
    # the same time for main() in all three (µs); the folded file rounds
    # each line to 1 µs
    main = [k for k in truth.calls if k[0] == "main"]
    assert len(main) == 1
    k = main[0]
    lines = sum(1 for fr, _ in rows if any(frame_key(f) == k for f in fr))
    assert abs(ss_tot[k] - ch_tot[k]) <= 0.01, (ss_tot[k], ch_tot[k])
    assert abs(fo_tot[k] - ch_tot[k]) <= lines + 1, (fo_tot[k], ch_tot[k], lines)


def _selected(session, name):
    """the items of test NAME this pytest session runs"""
    return [i for i in session.items if getattr(i, "originalname", None) == name]


@pytest.fixture(scope="module")
def imported(request, tracer, formats_run, tmp_path_factory):
    """speedscope's import of every file the import tests below read, done
    in ONE headless Chromium: starting it takes ~15 s on the CI machine and
    an import ~5 s, so one batch instead of one Chromium per test saves
    minutes and changes nothing checked (each file is still imported alone,
    by speedscope's own loader, in a page of its own; each test checks the
    results of its files).

    -> {"runs": {(interp id, mode): formats_run's run}, "synthetic": paths
    or the exception, "res": {path: result}}. An interpreter whose session
    fails is left out here; its test fails on its own formats_run call.
    Only what the session's selected tests read is imported (-k)."""
    _consumer_or_skip()
    session = request.session
    runs = {}
    for item in _selected(session, "test_speedscope_import"):
        ident = item.callspec.params["interp"]
        it, _ = helpers.find_interp(ident)
        if it is None:
            continue	# its test skips (or fails, for Debian's) by get_interp
        try:
            runs[(ident, "launch")] = formats_run(tracer, it, IMPORT_WL["launch"], "launch")
        except AssertionError:
            pass
    it, _ = helpers.find_interp("debian3.11")
    if it is not None and _selected(session, "test_speedscope_import_attach"):
        try:
            runs[("debian3.11", "attach")] = formats_run(tracer, it, IMPORT_WL["attach"], "attach")
        except AssertionError:
            pass
    syn = None
    try:
        if _selected(session, "test_speedscope_import_synthetic"):
            syn = synthetic_outputs(tracer, tmp_path_factory.mktemp("synthetic-import"))
    except AssertionError as e:
        syn = e
    files = [r[k] for r in runs.values() for k in ("speedscope", "folded", "json")]
    if isinstance(syn, dict):
        files += [syn["speedscope"], syn["folded"], syn["json"]]
    res = speedscope_import(files, timeout=120 + 30 * len(files))
    return {"runs": runs, "synthetic": syn, "res": res}


# the workload of the import tests, per mode
IMPORT_WL = {"launch": helpers.WORKLOAD_BY_NAME["mixed"],
             "attach": helpers.WORKLOAD_BY_NAME["multifile"]}


def test_speedscope_import(tracer, interp, get_truth, formats_run, imported):
    wl = IMPORT_WL["launch"]
    run = formats_run(tracer, interp, wl)
    assert imported["runs"].get((interp.id, "launch")) is run
    check_imports(run, wl, get_truth(interp, wl), imported["res"])


def test_speedscope_import_attach(tracer, get_interp, get_truth, formats_run, imported):
    it = get_interp("debian3.11")
    wl = IMPORT_WL["attach"]
    run = formats_run(tracer, it, wl, "attach")
    assert imported["runs"].get(("debian3.11", "attach")) is run
    check_imports(run, wl, get_truth(it, wl), imported["res"])


def test_speedscope_import_synthetic(imported):
    """the out-of-order begin and the odd names, through speedscope"""
    out = imported["synthetic"]
    if not isinstance(out, dict):
        raise out
    res = imported["res"]
    ssp = _imported(res[out["speedscope"]], "speedscope json file")
    main = [p for p in ssp if p["name"].startswith("main ")]
    assert len(main) == 1
    tot = {f["name"]: f["total"] for f in main[0]["frames"]}
    # E encloses everything of its thread: 6000 ns; A inside it: 5000 ns
    assert tot["E"] == 6000 and tot["A"] == 5000 and tot[WEIRD[0]] == 200, tot
    assert main[0]["totalWeight"] == 6600
    fp = _imported(res[out["folded"]], "collapsed stack format")
    assert "odd,name with newline (/srv/a,b/weird.py:5)" in {f["name"] for f in fp[0]["frames"]}
    _imported(res[out["json"]], "Trace Event Format profile")
