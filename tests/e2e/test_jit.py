# SPDX-License-Identifier: MIT
"""JIT code (issue 6): registrations through PyUnstable_WritePerfMapEntry
seen live, the perf map read at attach (safely), jitdump files read and
followed, samples in JIT code named.

Ground truth comes from the interpreter: the /tmp/perf-PID.map it writes
itself (one line per registration, every one of which went through
PyUnstable_WritePerfMapEntry), the /tmp/jit-PID.dump 3.13 writes with
-X perf_jit (parsed here with struct), and the address the workload's own
"JIT" (workloads/jit.py: an executable page with a spin loop, registered
with ctypes or described in a jitdump it writes) got from mmap.

- (a) 3.12/3.13 launched with -X perf: the summary's registration count is
  the map's line count; the .json and .pftrace have one instant per line
  with its name, address and size; so does a recording replayed;
- (b) the spin loop sampled: most samples taken while spin_caller() runs
  have `[jit] NAME` as their innermost frame, right above spin_caller;
- (c) attached after the registration: named from /tmp/perf-PID.map;
- (d) a perf map owned by another user is refused, said, and not read;
- jitdumps: (e) 3.13's -X perf_jit dump: the tracer's code loads are the
  file's, in the summary, .json, .pftrace and a recording replayed; (f) the
  workload's own jitdump names the spin loop, launched (the dump found, then
  its record followed) and attached (read at attach), also on Debian's 3.11;
  (g) a dump of another user, or reached through a planted symlink, refused
  and said;
- an interpreter without the function: the summary says so."""
import os
import re
import time
import struct

import pytest

import helpers
from test_folded import parse_folded
from test_pftrace import Trace

HZ = 997
TIMEOUT = 120
WORKLOAD = os.path.join(helpers.WORKLOADS, "jit.py")
JIT_NAME = "tracer_test_jit_spin"
JIT_FRAME = "[jit] " + JIT_NAME
INTERPS = ["pyenv3.12", "pyenv3.13", "pyenv3.14"]
DUMP_INTERPS = ["debian3.11", "pyenv3.13", "pyenv3.14"]


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
                  r"(\d+) code loads read from jitdumps, (\d+) names cut"
                  r"(?:; (\d+) samples in JIT code)?$", summary, re.M)
    assert m, "no jit line in the summary:\n" + summary[-3000:]
    return {"live": int(m.group(1)), "map": int(m.group(2)), "dump": int(m.group(3)),
            "cut": int(m.group(4)), "samples": int(m.group(5) or 0)}[what]


def _chrome_jit(path):
    doc = helpers.load_chrome(path)
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


def _attached(tracer, it, tmp_path, before_attach=None, env=None, mode="early"):
    """the workload registers its code, the tracer attaches (--sample) and
    the loop runs; -> (tracer's stderr, summary, folded rows, truth addr);
    the timeline is tmp_path/a.json, the workload's stderr tmp_path/w.err"""
    trigger = str(tmp_path / "trigger")
    env = dict(env or {}, E2E_TRIGGER=trigger)
    target = helpers.Spawned(_launch_cmd(it.python, [WORKLOAD, mode]),
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
        (tmp_path / "w.err").write_text(target.err.text())
        return tr.err.text(), tr.out.text(), parse_folded(fo), (addr, size)
    finally:
        target.kill()
        if tr:
            tr.kill()
        for path in ("/tmp/perf-%d.map" % target.pid, "/tmp/jit-%d.dump" % target.pid):
            if os.path.lexists(path):
                os.unlink(path)


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


def test_jit_stale_perf_map_refused(tracer, get_interp, tmp_path):
    """a perf map last written long before the process started is an
    earlier process's with the same PID (CPython appends, nothing removes
    it): refused and said, its ranges not used"""
    it = get_interp("pyenv3.12")

    def backdate(pid):
        t = time.time() - 3600
        os.utime("/tmp/perf-%d.map" % pid, (t, t))

    err, summary, rows, _ = _attached(tracer, it, tmp_path, backdate)
    assert re.search(r"perf map refused: /tmp/perf-(\d+)\.map was last written [\d.]+ s "
                     r"before PID \1 started: an earlier process's with the same PID, not "
                     r"read", err), err
    assert "an earlier process's with the same PID" in summary
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


# ---- jitdump files --------------------------------------------------------

def _jitdump(path):
    """perf's jitdump format, parsed here: -> (code loads [(addr, size,
    name)], records); the file ends on a whole record (its writer exited)"""
    with open(path, "rb") as f:
        data = f.read()
    magic, version, hsize = struct.unpack_from("<III", data, 0)
    assert (magic, version) == (0x4A695444, 1), (hex(magic), version)
    loads, records, at = [], 0, hsize
    while at < len(data):
        rid, total = struct.unpack_from("<II", data, at)
        assert total >= 16 and at + total <= len(data), (at, total, len(data))
        if rid == 0:
            code_addr, code_size = struct.unpack_from("<QQ", data, at + 32)
            end = data.index(b"\0", at + 56)
            loads.append((code_addr, code_size, data[at + 56:end].decode("utf-8")))
        records += 1
        at += total
    return loads, records


def _dump_stats(err):
    """the tracer's account of the jitdump: (records, code loads, skipped,
    malformed)"""
    m = re.search(r"^tracer: PID \d+: jitdump \S+: (\d+) records, (\d+) code loads, (\d+) "
                  r"skipped, (\d+) malformed$", err, re.M)
    assert m, "the tracer did not account for the jitdump:\n" + err[-3000:]
    return tuple(int(g) for g in m.groups())


def _chrome_loads(path):
    """the .json's jitdump instants: [(addr, size, name)]"""
    ev = _chrome_jit(path)
    assert all(e["args"].get("source") == "jitdump" for e in ev), ev[:3]
    return [(int(e["args"]["address"], 16), e["args"]["size"], e["name"]) for e in ev]


@pytest.mark.parametrize("how", ["sample", "trace"])
def test_jit_perf_jit_dump_read(tracer, get_interp, how, tmp_path):
    """3.13 -X perf_jit writes a trampoline per code object to its own
    /tmp/jit-PID.dump (buffered: most records reach the file while it
    runs, the rest when it exits): the tracer's code loads are the file's"""
    it = get_interp("pyenv3.13")
    js, pf, rec = tmp_path / "t.json", tmp_path / "t.pftrace", tmp_path / "t.trace"
    outs = ["-o", "-", "-o", str(js), "-o", str(pf)]
    if how == "sample":
        cmd = [tracer, "--sample=%d" % HZ] + outs
    else:
        cmd = [tracer] + outs + ["-o", str(rec)]
    p = helpers.run(cmd + ["--", it.python, "-X", "perf_jit", WORKLOAD, "calls"],
                    timeout=TIMEOUT, env=helpers.target_env({"JIT_CALLS_SECONDS": "0.5"}))
    pid = _pid(p.stderr)
    path = "/tmp/jit-%d.dump" % pid
    try:
        assert p.returncode == 0, helpers.describe(p)
        assert os.path.exists(path), "3.13 -X perf_jit wrote no %s" % path
        truth, records = _jitdump(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    assert len(truth) > 50, "the perf trampoline wrote too little: %d" % len(truth)
    assert any("Thing.value" in n for _, _, n in truth)
    assert _dump_stats(p.stderr) == (records, len(truth), records - len(truth), 0)
    assert _summary_count(p.stdout, "dump") == len(truth), p.stdout[-2000:]
    assert _summary_count(p.stdout, "map") == 0
    assert re.search(r"^  jit: \d+ code units registered while traced, 0 read from "
                     r"/tmp/perf-%d\.map at attach, %d code loads read from its jitdump$"
                     % (pid, len(truth)), p.stdout, re.M), p.stdout[-2000:]
    want = sorted(truth)
    assert sorted(_chrome_loads(js)) == want
    ev = _chrome_jit(js)
    # written after the launch: their own times, on the writing thread
    assert all(e["tid"] == pid and not e["args"].get("before_attach") for e in ev)
    tr = Trace(pf, tmp_path)
    got = sorted((i["args"]["address"], i["args"]["size"], i["name"])
                 for i in tr.instants if i["cats"] == ["jit"])
    assert got == want
    assert all(i["args"].get("source") == "jitdump" for i in tr.instants
               if i["cats"] == ["jit"])
    if how == "trace":
        # a recording replays them
        r = helpers.run([tracer, "report", str(rec), "-o", str(tmp_path / "r.json")],
                        timeout=60)
        assert r.returncode == 0, helpers.describe(r)
        assert sorted(_chrome_loads(tmp_path / "r.json")) == want


def _dump_instant(path, addr, size):
    """the one jit instant of the .json: the workload's page"""
    ev = _chrome_jit(path)
    assert _chrome_loads(path) == [(addr, size, JIT_NAME)]
    return ev[0]


@pytest.mark.parametrize("ident", DUMP_INTERPS)
def test_jit_dump_spin_launched(tracer, get_interp, ident, tmp_path):
    """the workload creates and maps its jitdump after the launch; once the
    tracer said it found it (no code load in it yet), the record is
    appended: named by following the file"""
    it = get_interp(ident)
    fo, js, trigger = tmp_path / "s.folded", tmp_path / "s.json", tmp_path / "go"
    cmd = [tracer, "--sample=%d" % HZ, "-o", "-", "-o", str(fo), "-o", str(js), "--",
           it.python, WORKLOAD, "spin-jitdump"]
    tr = helpers.Spawned(cmd, env=helpers.target_env({"JIT_DUMP_DIR": str(tmp_path),
                                                      "JIT_DUMP_TRIGGER": str(trigger)}))
    try:
        found = tr.err.wait_for("tracer: jitdump of PID", 60)
        assert found, tr.describe()
        assert found.endswith(", 0 code loads so far (followed as it grows)"), found
        open(str(trigger), "w").close()
        assert tr.wait(TIMEOUT) == 0, tr.describe()
    finally:
        tr.kill()
    err, summary = tr.err.text(), tr.out.text()
    pid = _pid(err)
    assert found.startswith("tracer: jitdump of PID %d found: %s/jit-%d.dump"
                            % (pid, tmp_path, pid)), found
    addr, size = _truth_addr(err)
    spin, jit = _check_spin(parse_folded(fo))
    assert spin > 500, spin
    assert jit >= 0.8 * spin, (jit, spin)
    assert _summary_count(summary, "samples") == jit
    assert _summary_count(summary, "dump") == 1
    assert _summary_count(summary, "live") == 0
    assert _dump_stats(err) == (1, 1, 0, 0)
    e = _dump_instant(js, addr, size)
    # at the time the workload wrote it (CLOCK_MONOTONIC, like the samples)
    ts = int(re.search(r"^truth: jit_ts=(\d+)$", err, re.M).group(1))
    assert round(e["ts"] * 1000) == ts, (e["ts"], ts)
    assert not e["args"].get("before_attach")


@pytest.mark.parametrize("ident", DUMP_INTERPS)
def test_jit_dump_spin_attached(tracer, get_interp, ident, tmp_path):
    """the jitdump written before the attach: read at attach"""
    it = get_interp(ident)
    err, summary, rows, (addr, size) = _attached(tracer, it, tmp_path, mode="early-jitdump",
                                                 env={"JIT_DUMP_DIR": str(tmp_path)})
    assert re.search(r"^tracer: jitdump of PID \d+ found: %s/jit-\d+\.dump, 1 code loads so "
                     r"far" % tmp_path, err, re.M), err
    spin, jit = _check_spin(rows)
    assert spin > 500 and jit >= 0.8 * spin, (jit, spin)
    assert _summary_count(summary, "dump") == 1
    assert _summary_count(summary, "map") == 0
    e = _dump_instant(tmp_path / "a.json", addr, size)
    assert e["args"].get("before_attach") is True
    # written before the attach: placed at it, not before
    attach_us = min(ev["ts"] for ev in helpers.load_chrome(tmp_path / "a.json")["traceEvents"]
                    if ev.get("ph") == "B")
    ts = int(re.search(r"^truth: jit_ts=(\d+)$", (tmp_path / "w.err").read_text(),
                       re.M).group(1))
    assert ts / 1000 < e["ts"] <= attach_us, (ts, e["ts"], attach_us)


def _refused(text):
    return re.search(r"jit: jitdump refused: \S*/jit-\d+\.dump is owned by uid 65534, not by "
                     r"the process's user \(uid 0\): not read", text)


def test_jit_dump_of_another_user_refused(tracer, get_interp, tmp_path):
    """attached: the dump given to another user before the attach"""
    it = get_interp("pyenv3.13")
    err, summary, rows, _ = _attached(tracer, it, tmp_path, mode="early-jitdump",
                                      env={"JIT_DUMP_DIR": str(tmp_path),
                                           "JIT_DUMP_CHOWN": "65534"})
    said = _refused(err)
    assert said, err
    assert said.group(0) in summary	# in the outputs too
    assert said.group(0) in helpers.load_chrome(tmp_path / "a.json")["session"]["warnings"]
    assert _summary_count(summary, "dump") == 0
    spin, jit = _check_spin(rows)
    assert spin > 500 and jit == 0, (jit, spin)


def _launch_planted_dump(tracer, get_interp, tmp_path, args):
    """pyenv 3.13 launched with ARGS, its jitdump opened through a symlink
    planted at its name to a file of uid 65534; -> (the run, the refusal said)"""
    it = get_interp("pyenv3.13")
    p = helpers.run([tracer] + args + ["--", it.python, WORKLOAD, "spin-jitdump"],
                    timeout=TIMEOUT,
                    env=helpers.target_env({"JIT_DUMP_DIR": str(tmp_path),
                                            "JIT_DUMP_SYMLINK": "1",
                                            "JIT_DUMP_CHOWN": "65534"}))
    assert p.returncode == 0, helpers.describe(p)
    said = _refused(p.stderr)
    assert said, p.stderr
    return p, said


def test_jit_dump_through_planted_symlink_refused(tracer, get_interp, tmp_path):
    """launched: the dump the process opened through a symlink at its name
    is another user's file elsewhere: the file mapped is the one checked
    (and named: not the symlink's path), found late, refused and said"""
    js = tmp_path / "l.json"
    p, said = _launch_planted_dump(tracer, get_interp, tmp_path,
                                   ["--sample=%d" % HZ, "-o", "-", "-o", str(js)])
    assert "/planted/jit-" in said.group(0)
    assert said.group(0) in p.stdout
    assert said.group(0) in helpers.load_chrome(js)["session"]["warnings"]
    assert _summary_count(p.stdout, "dump") == 0


def test_jit_refusal_kept_by_recording(tracer, get_interp, tmp_path):
    """a refusal found late lands in the recording's end record: `tracer
    report` says it in its outputs as the live session did"""
    rec, js = tmp_path / "r.trace", tmp_path / "r.json"
    _, said = _launch_planted_dump(tracer, get_interp, tmp_path, ["-o", str(rec)])
    r = helpers.run([tracer, "report", str(rec), "-o", "-", "-o", str(js)], timeout=60)
    assert r.returncode == 0, helpers.describe(r)
    assert said.group(0) in r.stdout, r.stdout[-2000:]
    assert said.group(0) in helpers.load_chrome(js)["session"]["warnings"]
