# SPDX-License-Identifier: MIT
"""Errors: one line on stderr, a non-zero exit (not a crash), nothing else
harmed. And the launched command's exit status comes back."""
import glob
import os
import signal
import subprocess
import time

import pytest

import helpers


def assert_refused(p, *words):
    """non-zero exit by exit(), one non-empty line on stderr, no crash"""
    assert p.returncode > 0, "exit %s (expected a non-zero exit, not a signal)\n%s" % (
        p.returncode, helpers.describe(p))
    assert p.returncode < 128, helpers.describe(p)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, "expected one line on stderr\n" + helpers.describe(p)
    low = lines[0].lower()
    for bad in ("traceback", "segmentation", "sanitizer", "core dumped", "assert"):
        assert bad not in low, helpers.describe(p)
    for w in words:
        assert w.lower() in low, "stderr should mention %r\n%s" % (w, helpers.describe(p))


def free_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists("/proc/%d" % pid):
        pid -= 1
    return pid


def test_attach_nonexistent_pid(tracer, tmp_path):
    pid = free_pid()
    p = helpers.run([tracer, "-p", str(pid), "-o", str(tmp_path / "t.json")], timeout=30)
    assert_refused(p, str(pid))


def test_attach_not_python(tracer, tmp_path):
    s = subprocess.Popen(["sleep", "100"])
    try:
        time.sleep(0.1)
        p = helpers.run([tracer, "-p", str(s.pid), "-o", str(tmp_path / "t.json")],
                        timeout=30)
        assert_refused(p)
        assert s.poll() is None, "the non-Python target was harmed"
    finally:
        s.kill()
        s.wait()


@pytest.mark.parametrize("cmd", ["no-such-command-e2e", "/nonexistent/bin/cmd"])
def test_command_not_found(tracer, tmp_path, cmd):
    p = helpers.run([tracer, "-o", str(tmp_path / "t.json"), "--", cmd], timeout=30)
    assert_refused(p, cmd)


def test_output_not_writable(tracer, get_interp, tmp_path):
    py = get_interp("debian3.11").python
    p = helpers.run([tracer, "-o", "/nonexistent/dir/x.json", "--", py, "-c", "pass"],
                    timeout=60)
    assert_refused(p, "/nonexistent/dir/x.json")


def test_output_not_writable_checked_before_launch(tracer, get_interp, tmp_path):
    """the command must not run when its trace cannot be written"""
    py = get_interp("debian3.11").python
    marker = tmp_path / "ran"
    p = helpers.run([tracer, "-o", "/nonexistent/dir/x.trace", "--", py, "-c",
                     "open(%r, 'w').close()" % str(marker)], timeout=60)
    assert p.returncode != 0, helpers.describe(p)
    assert not marker.exists(), "the command ran although the output cannot be written"


def test_unknown_output_format(tracer, get_interp, tmp_path):
    py = get_interp("debian3.11").python
    p = helpers.run([tracer, "-o", str(tmp_path / "x.unknownfmt"), "--", py, "-c", "pass"],
                    timeout=60)
    assert_refused(p)


@pytest.mark.parametrize("ident", sorted(helpers.REFUSED))
def test_unsupported_version_launch(tracer, get_interp, ident, tmp_path):
    it = get_interp(ident)
    marker = tmp_path / "ran"
    p = helpers.run([tracer, "-o", str(tmp_path / "t.json"), "--", it.python, "-c",
                     "open(%r, 'w').close()" % str(marker)], timeout=60)
    assert_refused(p)
    assert "%d.%d" % it.version in p.stderr, "the message should name the version\n" + helpers.describe(p)


@pytest.mark.parametrize("ident", sorted(helpers.REFUSED))
def test_unsupported_attach(tracer, get_interp, ident, tmp_path):
    """3.6, 3.7: refused, and the target is unharmed"""
    it = get_interp(ident)
    wl = helpers.WORKLOAD_BY_NAME["multifile"]
    target = helpers.Target(it, wl, tmp_path)
    try:
        target.wait_ready()
        p = helpers.run([tracer, "-p", str(target.pid), "-o", str(tmp_path / "t.json")],
                        timeout=60)
        assert_refused(p)
        assert target.proc.poll() is None
        target.fire()
        assert target.wait(30) == 0, target.describe()
        assert target.out.wait_for("result:", 5)
    finally:
        target.kill()


@pytest.mark.parametrize("ident", ["pyenv3.12", "pyenv3.13"])
def test_eval_attach_needs_trampoline(tracer, get_interp, ident, tmp_path):
    """--strategy=eval on 3.12+ started without -X perf: refused, saying how"""
    it = get_interp(ident)
    target = helpers.Target(it, helpers.WORKLOAD_BY_NAME["multifile"], tmp_path)
    try:
        target.wait_ready()
        p = helpers.run([tracer, "-p", str(target.pid), "--strategy", "eval", "-o",
                         str(tmp_path / "t.json")], timeout=60)
        assert_refused(p)
        assert "perf" in p.stderr, "the message should say how (-X perf)\n" + helpers.describe(p)
        assert target.proc.poll() is None
    finally:
        target.kill()


def test_exit_status_propagated(tracer, interp, tmp_path):
    p = helpers.run([tracer, "-o", str(tmp_path / "t.json"), "--", interp.python, "-c",
                     "import sys; sys.exit(7)"], timeout=60, env=helpers.target_env())
    assert p.returncode == 7, helpers.describe(p)
    p = helpers.run([tracer, "-o", str(tmp_path / "t.json"), "--", interp.python, "-c",
                     "pass"], timeout=60, env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)


def test_command_arguments_and_stdio_passed(tracer, get_interp, tmp_path):
    py = get_interp("debian3.11").python
    p = helpers.run([tracer, "-o", str(tmp_path / "t.json"), "--", py, "-c",
                     "import sys; print(sys.argv[1:]); print(sys.stdin.read().upper())",
                     "a b", "-o", "--"], input=b"hello", timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    assert p.stdout.splitlines()[:2] == ["['a b', '-o', '--']", "HELLO"], helpers.describe(p)


@pytest.mark.parametrize("args", [[], ["-p"], ["-p", "notapid"], ["-d", "x", "--", "true"],
                                  ["--no-such-option"], ["-o"]])
def test_bad_usage(tracer, args):
    p = helpers.run([tracer] + args, timeout=30)
    assert p.returncode > 0 and p.returncode < 128, helpers.describe(p)
    assert p.stderr.strip(), helpers.describe(p)


def test_wall_lines_refused_before_anything_runs(tracer, tmp_path):
    """--wall --lines: the wall sampler with line tables is more than the
    verifier takes; refused at once with what to use instead, nothing run,
    no output left (not a verifier log)"""
    out = tmp_path / "w.folded"
    p = helpers.run([tracer, "--wall", "--lines", "-o", str(out), "--", "/bin/sh", "-c",
                     "touch %s" % (tmp_path / "ran")], timeout=30)
    assert p.returncode > 0 and p.returncode < 128, helpers.describe(p)
    assert "--lines with --wall" in p.stderr and "--sample --lines" in p.stderr, \
        helpers.describe(p)
    assert "PROG LOAD LOG" not in p.stderr, helpers.describe(p)
    assert not out.exists() and not (tmp_path / "ran").exists()


def test_report_missing_file(tracer, tmp_path):
    p = helpers.run([tracer, "report", str(tmp_path / "none.trace")], timeout=30)
    assert_refused(p)


def test_report_not_a_recording(tracer, tmp_path):
    f = tmp_path / "junk.trace"
    f.write_bytes(b"this is not a recording\n" * 10)
    p = helpers.run([tracer, "report", str(f), "-o", str(tmp_path / "r.json")], timeout=30)
    assert_refused(p)


@pytest.mark.parametrize("ident,strategy,said", [
    ("debian3.11", "eval", "those calls would be missed (use dispatch, the default here, or usdt)"),
    ("pyenv3.11", "eval", "those calls would be missed (use dispatch)"),
    ("pyenv3.10", "dispatch", "on 3.10 eval (the default) is exact"),
])
def test_strategy_the_version_cannot_use_refused(tracer, get_interp, ident, strategy, said,
                                                  tmp_path):
    """a forced strategy that cannot be exact on that version: refused, saying why"""
    py = get_interp(ident).python
    p = helpers.run([tracer, "--strategy", strategy, "-o", str(tmp_path / "t.json"), "--",
                     py, "-c", "pass"], timeout=60)
    assert_refused(p)
    assert ("--strategy=%s: " % strategy) in p.stderr and said in p.stderr, helpers.describe(p)


def test_attach_kernel_thread(tracer, tmp_path):
    """a kernel thread has no program: said so, not `no process`"""
    with open("/proc/2/comm") as f:
        if f.read().strip() != "kthreadd":
            pytest.skip("PID 2 is not kthreadd here")
    p = helpers.run([tracer, "-p", "2", "-o", str(tmp_path / "t.json")], timeout=30)
    assert_refused(p, "PID 2", "kernel thread")


# interpreters that are no supported CPython, and what the tracer must say
OTHER_PYTHONS = [
    ("pypy3", "/usr/bin/pypy3", "PyPy is not supported (yet)"),
    ("python2", os.path.join(helpers.PYENV_ROOT, "versions", "2.7.18", "bin", "python2"),
     "Python 2 is not supported"),
    ("cpython3.6", os.path.join(helpers.PYENV_ROOT, "versions", "3.6.15", "bin", "python3"),
     "CPython 3.6 is not supported (3.8 to 3."),
    # a free-threaded build (./configure --disable-gil), installed by hand
    # like 3.14.7 (docs/testing.md): told by its _Py_DebugOffsets; exact
    # tracing refused (sampling it: test_free_threaded.py)
    ("cpython3.14t", (sorted(glob.glob(os.path.join(helpers.PYENV_ROOT, "versions", "3.14.*t",
                                                    "bin", "python3.14")))
                      or ["3.14t: no build under $PYENV_ROOT/versions/3.14.*t"])[-1],
     "a free-threaded CPython build (Py_GIL_DISABLED, told by _Py_DebugOffsets.free_threaded):"
     " exact tracing is not supported there"),
]


def _other_python(path):
    if not os.access(path, os.X_OK):
        why = "%s not installed (pypy3: tools/install-deps.sh; the pyenv builds: by hand)" % path
        print("skipping: " + why)
        pytest.skip(why)


def _nothing_left(tmp_path, name):
    left = [f for f in os.listdir(str(tmp_path)) if f.startswith(name)]
    assert not left, "a refused session left %r" % left


@pytest.mark.parametrize("ident,python,said", OTHER_PYTHONS, ids=[o[0] for o in OTHER_PYTHONS])
def test_other_python_refused_launch(tracer, tmp_path, ident, python, said):
    """said as what it is (not "exited without running a Python
    interpreter"), before tracing; no output file, not even a partial one"""
    _other_python(python)
    p = helpers.run([tracer, "-o", str(tmp_path / "t.json"), "--", python, "-c", "pass"],
                    timeout=60)
    assert_refused(p, said)
    _nothing_left(tmp_path, "t.json")


@pytest.mark.parametrize("ident,python,said", OTHER_PYTHONS, ids=[o[0] for o in OTHER_PYTHONS])
def test_other_python_refused_attach(tracer, tmp_path, ident, python, said):
    """-p of a running one: refused with the reason, the target unharmed,
    nothing written"""
    _other_python(python)
    s = helpers.Spawned([python, "-c", "import sys, time\nsys.stdout.write('ready\\n')\n"
                         "sys.stdout.flush()\nfor i in range(600): time.sleep(0.1)"])
    try:
        # past its start (its libraries mapped): it runs Python code
        assert s.out.wait_for("ready", 30), s.describe()
        p = helpers.run([tracer, "-p", str(s.pid), "-o", str(tmp_path / "x.json")],
                        timeout=60)
        assert_refused(p, said, "PID %d" % s.pid)
        _nothing_left(tmp_path, "x.json")
        assert s.proc.poll() is None, "the target was harmed"
    finally:
        s.kill()
