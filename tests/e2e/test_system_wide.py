# SPDX-License-Identifier: MIT
"""System-wide sessions (tracer -a): several interpreters at once, processes
found running and started later (one in its own PID namespace), each exact
against the interpreter's own sys.setprofile in a separate run; the
filters.

The test's processes are told from any other Python of the machine (the
test runner itself is Debian's python3.11) by their names: each runs its
interpreter through a symlink named NNNN-sw-* (NNNN from the test run's
PID, so that two runs at once cannot select each other's processes), so its
comm is that name, and the tracer is given --comm for each. A process started later of a file the
session already probes is traced from its first call: its whole run is
compared with the ground truth."""
import copy
import os
import shutil
import signal
import subprocess
import time

import pytest

import helpers
import test_coverage as cov
from test_coverage import get_cov_truth  # noqa: F401  the fixture
from test_exact import check_trace
from test_folded import FRAME, parse_folded
from test_sample import HZ as SAMPLE_HZ, _truth as sample_truth

TIMEOUT = 120
# the comm prefix of this run's targets (comm: at most 15 characters)
TAG = "%04d-" % (os.getpid() % 10000)


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


def kill_all(*spawned):
    """kill what is still running of SPAWNED (helpers.Spawned, or None)"""
    for p in spawned:
        if p:
            p.kill()


def stop(tr, timeout=120):
    """SIGINT, as Ctrl-C; the tracer must end by itself with 0"""
    os.kill(tr.pid, signal.SIGINT)
    assert tr.wait(timeout) == 0, tr.describe()


def trace_targets(tracer, wl, tmp_path, specs, args, out, before=None, after=None):
    """Targets of WL from SPECS, (interp, comm name, interpreter args),
    waiting to start; BEFORE(targets) runs then, the tracer (-a ARGS -o OUT)
    is started, the targets fired and waited for, AFTER(targets) runs, and
    the tracer is stopped. -> (targets, tracer)"""
    targets, tr = [], None
    try:
        for k, (it, name, iargs) in enumerate(specs):
            tdir = tmp_path / ("t%d" % k)
            tdir.mkdir()
            targets.append(helpers.Target(named(it, tmp_path, name), wl, tdir, iargs))
        for t in targets:
            t.wait_ready()
        if before:
            before(targets)
        tr = start_all(tracer, [out], args)
        for t in targets:
            t.fire()
        for t in targets:
            assert t.wait(TIMEOUT) == 0, t.describe()
        if after:
            after(targets)
        stop(tr)
    finally:
        kill_all(*targets, tr)
    return targets, tr


def of_pid(chrome, pid):
    """the Chrome trace restricted to the calls of process PID"""
    sub = copy.copy(chrome)
    sub.calls = [c for c in chrome.calls if c["pid"] == pid]
    return sub


def processes(chrome):
    return {p["pid"]: p for p in chrome.other.get("processes", [])}


def optional(ident):
    """[IDENT] when that interpreter is here, else [] with a printed reason"""
    it, why = helpers.find_interp(ident)
    if it is None:
        print("without %s: %s" % (ident, why))
        return []
    return [ident]


def test_all_exact(tracer, get_interp, get_truth, tmp_path):
    """Debian 3.11, pyenv 3.10, pyenv 3.12 -X perf (and pyenv 3.14 when
    present) running at the start;
    a Debian 3.11 started later in its own PID namespace"""
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    specs = [("debian3.11", []), ("pyenv3.10", []), ("pyenv3.12", ["-X", "perf"])]
    specs += [(i, []) for i in optional("pyenv3.14")]
    interps = [get_interp(i) for i, _ in specs]
    names = [TAG + "sw-%d" % i for i in range(len(specs))] + [TAG + "sw-ns"]
    out = tmp_path / "all.json"
    comm_args = []
    for n in names:
        comm_args += ["--comm", n]
    runs = {}

    def start_late(targets):
        # started now, of a file the session probes: from its first call
        late = helpers.run(["unshare", "--pid", "--fork", "--mount-proc",
                            named(interps[0], tmp_path, names[-1]).python, wl.path],
                           timeout=TIMEOUT, env=helpers.target_env())
        assert late.returncode == 0, helpers.describe(late)
        runs["late"] = late

    targets, tr = trace_targets(
        tracer, wl, tmp_path,
        [(it, names[k], args) for k, ((_, args), it) in enumerate(zip(specs, interps))],
        comm_args, out, after=start_late)
    late = runs["late"]
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
    # every process accounted for, all seen exiting
    n = len(specs) + 1
    assert "tracer: %d processes traced (%d exited during the session)" % (n, n) \
        in tr.err.text(), \
        tr.describe()


def test_filters(tracer, get_interp, tmp_path):
    """--comm picks by name, --exclude-pid leaves one out; a process left
    out has no call in the trace"""
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    out = tmp_path / "f.json"
    args = ["--comm", TAG + "sw-in", "--exclude-pid"]
    targets, _ = trace_targets(
        tracer, wl, tmp_path,
        [(it, name, []) for name in (TAG + "sw-in", TAG + "sw-out", TAG + "sw-in")], args, out,
        before=lambda targets: args.append(str(targets[2].pid)))
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

    def move_second(targets):
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(targets[1].pid))

    try:
        targets, _ = trace_targets(tracer, wl, tmp_path, [(it, TAG + "sw-cg", [])] * 2,
                                   ["--comm", TAG + "sw-cg", "--cgroup", cg], out,
                                   before=move_second)
    finally:
        os.rmdir(cg)
    chrome = helpers.Chrome(out)
    pids = {c["pid"] for c in chrome.in_files(wl.files)}
    assert pids == {targets[1].pid}, (pids, [t.pid for t in targets])
    assert processes(chrome)[targets[1].pid].get("cgroup", "").endswith(os.path.basename(cg))


def _folded_shares(rows, paths):
    """-> {path: (samples with f of PATH on the stack, with g)}"""
    shares = {}
    for path in paths:
        sf = sum(n for frames, n in rows if any(
            FRAME.match(x) and FRAME.match(x).group(1, 2) == ("f", path) for x in frames))
        sg = sum(n for frames, n in rows if any(
            FRAME.match(x) and FRAME.match(x).group(1, 2) == ("g", path) for x in frames))
        shares[path] = (sf, sg)
    return shares


def test_sample_all(tracer, get_interp, tmp_path):
    """--sample -a: Debian 3.11, pyenv 3.10, pyenv 3.12 (and 3.14) sampled at once,
    and a Debian 3.11 started later in its own PID namespace; each runs its
    own copy of workloads/sampling.py (so its frames are told apart in the
    one .folded), and each one's f/g sample ratio is its own measured CPU
    ratio within 15%, as in test_sample"""
    specs = ["debian3.11", "pyenv3.10", "pyenv3.12"] + optional("pyenv3.14")
    interps = [get_interp(i) for i in specs]
    names = [TAG + "sws-%d" % k for k in range(len(specs))] + [TAG + "sws-ns"]
    env = {"E2E_SAMPLE_SECONDS": "3", "E2E_DEEP_SECONDS": "0.3"}
    scripts = []
    for k in range(len(names)):
        d = tmp_path / ("w%d" % k)
        d.mkdir()
        for f in ("sampling.py", "_harness.py"):
            shutil.copy(os.path.join(helpers.WORKLOADS, f), str(d / f))
        scripts.append(str(d / "sampling.py"))
    trigger = str(tmp_path / "go")
    folded, chrome_out = tmp_path / "s.folded", tmp_path / "s.json"
    args = ["--sample=%d" % SAMPLE_HZ, "-o", str(chrome_out), "-o", "-"]
    for n in names:
        args += ["--comm", n]
    targets, tr, late = [], None, None
    try:
        for k, it in enumerate(interps):
            targets.append(helpers.Spawned(
                [named(it, tmp_path, names[k]).python, scripts[k]],
                env=helpers.target_env(dict(env, E2E_TRIGGER=trigger))))
        for t in targets:
            assert t.err.wait_for("workload: ready", 30) is not None, t.describe()
        tr = start_all(tracer, [folded], args)
        open(trigger, "w").close()
        late = helpers.run(["unshare", "--pid", "--fork", "--mount-proc",
                            named(interps[0], tmp_path, names[-1]).python, scripts[-1]],
                           timeout=TIMEOUT, env=helpers.target_env(env))
        assert late.returncode == 0, helpers.describe(late)
        for t in targets:
            assert t.wait(TIMEOUT) == 0, t.describe()
        stop(tr)
    finally:
        kill_all(*targets, tr)
    err = tr.err.text()
    n = len(specs) + 1
    assert "tracer: %d processes traced (%d exited during the session)" % (n, n) in err, \
        tr.describe()
    truths = [sample_truth(t.err.text()) for t in targets] + [sample_truth(late.stderr)]
    shares = _folded_shares(parse_folded(folded), scripts)
    for k, ((f_cpu, g_cpu, _), path) in enumerate(zip(truths, scripts)):
        sf, sg = shares[path]
        want, got = f_cpu / g_cpu, sf / max(sg, 1)
        print("%s: f/g samples %d/%d = %.3f, CPU time %.3f" % (names[k], sf, sg, got, want))
        assert sf > 200 and sg > 100, (names[k], sf, sg)
        assert abs(got / want - 1) <= 0.15, (names[k], got, want)
    # the late one is named by its in-namespace pid, and said found after its exec
    procs = processes(helpers.Chrome(chrome_out))
    late_procs = [d for d in procs.values() if d.get("ns_pid") == 1]
    assert len(late_procs) == 1, procs
    assert "after its exec: not sampled before" in tr.out.text(), tr.out.text()[-3000:]


def test_coverage_all(tracer, get_interp, get_cov_truth, tmp_path):
    """coverage with -a: one map merged across processes. Debian 3.11 runs
    cov_main.py `a`, pyenv 3.10 `b` and Debian 3.11 in its own PID
    namespace `b`, all started after the session began, of files probed
    already (a sleeping process of each is there at the start): FNDA is
    the sum of the three runs' setprofile counts; the covered lines are the
    union of settrace's in the two Debian runs (3.10 measures functions
    only, as its process's description says)"""
    deb, old = get_interp("debian3.11"), get_interp("pyenv3.10")
    ta, tb = get_cov_truth(deb, cov.MAIN, ["a"]), get_cov_truth(deb, cov.MAIN, ["b"])
    tb_old = get_cov_truth(old, cov.MAIN, ["b"])
    lcov, xml = tmp_path / "all.lcov", tmp_path / "all.xml"
    names = [TAG + "swc-w0", TAG + "swc-w1", TAG + "swc-a", TAG + "swc-b", TAG + "swc-ns"]
    args = ["-o", str(xml), "-o", "-"]
    for n in names:
        args += ["--comm", n]
    sleep = ["-c", "import sys, time; sys.stderr.write('ready\\n'); sys.stderr.flush(); "
             "time.sleep(300)"]
    warm, tr = [], None
    try:
        for k, it in enumerate((deb, old)):
            warm.append(helpers.Spawned([named(it, tmp_path, names[k]).python] + sleep))
        for w in warm:
            assert w.err.wait_for("ready", 30) is not None, w.describe()
        tr = start_all(tracer, [lcov], args)
        for cmd in ([named(deb, tmp_path, names[2]).python, cov.MAIN, "a"],
                    [named(old, tmp_path, names[3]).python, cov.MAIN, "b"],
                    ["unshare", "--pid", "--fork", "--mount-proc",
                     named(deb, tmp_path, names[4]).python, cov.MAIN, "b"]):
            p = helpers.run(cmd, timeout=TIMEOUT, env=helpers.target_env(), cwd=str(tmp_path))
            assert p.returncode == 0, helpers.describe(p)
        stop(tr)
    finally:
        kill_all(*warm, tr)
    summary = tr.out.text()
    assert "coverage: functions only: this 3.10 build has no USDT line probe" in summary, \
        summary[-3000:]
    recs = cov.read_lcov(lcov)
    assert sorted(recs) == sorted(cov.MAIN_FILES), cov.set_diff("files", cov.MAIN_FILES, recs)
    cov.check_cobertura(xml, recs)
    for f in cov.MAIN_FILES:
        rec = recs[f]
        d = cov.set_diff("functions", ta.qualnames(f), rec.qualnames())
        assert not d, d
        runs = [ta.call_counts(f), tb.call_counts(f), tb_old.call_counts(f)]
        got = rec.counts()
        diffs = []
        for k in sorted(set(got).union(*runs)):
            want = [r.get(k, []) for r in runs]
            g = got.get(k, [])
            if all(len(w) == 1 for w in want):
                ok = g == [sum(w[0] for w in want)]
            else:   # several code objects of one name on one line: the sums
                ok = len(g) == max(len(w) for w in want) and sum(g) == sum(map(sum, want))
            if not ok:
                diffs.append("  %-16s line %4d: runs %s, merged FNDA %s" % (k[1], k[0], want, g))
        assert not diffs, "%s: merged call counts\n%s" % (f, "\n".join(diffs))
        d = cov.set_diff("DA lines", ta.reportable[f], rec.da, f)
        assert not d, d
        d = cov.set_diff("merged covered lines vs union of settrace (Debian runs)",
                         ta.ran_lines(f) | tb.ran_lines(f), rec.covered(), f)
        assert not d, d


def test_coverage_chroot(tracer, get_interp, get_cov_truth, tmp_path):
    """a process chroot'ed into another root (an overlay of /, so its root
    is another directory, the interpreter file another path): traced, and
    its code map made in its root after it exited: FNDA and the covered
    lines of cov_main.py `a` equal setprofile's and settrace's"""
    deb = get_interp("debian3.11")
    truth = get_cov_truth(deb, cov.MAIN, ["a"])
    root = tmp_path / "root"
    for d in ("up", "work", "root"):
        (tmp_path / d).mkdir(exist_ok=True)
    p = helpers.run(["mount", "-t", "overlay", "overlay", "-o",
                     "lowerdir=/,upperdir=%s,workdir=%s" % (tmp_path / "up", tmp_path / "work"),
                     str(root)], timeout=30)
    if p.returncode != 0:
        pytest.skip("cannot mount an overlay of / to chroot into: " + p.stderr.strip())
    lcov, tr, warm = tmp_path / "c.lcov", None, None
    try:
        os.symlink(deb.python, str(root / "tmp" / (TAG + "swc-chroot")))
        py = ["chroot", str(root), "/tmp/" + TAG + "swc-chroot"]
        warm = helpers.Spawned(py + ["-c", "import sys, time; sys.stderr.write('ready\\n'); "
                                     "sys.stderr.flush(); time.sleep(300)"])
        assert warm.err.wait_for("ready", 30) is not None, warm.describe()
        tr = start_all(tracer, [lcov], ["--comm", TAG + "swc-chroot"])
        run = helpers.run(py + [cov.MAIN, "a"], timeout=TIMEOUT, env=helpers.target_env())
        assert run.returncode == 0, helpers.describe(run)
        stop(tr)
    finally:
        kill_all(warm, tr)
        helpers.run(["umount", str(root)], timeout=30)
    assert "coverage of PID" not in tr.err.text(), tr.describe()
    recs = cov.read_lcov(lcov)
    assert sorted(recs) == sorted(cov.MAIN_FILES), cov.set_diff("files", cov.MAIN_FILES, recs)
    for f in cov.MAIN_FILES:
        cov.check_functions(recs[f], truth, f)
        cov.check_lines_exact(recs[f], truth, f)


def test_refusals(tracer, tmp_path):
    """what -a does not do is refused before tracing, with the reason"""
    cases = [
        (["-a", "--sample", "-o", str(tmp_path / "s.trace")], "--sample cannot write"),
        (["-a", "--sample", "-o", str(tmp_path / "c.lcov")], "--sample cannot write"),
        (["-a", "--cgroup", "/proc"], "cgroup v2"),
        (["--comm", "x", "-p", "1"], "--comm"),
        (["-a", "--comm", "a-name-longer-than-15"], "15 characters"),
    ]
    for args, said in cases:
        p = helpers.run([tracer] + args, timeout=30)
        assert p.returncode != 0 and said in p.stderr, helpers.describe(p)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_churn(tracer, tmp_path):
    """200 short processes over a minute plus 5 long ones of different
    versions: every one accounted for with its exact calls of f(), nothing
    lost, the tracer's memory flat"""
    wl = os.path.join(helpers.WORKLOADS, "churn.py")
    long_ids = ["debian3.11", "pyenv3.9", "pyenv3.10", "pyenv3.12", "pyenv3.13"]
    longs = []
    for ident in long_ids:
        it, why = helpers.find_interp(ident)
        if it is None:
            assert not ident.startswith("debian"), why
            print("churn: without %s: %s" % (ident, why))
            continue
        longs.append(it)
    shorts = [it for it in longs if it.id in ("debian3.11", "pyenv3.10", "pyenv3.12")]
    trigger, stopfile = str(tmp_path / "go"), str(tmp_path / "stop")
    rec = tmp_path / "churn.trace"
    names = []
    running, tr, rss = [], None, []
    short_procs = []
    try:
        for k, it in enumerate(longs):
            names.append(TAG + "churn-L%d" % k)
            t = helpers.Spawned([named(it, tmp_path, names[-1]).python, wl, "0", trigger,
                                 stopfile], env=helpers.target_env())
            running.append(t)
        for t in running:
            assert t.err.wait_for("churn: ready", 30) is not None, t.describe()
        short_py = []
        for k, it in enumerate(shorts):
            names.append(TAG + "churn-S%d" % k)
            short_py.append(named(it, tmp_path, names[-1]).python)
        args = []
        for n in names:
            args += ["--comm", n]
        tr = start_all(tracer, [rec], args)
        open(trigger, "w").close()
        start = time.monotonic()
        for i in range(200):
            short_procs.append((i + 1, subprocess.Popen(
                [short_py[i % len(short_py)], wl, str(i + 1)], env=helpers.target_env(),
                stdout=subprocess.DEVNULL)))
            while time.monotonic() < start + 0.3 * (i + 1):
                time.sleep(0.05)
                if time.monotonic() > start + 5:
                    rss.append(rss_kib(tr.pid))
        for _, p in short_procs:
            assert p.wait(60) == 0
        open(stopfile, "w").close()
        for t in running:
            assert t.wait(60) == 0, t.describe()
        stop(tr, 300)
    finally:
        kill_all(*running, tr)
        for _, p in short_procs:
            if p.poll() is None:
                p.kill()
    err = tr.err.text()
    n = len(longs) + 200
    assert "tracer: %d processes traced (%d exited during the session)" % (n, n) in err, err
    out = tmp_path / "churn.json"
    p = helpers.run([tracer, "report", str(rec), "-o", str(out)], timeout=300)
    assert p.returncode == 0, helpers.describe(p)
    chrome = helpers.Chrome(out)
    assert chrome.counter("lost") == 0, chrome.other.get("lost")
    f_calls = {}
    for c in chrome.in_files([wl]):
        if c["name"] == "f":
            f_calls[c["pid"]] = f_calls.get(c["pid"], 0) + 1
    wrong = [(p.pid, want, f_calls.get(p.pid)) for want, p in short_procs
             if f_calls.get(p.pid) != want]
    for t in running:
        line = t.out.wait_for("calls:", 0)
        want = int(line.split()[1])
        if f_calls.get(t.pid) != want:
            wrong.append((t.pid, want, f_calls.get(t.pid)))
    assert not wrong, "(pid, f() calls, traced) %r" % wrong[:10]
    # memory flat: what it grew by over the last 50 s, against the first sample
    grown = max(rss) - rss[0]
    print("churn: tracer RSS %d KiB at 5 s, max %d KiB, %d samples" % (rss[0], max(rss), len(rss)))
    assert grown < 16 * 1024, "the tracer grew by %d KiB under churn: %r" % (grown, rss[::20])
