# SPDX-License-Identifier: MIT
"""Output files (issue 17, findings 2 and 6): the tracer runs as root and
writes into directories a traced user may control. Every output is created
at the start under a temporary name (NAME.tracer-partial-XXXXXX) with
O_EXCL|O_NOFOLLOW and renamed over NAME when complete: a link planted at
NAME is replaced, never written through; a bad path fails before anything
is traced; a failed or refused run leaves an existing NAME untouched; a
full disk is said naming the file; after kill -9 the partial files are
where the tracer said, the recording readable."""
import glob
import os
import re
import signal
import stat
import subprocess
import time

import pytest

import helpers
import hostile
from test_errors import free_pid

PY = helpers.DEBIAN_PY
VICTIM_TEXT = "root's file: must never change\n"
PARTIAL = ".tracer-partial-"

# every format, by a name in the output directory
CALL_FORMATS = ["t.json", "t.trace", "f.svg", "f.folded", "t.pftrace", "p.pprof",
                "s.speedscope.json"]
COVER_FORMATS = ["cov.lcov", "cov.info", "cov.xml", "cov.cov.txt"]
ALL_FORMATS = CALL_FORMATS + COVER_FORMATS

# the hostile target: calls f() until a file `go` appears in its directory,
# then plants a link to VICTIM at every name given (the tracer's outputs),
# says so, calls f() a little longer and exits
PLANTER = r'''
import os, sys, time
victim, names = sys.argv[1], sys.argv[2:]
def f(x):
    return x + 1
n = 0
sys.stderr.write("ready\n"); sys.stderr.flush()
t0 = time.time()
while not os.path.exists("go") and time.time() - t0 < 300:
    n = f(n)
for name in names:
    try:
        os.unlink(name)
    except OSError:
        pass
    os.symlink(victim, name)
sys.stderr.write("planted\n"); sys.stderr.flush()
t1 = time.time()
while time.time() - t1 < 0.5:
    n = f(n)
'''

# a launched workload: calls for SECONDS seconds
LOOP = r'''
import sys, time
def f(x):
    return x + 1
n, t0 = 0, time.time()
while time.time() - t0 < float(sys.argv[1]):
    n = f(n)
'''


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def victim_file(tmp_path):
    """a root-owned file outside the output directory"""
    v = tmp_path / "victim"
    write(str(v), VICTIM_TEXT)
    return str(v)


def partials(d):
    return sorted(glob.glob(os.path.join(str(d), "*" + PARTIAL + "*")))


def assert_victim_intact(victim):
    with open(victim) as f:
        assert f.read() == VICTIM_TEXT, "the tracer wrote through a planted link"
    assert os.stat(victim).st_uid == 0


def assert_regular_outputs(d, names, p):
    for n in names:
        path = os.path.join(d, n)
        st = os.lstat(path)
        assert stat.S_ISREG(st.st_mode), "%s is not a regular file (%s)\n%s" % (
            n, stat.filemode(st.st_mode), p)
        assert st.st_uid == 0 and st.st_size > 0, "%s\n%s" % (n, p)


def run_planter(tracer, d, victim, names, plant_during, script=PLANTER, plant=None):
    """trace the hostile SCRIPT (PLANTER; as nobody, in D) with -o D/NAME for
    NAMES; with PLANT_DURING it plants its links at PLANT (default NAMES)
    after the tracer said it traces, else they are there before the start.
    The tracer, ended (a helpers.Spawned)."""
    plant = names if plant is None else plant
    path = os.path.join(d, "planter.py")
    hostile.write_as_nobody(path, script)
    if not plant_during:
        for n in plant:
            subprocess.check_call(hostile.as_nobody(["ln", "-s", victim, os.path.join(d, n)]))
    target = hostile.HostileTarget(PY, path, d, args=[victim] + plant)
    tr = None
    try:
        target.wait_ready()
        cmd = [tracer, "-p", str(target.pid), "-d", "60"]
        for n in names:
            cmd += ["-o", os.path.join(d, n)]
        tr = helpers.Spawned(cmd)
        assert tr.err.wait_for("tracer: tracing", 240), tr.describe()
        write(os.path.join(d, "go"), "")
        if plant_during:
            assert target.err.wait_for("planted", 30), target.describe()
        assert target.wait(120) == 0, target.describe()
        tr.wait(120)
        return tr
    finally:
        target.kill()
        if tr:
            tr.kill()


@pytest.mark.parametrize("plant_during", [True, False], ids=["during", "before"])
def test_planted_links_are_never_written_through(tracer, nobody_dir, tmp_path, plant_during):
    """links to a root file planted at every output's name, during the
    session (after the tracer said it traces) or before it: the root file is
    unchanged and every output is a regular file of root's"""
    victim = victim_file(tmp_path)
    tr = run_planter(tracer, nobody_dir, victim, ALL_FORMATS, plant_during)
    desc = tr.describe()
    assert_victim_intact(victim)
    assert tr.proc.returncode == 0, desc
    assert_regular_outputs(nobody_dir, ALL_FORMATS, desc)
    assert partials(nobody_dir) == [], desc
    with open(os.path.join(nobody_dir, "cov.lcov")) as f:
        assert "planter.py" in f.read()


def test_replaced_temporary_file_is_not_published(tracer, nobody_dir, tmp_path):
    """the directory's owner swaps the tracer's temporary files for links to
    a root file: nothing is written through them, nothing renamed, said"""
    victim = victim_file(tmp_path)
    outs = ["t.json", "cov.lcov"]
    # plants its links at whatever temporary names it finds
    swapper = PLANTER.replace("for name in names:", "names = [n for n in os.listdir('.') "
                              "if %r in n]\nfor name in names:" % PARTIAL)
    tr = run_planter(tracer, nobody_dir, victim, outs, True, script=swapper, plant=[])
    desc = tr.describe()
    assert_victim_intact(victim)
    assert tr.proc.returncode != 0, desc
    for n in outs:
        assert not os.path.lexists(os.path.join(nobody_dir, n)), desc
        assert "%s: its temporary file" % os.path.join(nobody_dir, n) in desc, desc


@pytest.mark.parametrize("name", ["x.lcov", "x.xml", "x.json", "x.trace", "x.svg"])
def test_bad_output_path_fails_before_tracing(tracer, tmp_path, name):
    """a path that cannot be written is refused before the command runs
    (coverage outputs used to be opened only at the end)"""
    marker = tmp_path / "ran"
    t0 = time.monotonic()
    p = helpers.run([tracer, "-o", "/nonexistent/dir/" + name, "--", PY, "-c",
                     "open(%r, 'w').close()" % str(marker)], timeout=120)
    assert p.returncode == 1, helpers.describe(p)
    assert "/nonexistent/dir/" + name in p.stderr, helpers.describe(p)
    assert "tracing" not in p.stderr, helpers.describe(p)
    assert not marker.exists(), "the command ran although the output cannot be written"
    assert time.monotonic() - t0 < 10, helpers.describe(p)


def test_bad_output_path_attach_leaves_the_target_alone(tracer, nobody_dir):
    script = os.path.join(nobody_dir, "planter.py")
    hostile.write_as_nobody(script, PLANTER)
    target = hostile.HostileTarget(PY, script, nobody_dir, args=["/nonexistent"])
    try:
        target.wait_ready()
        p = helpers.run([tracer, "-p", str(target.pid), "-o", "/nonexistent/dir/c.lcov"],
                        timeout=60)
        assert p.returncode == 1, helpers.describe(p)
        assert "/nonexistent/dir/c.lcov" in p.stderr and "tracing" not in p.stderr, \
            helpers.describe(p)
        assert target.proc.poll() is None
    finally:
        target.kill()


def refused_python():
    found = sorted(glob.glob("/root/.pyenv/versions/3.6*/bin/python3.6"))
    if not found:
        pytest.skip("no CPython 3.6 under /root/.pyenv")
    return found[0]


KEEP = {"keep.json": b'{"old": 1}\n', "keep.svg": b"<svg>old</svg>\n",
        "keep.trace": b"not replaced\n", "keep.lcov": b"TN:old\n",
        "keep.folded": b"old 1\n", "keep.pftrace": b"\x00old"}


@pytest.mark.parametrize("case", ["no-such-pid", "report-missing", "refused-interpreter",
                                  "unknown-format-after"])
def test_failed_runs_leave_existing_files_alone(tracer, tmp_path, case):
    for n, data in KEEP.items():
        (tmp_path / n).write_bytes(data)
    outs = []
    for n in KEEP:
        if case != "report-missing" or not n.endswith(".trace"):
            outs += ["-o", str(tmp_path / n)]
    if case == "no-such-pid":
        cmd = [tracer, "-p", str(free_pid())] + outs
    elif case == "report-missing":
        cmd = [tracer, "report", "/missing.trace"] + outs
    elif case == "refused-interpreter":
        cmd = [tracer] + outs + ["--", refused_python(), "-c", "pass"]
    else:
        cmd = [tracer] + outs + ["-o", str(tmp_path / "x.unknownfmt"), "--", PY, "-c", "pass"]
    p = helpers.run(cmd, timeout=120)
    assert p.returncode != 0, helpers.describe(p)
    for n, data in KEEP.items():
        assert (tmp_path / n).read_bytes() == data, "%s changed\n%s" % (n, helpers.describe(p))
    assert partials(tmp_path) == [], helpers.describe(p)
    assert sorted(os.listdir(str(tmp_path))) == sorted(KEEP), helpers.describe(p)


@pytest.fixture
def small_disk(tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    subprocess.check_call(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(d)])
    yield str(d)
    subprocess.call(["umount", "-l", str(d)])


def fill(d, leave=0):
    """LEAVE bytes left free on D (none: not even one byte)"""
    st = os.statvfs(d)
    room = st.f_bavail * st.f_frsize - leave
    with open(os.path.join(d, "filler"), "wb", buffering=0) as f:
        try:
            while room > 0:
                room -= f.write(b"\0" * min(room, 65536))
            while not leave:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def check_message(p, path):
    desc = helpers.describe(p)
    assert p.returncode != 0, desc
    line = [l for l in p.stderr.splitlines() if path + ":" in l or "recording " + path in l]
    assert line, "no message names %s\n%s" % (path, desc)
    assert any("No space left on device" in l for l in line), desc


@pytest.mark.parametrize("name", ALL_FORMATS)
def test_disk_full_from_the_start(tracer, small_disk, tmp_path, name):
    fill(small_disk)
    out = os.path.join(small_disk, name)
    script = tmp_path / "w.py"
    write(str(script), LOOP)
    p = helpers.run([tracer, "-o", out, "--", PY, str(script), "0.2"], timeout=120)
    check_message(p, out)
    assert not os.path.exists(out), helpers.describe(p)
    assert partials(small_disk) == [], helpers.describe(p)
    # a recording with nothing readable must not say it is
    assert "stays readable" not in p.stderr and "stay a readable" not in p.stderr, \
        helpers.describe(p)


@pytest.mark.parametrize("name", ["t.json", "t.pftrace", "t.trace"])
def test_disk_full_midway(tracer, small_disk, tmp_path, name):
    """256 KiB left fill up during the session: a .pftrace is not published
    (it would be invalid); the recording and the .json are, readable up to
    the error (the .json cut back to its last whole event: Chrome's JSON
    array form, read as viewers read one cut short)"""
    fill(small_disk, leave=256 << 10)
    out = os.path.join(small_disk, name)
    (tmp_path / "w.py").write_text(LOOP)
    p = helpers.run([tracer, "-o", out, "--", PY, str(tmp_path / "w.py"), "4"], timeout=180)
    check_message(p, out)
    assert partials(small_disk) == [], helpers.describe(p)
    if name.endswith(".json"):
        assert "%s: No space left on device: kept the events written before it" % out \
            in p.stderr, helpers.describe(p)
        with open(out, encoding="utf-8") as f:
            text = f.read()
        assert text.rstrip().endswith("}"), text[-200:]	# a whole event last
        events = helpers.read_chrome_array(text)
        assert events[0]["name"] == "tracer_start", events[0]
        assert len([e for e in events if e.get("ph") == "X"]) > 100, len(events)
        return
    if not name.endswith(".trace"):
        assert not os.path.exists(out), helpers.describe(p)
        assert "nothing written to %s" % out in p.stderr, helpers.describe(p)
        return
    assert "%s is the recording up to the write error" % out in p.stderr, helpers.describe(p)
    r = helpers.run([tracer, "report", out], timeout=120)
    assert r.returncode == 2, helpers.describe(r)   # cut short, converted
    m = re.search(r"calls: (\d+) completed", r.stdout)
    assert m and int(m.group(1)) > 100, helpers.describe(r)


def test_kill_9_leaves_partial_files_where_said(tracer, tmp_path):
    """after kill -9 the outputs are at NAME.tracer-partial-XXXXXX (the
    tracer says so when it starts tracing); the recording is readable"""
    (tmp_path / "w.py").write_text(LOOP)
    outs = [str(tmp_path / "k.trace"), str(tmp_path / "k.json")]
    cmd = [tracer, "-o", outs[0], "-o", outs[1], "--", PY, str(tmp_path / "w.py"), "60"]
    tr = helpers.Spawned(cmd)
    pid = None
    try:
        said = tr.err.wait_for("tracer: output files are written as", 240)
        assert said and "NAME%sXXXXXX" % PARTIAL in said, tr.describe()
        line = tr.err.wait_for("tracer: tracing PID", 60)
        assert line, tr.describe()
        pid = int(re.search(r"PID (\d+)", line).group(1))
        time.sleep(3)   # more than the recording's flush interval (1 s)
        os.kill(tr.pid, signal.SIGKILL)
        tr.proc.wait(180)   # the kernel removes its probes first: slow when loaded
    finally:
        tr.kill()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for o in outs:
        assert not os.path.exists(o)
        found = glob.glob(o + PARTIAL + "??????")
        assert len(found) == 1, os.listdir(str(tmp_path))
    rec = glob.glob(outs[0] + PARTIAL + "*")[0]
    r = helpers.run([tracer, "report", rec], timeout=120)
    assert r.returncode == 2 and "cut short" in r.stderr, helpers.describe(r)
    m = re.search(r"^\s+(\d+)\s.*\bf \(", r.stdout, re.M)
    assert m and int(m.group(1)) > 0, helpers.describe(r)
    # the .json is Chrome's JSON array form cut short, loadable as viewers
    # load one (test_chaos.py checks what it holds against ground truth)
    with open(glob.glob(outs[1] + PARTIAL + "*")[0], encoding="utf-8") as f:
        events = helpers.read_chrome_array(f.read())
    assert events[0]["name"] == "tracer_start", events[0]
    assert [e for e in events if e.get("ph") == "X"], "no call kept"
