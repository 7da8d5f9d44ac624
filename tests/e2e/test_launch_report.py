# SPDX-License-Identifier: MIT
"""What a session says about the launched program itself: file names as
the outputs show them (lexically normalized: model/path_norm.c), and how
it ended (the tracer is its parent: the wait status, in the summary, the
.json's process list and a recording's report). One launched session
checked by several asserts, and one killed by a signal; Debian's 3.11 only:
the normalization and the launch are the tracer's own, the same for every
interpreter.

The script is started as DIR/sub/../w.py: Python keeps that name in
co_filename, the outputs must show DIR/w.py. It calls f five times and
exits with sys.exit(3)."""
import json
import os
import re

import pytest

import helpers

SCRIPT = """\
import sys
def f(n):
    return n + 1
for i in range(5):
    f(i)
sys.exit(3)
"""


@pytest.fixture(scope="module")
def launched(tracer, get_interp, tmp_path_factory):
    interp = get_interp("debian3.11")
    d = tmp_path_factory.mktemp("launch")
    (d / "sub").mkdir()
    (d / "w.py").write_text(SCRIPT)
    raw = "%s/sub/../w.py" % d
    out, rec = d / "o.json", d / "o.trace"
    r = helpers.run([tracer, "--top=0", "-o", str(out), "-o", str(rec), "-o", "-", "--",
                     interp.python, raw], timeout=120, env=helpers.target_env())
    report = helpers.run([tracer, "report", str(rec)], timeout=60)
    return {"dir": str(d), "raw": raw, "run": r, "json": str(out), "report": report,
            "events": helpers.read_chrome_array(out.read_text())}


def session_args(events):
    s = [e for e in events if e.get("name") == "tracer_session"]
    assert len(s) == 1, "no tracer_session event"
    return s[0]["args"]


def test_paths_normalized(launched):
    """the summary and the .json name DIR/w.py, never DIR/sub/../w.py"""
    r = launched["run"]
    want = os.path.join(launched["dir"], "w.py")
    assert "/sub/../" not in r.stdout, r.stdout
    rows = [l for l in r.stdout.splitlines() if re.search(r"\bf \(", l)]
    assert rows and rows[0].rstrip().endswith("f (%s:2)" % want), r.stdout
    files = {e["args"]["file"] for e in launched["events"]
             if e.get("ph") == "X" and e.get("cat") == "python" and e["name"] == "f"}
    assert files == {want}, files


END = re.compile(r"^  end: exit at \+\d+\.\d{3} s: (.*)$", re.M)


def test_launched_exit_code(launched):
    """exit code 3: the tracer exits with it, the summary, the .json's
    process and the recording's report say the process exited with it
    (not "running"), and f's calls all completed"""
    r, other = launched["run"], session_args(launched["events"])
    assert r.returncode == 3, r.stderr
    assert END.findall(r.stdout) == ["exit code 3"], r.stdout
    assert "running at the end" not in r.stdout
    procs = other["processes"]
    assert len(procs) == 1 and procs[0]["end"] == "exit", procs
    assert procs[0]["exit_code"] == 3 and "exit_signal" not in procs[0], procs
    assert other["exits"] == 1 and other["exit_code"] == 3, other
    # after its every call, before the session's end
    last_call = max(e["ts"] + e["dur"] for e in launched["events"] if e.get("ph") == "X")
    assert last_call * 1000 <= procs[0]["end_ts_ns"] <= other["last_ts_ns"], other
    calls = [e for e in launched["events"] if e.get("ph") == "X" and e["name"] == "f"]
    assert len(calls) == 5 and not any(e["args"].get("end_at_exit") for e in calls)
    rep = launched["report"]
    assert rep.returncode == 0 and END.findall(rep.stdout) == ["exit code 3"], \
        rep.stdout + rep.stderr


def test_launched_killed(tracer, get_interp, tmp_path):
    """killed by SIGKILL inside f: the signal is said, f is still running
    at the process's exit (ended there, flagged end_at_exit)"""
    interp = get_interp("debian3.11")
    out = tmp_path / "k.json"
    code = ("import os\n"
            "def f():\n"
            "    os.kill(os.getpid(), 9)\n"
            "f()\n")
    r = helpers.run([tracer, "-o", str(out), "-o", "-", "--", interp.python, "-c", code],
                    timeout=120, env=helpers.target_env())
    assert r.returncode == 128 + 9, r.stderr
    assert END.findall(r.stdout) == ["killed by signal 9 (SIGKILL)"], r.stdout
    events = helpers.read_chrome_array(out.read_text())
    procs = session_args(events)["processes"]
    assert len(procs) == 1 and procs[0]["end"] == "exit", procs
    assert procs[0]["exit_signal"] == 9 and procs[0]["exit_signal_name"] == "SIGKILL"
    assert procs[0]["core_dumped"] is False and "exit_code" not in procs[0], procs
    f = [e for e in events if e.get("ph") == "X" and e["name"] == "f"]
    assert len(f) == 1 and f[0]["args"].get("end_at_exit") is True, f
