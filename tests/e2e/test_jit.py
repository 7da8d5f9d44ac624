# SPDX-License-Identifier: MIT
"""JIT code (issue 6): registrations through PyUnstable_WritePerfMapEntry
seen live, the perf map read at attach (safely), samples in JIT code named.

Ground truth comes from the interpreter: the /tmp/perf-PID.map it writes
itself (one line per registration, every one of which went through
PyUnstable_WritePerfMapEntry), and the address the workload's own "JIT"
(workloads/jit.py: an executable page with a spin loop, registered with
ctypes) got from mmap.

- (a) 3.12/3.13 launched with -X perf: the summary's registration count is
  the map's line count; the .json and .pftrace have one instant per line
  with its name, address and size; so does a recording replayed;
- (b) the spin loop sampled: most samples taken while spin_caller() runs
  have `[jit] NAME` as their innermost frame, right above spin_caller;
- (c) attached after the registration: named from /tmp/perf-PID.map;
- (d) a perf map owned by another user is refused, said, and not read;
- a mapped jitdump file is said not to be read;
- an interpreter without the function: the summary says so."""
import json
import os
import re

import pytest

import helpers
from test_folded import parse_folded
from test_pftrace import Trace

HZ = 997
TIMEOUT = 120
WORKLOAD = os.path.join(helpers.WORKLOADS, "jit.py")
JIT_NAME = "tracer_test_jit_spin"
JIT_FRAME = "[jit] " + JIT_NAME
INTERPS = ["pyenv3.12", "pyenv3.13"]


def _pid(stderr):
    m = re.search(r"^workload: pid (\d+)$", stderr, re.M)
    assert m, "the workload did not say its pid:\n" + stderr[-2000:]
    return int(m.group(1))


def _truth_addr(stderr):
    m = re.search(r"^truth: jit_addr=0x([0-9a-f]+) jit_size=(\d+)$", stderr, re.M)
    assert m, "the workload did not say where its code is:\n" + stderr[-2000:]
    return int(m.group(1), 16), int(m.group(2))


def _perf_map(pid):
    """the interpreter's own perf map: [(addr, size, name)]; removed after"""
    path = "/tmp/perf-%d.map" % pid
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    finally:
        if os.path.exists(path):
            os.unlink(path)
    out = []
    for line in lines:
        a, s, name = line.split(" ", 2)
        out.append((int(a, 16), int(s, 16), name))
    return out


def _launch_cmd(python, args):
    """through sh, which removes a stale perf map of its own pid (the one
    the interpreter gets by exec) before the interpreter appends to it"""
    return ["/bin/sh", "-c", 'rm -f "/tmp/perf-$$.map"; exec "$@"', "sh", python] + args


def _summary_count(summary, what):
    m = re.search(r"^jit: (\d+) registrations seen, (\d+) read from perf maps at attach, "
                  r"(\d+) names cut(?:; (\d+) samples in JIT code)?$", summary, re.M)
    assert m, "no jit line in the summary:\n" + summary[-3000:]
    return {"live": int(m.group(1)), "map": int(m.group(2)), "cut": int(m.group(3)),
            "samples": int(m.group(4) or 0)}[what]


def _chrome_jit(path):
    with open(str(path), encoding="utf-8") as f:
        doc = json.load(f)
    return [e for e in doc["traceEvents"] if e.get("cat") == "jit"]


@pytest.mark.parametrize("ident", INTERPS)
def test_jit_perf_trampoline_registrations(tracer, get_interp, ident, tmp_path):
    it = get_interp(ident)
    js, pf, rec = tmp_path / "t.json", tmp_path / "t.pftrace", tmp_path / "t.trace"
    cmd = [tracer, "-o", "-", "-o", str(js), "-o", str(pf), "-o", str(rec), "--"]
    p = helpers.run(cmd + _launch_cmd(it.python, ["-X", "perf", WORKLOAD, "calls"]),
                    timeout=TIMEOUT, env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    truth = _perf_map(_pid(p.stderr))
    assert len(truth) > 50, "the perf trampoline registered too little: %d" % len(truth)
    assert any("Thing.value" in n for _, _, n in truth)
    assert _summary_count(p.stdout, "live") == len(truth), p.stdout[-2000:]
    assert _summary_count(p.stdout, "map") == 0
    want = sorted(truth)
    # the timeline: one instant per registration, on the registering thread
    got = sorted((int(e["args"]["address"], 16), e["args"]["size"], e["name"])
                 for e in _chrome_jit(js))
    assert got == want
    assert all(e["ph"] == "i" and e["tid"] for e in _chrome_jit(js))
    tr = Trace(pf, tmp_path)
    got = sorted((i["args"]["address"], i["args"]["size"], i["name"])
                 for i in tr.instants if i["cats"] == ["jit"])
    assert got == want
    # a recording replays them
    r = helpers.run([tracer, "report", str(rec), "-o", str(tmp_path / "r.json")], timeout=60)
    assert r.returncode == 0, helpers.describe(r)
    got = sorted((int(e["args"]["address"], 16), e["args"]["size"], e["name"])
                 for e in _chrome_jit(tmp_path / "r.json"))
    assert got == want


def _check_spin(rows):
    """samples taken while spin_caller ran: mostly in the JIT code under it;
    -> (samples in spin_caller, of them in the JIT)"""
    spin = jit = 0
    for frames, n in rows:
        names = [f.split(" (")[0] for f in frames]
        if "spin_caller" not in names:
            continue
        spin += n
        if names[-1] == JIT_FRAME:
            assert names[-2] == "spin_caller", frames
            jit += n
        assert JIT_FRAME not in names[:-1], frames
    return spin, jit


@pytest.mark.parametrize("ident", INTERPS)
def test_jit_spin_sampled(tracer, get_interp, ident, tmp_path):
    it = get_interp(ident)
    fo, js = tmp_path / "s.folded", tmp_path / "s.json"
    cmd = [tracer, "--sample=%d" % HZ, "-o", "-", "-o", str(fo), "-o", str(js), "--"]
    p = helpers.run(cmd + _launch_cmd(it.python, [WORKLOAD, "spin"]), timeout=TIMEOUT,
                    env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    truth = _perf_map(_pid(p.stderr))
    addr, size = _truth_addr(p.stderr)
    assert truth == [(addr, size, JIT_NAME)]
    spin, jit = _check_spin(parse_folded(fo))
    # 1.5 s at 997 Hz: ~1500 samples, nearly all in the loop
    assert spin > 500, spin
    assert jit >= 0.8 * spin, (jit, spin)
    # the JIT code runs only under spin_caller: every sample in it is there
    assert _summary_count(p.stdout, "samples") == jit
    assert _summary_count(p.stdout, "live") == 1
    ev = _chrome_jit(js)
    assert [(int(e["args"]["address"], 16), e["args"]["size"], e["name"]) for e in ev] == truth


def _attached(tracer, it, tmp_path, before_attach=None, env=None):
    """the workload registers its code, the tracer attaches (--sample) and
    the loop runs; -> (tracer's stderr, summary, folded rows, truth addr);
    the timeline is tmp_path/a.json"""
    trigger = str(tmp_path / "trigger")
    env = dict(env or {}, E2E_TRIGGER=trigger)
    target = helpers.Spawned(_launch_cmd(it.python, [WORKLOAD, "early"]),
                             env=helpers.target_env(env))
    tr = None
    try:
        if target.err.wait_for("workload: ready", 30) is None:
            raise helpers.Failed("target never became ready\n" + target.describe())
        addr, size = _truth_addr(target.err.text())
        if before_attach:
            before_attach(target.pid)
        fo = tmp_path / "a.folded"
        tr = helpers.start_tracer_attached(tracer, target.pid, ["-", fo, tmp_path / "a.json"],
                                           ["--sample=%d" % HZ])
        open(trigger, "w").close()
        assert target.wait(TIMEOUT) == 0, target.describe()
        assert tr.wait(30) == 0, tr.describe()
        return tr.err.text(), tr.out.text(), parse_folded(fo), (addr, size)
    finally:
        target.kill()
        if tr:
            tr.kill()
        if os.path.exists("/tmp/perf-%d.map" % target.pid):
            os.unlink("/tmp/perf-%d.map" % target.pid)


@pytest.mark.parametrize("ident", INTERPS)
def test_jit_attach_names_from_perf_map(tracer, get_interp, ident, tmp_path):
    it = get_interp(ident)
    err, summary, rows, (addr, size) = _attached(tracer, it, tmp_path)
    assert "1 JIT code ranges read from /tmp/perf-" in err, err
    assert _summary_count(summary, "map") == 1
    assert _summary_count(summary, "live") == 0
    spin, jit = _check_spin(rows)
    assert spin > 500 and jit >= 0.8 * spin, (jit, spin)
    ev = _chrome_jit(tmp_path / "a.json")
    assert [(int(e["args"]["address"], 16), e["args"]["size"], e["name"], e["s"],
             e["args"].get("before_attach")) for e in ev] == [(addr, size, JIT_NAME, "p", True)]


def test_jit_jitdump_said_not_read(tracer, get_interp, tmp_path):
    it = get_interp("pyenv3.12")
    err, summary, rows, _ = _attached(tracer, it, tmp_path,
                                      env={"JIT_DUMP_DIR": str(tmp_path)})
    said = re.search(r"jit: the process writes a jitdump \(.*/jit-\d+\.dump\): jitdump files "
                     r"are not read, the code it describes is not named", summary)
    assert said, summary[-3000:]
    assert said.group(0) in err


def test_jit_perf_map_of_another_user_refused(tracer, get_interp, tmp_path):
    it = get_interp("pyenv3.12")

    def chown(pid):
        os.chown("/tmp/perf-%d.map" % pid, 65534, 65534)

    err, summary, rows, _ = _attached(tracer, it, tmp_path, chown)
    assert re.search(r"perf map refused: /tmp/perf-\d+\.map is owned by uid 65534, not by "
                     r"the process's user \(uid 0\): not read", err), err
    assert "perf map refused" in summary	# in the outputs too
    assert _summary_count(summary, "map") == 0
    spin, jit = _check_spin(rows)
    assert spin > 500 and jit == 0, (jit, spin)


def test_jit_no_registration_function_said(tracer, get_interp, tmp_path):
    it = get_interp("debian3.11")
    p = helpers.run([tracer, "--sample=%d" % HZ, "-o", "-", "--", it.python, WORKLOAD, "calls"],
                    timeout=TIMEOUT, env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    said = "has no PyUnstable_WritePerfMapEntry (CPython 3.12+): JIT registrations are not seen"
    assert said in p.stderr and said in p.stdout, p.stdout[-2000:]
    assert _summary_count(p.stdout, "live") == 0
