# SPDX-License-Identifier: MIT
"""`tracer dump -p PID`: every thread's stack, compared with what the
interpreter itself reports of the same threads at the same moment
(workloads/parked_threads.py: sys._current_frames and
traceback.extract_stack, written by the target). The target runs as
nobody (hostile.py)."""
import json
import os
import time

import pytest

import helpers
import hostile

INTERPS = ["debian3.11", "pyenv3.8", "pyenv3.9", "pyenv3.10", "pyenv3.11", "pyenv3.12",
           "pyenv3.13", "pyenv3.14"]
WORKLOAD = os.path.join(helpers.WORKLOADS, "parked_threads.py")


class RootTarget(helpers.Spawned):
    def __init__(self, python, script, directory, args):
        helpers.Spawned.__init__(self, [python, script] + args, env=helpers.target_env(),
                                 cwd=directory)

    def wait_ready(self):
        if self.err.wait_for("ready", 30) is None:
            self.kill()
            raise helpers.Failed("target never became ready\n" + self.describe())


def start_parked(interp, directory):
    """Debian's interpreter runs as nobody; pyenv's as root (nobody cannot
    reach /root/.pyenv)"""
    script = os.path.join(directory, "parked_threads.py")
    with open(WORKLOAD) as f:
        hostile.write_as_nobody(script, f.read())
    truth_path = os.path.join(directory, "truth.json")
    kind = hostile.HostileTarget if interp.kind == "debian" else RootTarget
    t = kind(interp.python, script, directory, args=[truth_path])
    t.wait_ready()
    # the reporter thread has ended: 4 threads left, all parked
    deadline = time.monotonic() + 10
    while len(os.listdir("/proc/%d/task" % t.pid)) != 4:
        if time.monotonic() > deadline:
            t.kill()
            raise helpers.Failed("the reporter thread never ended\n" + t.describe())
        time.sleep(0.05)
    with open(truth_path) as f:
        return t, json.load(f)


def expected_frames(interp, th):
    """innermost first, named as the tracer names functions: co_qualname
    from 3.11 (where code objects have one), co_name before"""
    key = "qualname" if interp.version >= (3, 11) else "name"
    return [(f[key], f["file"], f["line"]) for f in reversed(th["frames"])]


def by_name(got, name):
    return [th["tid"] for th in got["threads"] if th["name"] == name][0]


@pytest.mark.parametrize("ident", INTERPS)
def test_dump_matches_the_interpreter(tracer, get_interp, nobody_dir, ident):
    interp = get_interp(ident)
    target, truth = start_parked(interp, nobody_dir)
    try:
        t0 = time.monotonic()
        r = helpers.run([tracer, "dump", "-p", str(target.pid), "--json"], timeout=30)
        took = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        text = helpers.run([tracer, "dump", "-p", str(target.pid)], timeout=30)
        assert text.returncode == 0, text.stderr
        comm = {}
        for th in truth["threads"]:
            with open("/proc/%d/task/%d/comm" % (target.pid, th["native_id"])) as f:
                comm[th["native_id"]] = f.read().rstrip("\n")
    finally:
        target.kill()
    print("%s: dump --json took %.3f s" % (ident, took))
    assert got["pid"] == target.pid
    assert len(truth["threads"]) == 4
    by_ident = {th["ident"]: th for th in got["threads"]}
    assert len(got["threads"]) == 4, got
    for th in truth["threads"]:
        mine = by_ident.get(th["ident"])
        assert mine is not None, "thread %s (%s) missing" % (th["name"], th["ident"])
        assert mine["tid"] == th["native_id"]
        assert mine["os_name"] == comm[th["native_id"]]
        assert mine["name"] == th["name"]
        assert not mine["truncated"] and not mine["cut"]
        frames = [(f["name"], f["file"], f["line"]) for f in mine["frames"]]
        assert frames == expected_frames(interp, th), th["name"]
        # the text form: one line per frame, in the same order
        want = ["    %s (%s:%d)" % f for f in frames]
        lines = text.stdout.splitlines()
        head = [i for i, l in enumerate(lines) if l.startswith('Thread %d "' % mine["tid"])]
        assert len(head) == 1, text.stdout
        assert lines[head[0] + 1: head[0] + 1 + len(want)] == want
    # the target's text is escaped on a terminal: no raw ESC from a name
    assert "\x1b" not in text.stdout
    assert 'Thread %d "gamma\\x1b[31m-method" (' % by_name(got, "gamma\x1b[31m-method") \
        in text.stdout, text.stdout
    # the known functions are where they were parked
    inner = {th["name"]: [f["name"] for f in th["frames"][-3:]] for th in truth["threads"]}
    assert "wait_in_alpha" in inner["alpha renamed"]
    assert "beta_inner" in inner["beta \u00e9 worker"]
    assert "main_parked" in inner["MainThread"]


def test_dump_refuses_what_is_not_python(tracer):
    sleeper = helpers.Spawned(["sleep", "30"])
    try:
        r = helpers.run([tracer, "dump", "-p", str(sleeper.pid)], timeout=30)
    finally:
        sleeper.kill()
    assert r.returncode == 1
    assert "not a Python process" in r.stderr
    assert r.stdout == ""


def test_subcommands_are_not_launched(tracer):
    # `tracer dump` without -p is the subcommand's usage error, not a
    # program named dump launched and traced
    r = helpers.run([tracer, "dump"], timeout=30)
    assert r.returncode != 0
    assert r.stderr.startswith("tracer dump: which process? -p PID")
    r = helpers.run([tracer, "--no-such-option"], timeout=30)
    assert r.stderr.startswith("tracer: unrecognized option"), r.stderr
    assert tracer not in r.stderr
    r = helpers.run([tracer, "record", "--no-such-option"], timeout=30)
    assert r.stderr.startswith("tracer: unrecognized option"), r.stderr


DEEP = r'''
import sys, threading
sys.setrecursionlimit(20000)
park = threading.Event()
def down(n):
    if n == 0:
        sys.stderr.write("ready\n"); sys.stderr.flush()
        park.wait()
    else:
        down(n - 1)
down(5000)
'''


def test_dump_cuts_a_deep_stack_and_says_so(tracer, nobody_dir):
    script = os.path.join(nobody_dir, "deep.py")
    hostile.write_as_nobody(script, DEEP)
    target = hostile.HostileTarget(helpers.DEBIAN_PY, script, nobody_dir)
    target.wait_ready()
    try:
        r = helpers.run([tracer, "dump", "-p", str(target.pid), "--json"], timeout=60)
        text = helpers.run([tracer, "dump", "-p", str(target.pid)], timeout=60)
    finally:
        target.kill()
    assert r.returncode == 0, r.stderr
    (th,) = json.loads(r.stdout)["threads"]
    assert th["truncated"] and not th["cut"]
    names = [f["name"] for f in th["frames"]]
    assert len(names) == 4096
    assert names[:3] == ["Condition.wait", "Event.wait", "down"], names[:3]
    assert set(names[2:]) == {"down"}
    assert "[truncated: deeper than 4096 frames]" in text.stdout


# --locals: the frame layouts that differ: Debian's 3.11 (ints by ob_size,
# co_nlocalsplus at 76), 3.12 (ints by lv_tag; 3.13 is laid out the same)
# and 3.14 (_PyStackRef slots, tuples with a cached hash)
@pytest.mark.parametrize("ident", ["debian3.11", "pyenv3.12", "pyenv3.14"])
def test_dump_locals_match_the_interpreter(tracer, get_interp, nobody_dir, ident):
    """every frame's variables as the target's own f_locals gives them
    (workloads/parked_threads.py writes shown(value) for each), in --json
    and in the text form, escaped there"""
    interp = get_interp(ident)
    target, truth = start_parked(interp, nobody_dir)
    try:
        r = helpers.run([tracer, "dump", "-p", str(target.pid), "--json", "--locals"],
                        timeout=30)
        text = helpers.run([tracer, "dump", "-p", str(target.pid), "--locals"], timeout=30)
    finally:
        target.kill()
    assert r.returncode == 0 and text.returncode == 0, r.stderr + text.stderr
    got = {th["ident"]: th for th in json.loads(r.stdout)["threads"]}
    seen = set()
    for th in truth["threads"]:
        frames = got[th["ident"]]["frames"]
        assert len(frames) == len(th["frames"])
        for mine, want in zip(frames, reversed(th["frames"])):
            assert mine["locals"] is not None, "%s: locals unreadable" % mine["name"]
            assert {v["name"]: v["value"] for v in mine["locals"]} == want["locals"], \
                mine["name"]
            seen.update(want["locals"])
    # the known functions' variables were among them
    assert {"n", "big", "ratio", "flag", "nothing", "text", "items", "captured", "inner",
            "long_text", "neg", "tiny", "huge", "mapping", "self", "zero", "off"} <= seen
    lines = text.stdout.splitlines()
    assert "        text = \"caf\u00e9 'q'\\n\\x1b[31m\"" in lines, text.stdout
    assert "        big = %d" % (-(2 ** 70) + 5) in lines
    assert "        long_text = '%s'..." % ("x" * 64) in lines
    assert "\x1b" not in text.stdout


def test_dump_locals_refused_before_3_11(tracer, get_interp, nobody_dir):
    """3.8-3.10 frames are not read for locals: said, nothing printed"""
    interp = get_interp("pyenv3.10")
    target, _ = start_parked(interp, nobody_dir)
    try:
        r = helpers.run([tracer, "dump", "-p", str(target.pid), "--locals"], timeout=30)
    finally:
        target.kill()
    assert r.returncode == 1 and r.stdout == ""
    assert "--locals reads CPython 3.11-3.14 frames only" in r.stderr, r.stderr
