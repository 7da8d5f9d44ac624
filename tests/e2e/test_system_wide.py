# SPDX-License-Identifier: MIT
"""System-wide sessions (tracer -a): several interpreters at once, processes
found running and started later (one in its own PID namespace), each exact
against the interpreter's own sys.setprofile in a separate run; the
filters.

The test's processes are told from any other Python of the machine (the
test runner itself is Debian's python3.11) by their names: each runs its
interpreter through a symlink named e2e-sw-*, so its comm is that name, and
the tracer is given --comm for each. A process started later of a file the
session already probes is traced from its first call: its whole run is
compared with the ground truth."""
import copy
import os
import signal
import subprocess
import time

import pytest

import helpers
from test_exact import check_trace

TIMEOUT = 120


def named(interp, tmp_path, name):
    """INTERP run through a symlink NAME (its process's comm)"""
    link = tmp_path / name
    if not link.exists():
        os.symlink(interp.python, str(link))
    it = copy.copy(interp)
    it.python = str(link)
    return it


def start_all(tracer, outputs, args, timeout=60):
    cmd = [tracer, "-a"] + list(args)
    for o in outputs:
        cmd += ["-o", str(o)]
    t = helpers.Spawned(cmd)
    if t.err.wait_for("tracer: tracing", timeout) is None:
        t.kill()
        raise helpers.Failed("tracer -a did not report `tracer: tracing`\n" + t.describe())
    return t


def stop(tr, timeout=120):
    """SIGINT, as Ctrl-C; the tracer must end by itself with 0"""
    os.kill(tr.pid, signal.SIGINT)
    assert tr.wait(timeout) == 0, tr.describe()


def of_pid(chrome, pid):
    """the Chrome trace restricted to the calls of process PID"""
    sub = copy.copy(chrome)
    sub.calls = [c for c in chrome.calls if c["pid"] == pid]
    return sub


def processes(chrome):
    return {p["pid"]: p for p in chrome.other.get("processes", [])}


def test_all_exact(tracer, get_interp, get_truth, tmp_path):
    """Debian 3.11, pyenv 3.10 and pyenv 3.12 -X perf running at the start;
    a Debian 3.11 started later in its own PID namespace"""
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    specs = [("debian3.11", []), ("pyenv3.10", []), ("pyenv3.12", ["-X", "perf"])]
    interps = [get_interp(i) for i, _ in specs]
    names = ["e2e-sw-%d" % i for i in range(len(specs))] + ["e2e-sw-ns"]
    out = tmp_path / "all.json"
    targets, tr = [], None
    try:
        for k, ((ident, args), it) in enumerate(zip(specs, interps)):
            tdir = tmp_path / ("t%d" % k)
            tdir.mkdir()
            targets.append(helpers.Target(named(it, tmp_path, names[k]), wl, tdir, args))
        for t in targets:
            t.wait_ready()
        comm_args = []
        for n in names:
            comm_args += ["--comm", n]
        tr = start_all(tracer, [out], comm_args)
        for t in targets:
            t.fire()
        for t in targets:
            assert t.wait(TIMEOUT) == 0, t.describe()
        # started now, of a file the session probes: from its first call
        late = helpers.run(["unshare", "--pid", "--fork", "--mount-proc",
                            named(interps[0], tmp_path, names[-1]).python, wl.path],
                           timeout=TIMEOUT, env=helpers.target_env())
        assert late.returncode == 0, helpers.describe(late)
        stop(tr)
    finally:
        for t in targets:
            t.kill()
        if tr:
            tr.kill()
    chrome = helpers.Chrome(out)
    procs = processes(chrome)
    for t, it in zip(targets, interps):
        truth = get_truth(it, wl)
        assert t.out.text() == truth.stdout.rstrip("\n")
        assert t.pid in procs, (t.pid, procs.keys())
        check_trace(of_pid(chrome, t.pid), it, wl, truth, t.pid, "attach")
    # the late one: its host pid is in no namespace of ours; find it by its
    # in-namespace pid 1 (unshare's child is the namespace's init)
    late_pids = [p for p, d in procs.items() if d.get("ns_pid") == 1]
    assert len(late_pids) == 1, procs
    lp = late_pids[0]
    truth = get_truth(interps[0], wl)
    assert truth.stdout in late.stdout
    check_trace(of_pid(chrome, lp), interps[0], wl, truth, lp, "launch")
    # traced from its first call: its main() has no call before it missing
    assert not helpers.flagged(of_pid(chrome, lp).calls, "began_before_attach")
    # every process accounted for: the four, all seen exiting
    assert "tracer: 4 processes traced (4 exited during the session)" in tr.err.text(), \
        tr.describe()


def test_filters(tracer, get_interp, tmp_path):
    """--comm picks by name, --exclude-pid leaves one out; a process left
    out has no call in the trace"""
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    out = tmp_path / "f.json"
    targets, tr = [], None
    try:
        for k, name in enumerate(["e2e-sw-in", "e2e-sw-out", "e2e-sw-in"]):
            tdir = tmp_path / ("t%d" % k)
            tdir.mkdir()
            targets.append(helpers.Target(named(it, tmp_path, name), wl, tdir))
        for t in targets:
            t.wait_ready()
        tr = start_all(tracer, [out], ["--comm", "e2e-sw-in", "--exclude-pid",
                                       str(targets[2].pid)])
        for t in targets:
            t.fire()
        for t in targets:
            assert t.wait(TIMEOUT) == 0, t.describe()
        stop(tr)
    finally:
        for t in targets:
            t.kill()
        if tr:
            tr.kill()
    chrome = helpers.Chrome(out)
    pids = {c["pid"] for c in chrome.in_files(wl.files)}
    assert pids == {targets[0].pid}, (pids, [t.pid for t in targets])


def test_cgroup_filter(tracer, get_interp, tmp_path):
    """--cgroup DIR: only processes in that cgroup v2 directory"""
    mnt = None
    for line in open("/proc/self/mountinfo"):
        if " - cgroup2 " in line:
            mnt = line.split()[4]
            break
    if mnt is None:
        pytest.skip("no cgroup v2 hierarchy mounted")
    cg = os.path.join(mnt, "tracer-e2e-%d" % os.getpid())
    try:
        os.mkdir(cg)
    except OSError as e:
        pytest.skip("cannot make a cgroup v2 directory %s: %s" % (cg, e))
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    out = tmp_path / "c.json"
    targets, tr = [], None
    try:
        for k in range(2):
            tdir = tmp_path / ("t%d" % k)
            tdir.mkdir()
            targets.append(helpers.Target(named(it, tmp_path, "e2e-sw-cg"), wl, tdir))
        for t in targets:
            t.wait_ready()
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(targets[1].pid))
        tr = start_all(tracer, [out], ["--comm", "e2e-sw-cg", "--cgroup", cg])
        for t in targets:
            t.fire()
        for t in targets:
            assert t.wait(TIMEOUT) == 0, t.describe()
        stop(tr)
    finally:
        for t in targets:
            t.kill()
        if tr:
            tr.kill()
        os.rmdir(cg)
    chrome = helpers.Chrome(out)
    pids = {c["pid"] for c in chrome.in_files(wl.files)}
    assert pids == {targets[1].pid}, (pids, [t.pid for t in targets])
    assert processes(chrome)[targets[1].pid].get("cgroup", "").endswith(os.path.basename(cg))


def test_refusals(tracer, tmp_path):
    """what -a does not do is refused before tracing, with the reason"""
    cases = [
        (["-a", "--sample"], "--sample"),
        (["-a", "-o", str(tmp_path / "c.lcov")], "coverage"),
        (["-a", "--cgroup", "/proc"], "cgroup v2"),
        (["--comm", "x", "-p", "1"], "--comm"),
        (["-a", "--comm", "a-name-longer-than-15"], "15 characters"),
    ]
    for args, said in cases:
        p = helpers.run([tracer] + args, timeout=30)
        assert p.returncode != 0 and said in p.stderr, helpers.describe(p)
