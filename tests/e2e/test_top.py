# SPDX-License-Identifier: MIT
"""`tracer top -p PID` driven in a real terminal (tmux: send-keys,
capture-pane): the workload's hot function comes first, keys re-sort, q
ends it with status 0 and the terminal is as it was (stty settings, the
normal screen); Ctrl-C the same. The target runs as nobody (hostile.py)."""
import os
import time

import pytest

import helpers
import hostile
import terminal
from terminal import tmux

WORKLOAD = os.path.join(helpers.WORKLOADS, "hot_loop.py")


def screen(session):
    return terminal.screen(session).splitlines()


def wait_screen(session, pred, timeout):
    deadline = time.monotonic() + timeout
    while True:
        lines = screen(session)
        if pred(lines):
            return lines
        if time.monotonic() > deadline:
            raise helpers.Failed("screen never showed what was waited for:\n" +
                                 "\n".join(lines))
        time.sleep(0.2)


def rows(lines):
    """the table's rows: (self %, total %, function)"""
    out = []
    for l in lines:
        parts = l.split(None, 4)
        if len(parts) == 5 and parts[0].replace(".", "").isdigit():
            out.append((float(parts[0]), float(parts[1]), parts[4]))
    return out


@pytest.fixture
def tmux_session():
    yield from terminal.session("tracer-top", 150, 40)


@pytest.mark.parametrize("quit_key", ["q", "C-c"])
def test_top_shows_the_hot_function_and_quits_cleanly(tracer, tmux_session, nobody_dir,
                                                      quit_key):
    script = os.path.join(nobody_dir, "hot_loop.py")
    with open(WORKLOAD) as f:
        hostile.write_as_nobody(script, f.read())
    target = hostile.HostileTarget(helpers.DEBIAN_PY, script, nobody_dir)
    target.wait_ready()
    before, after = os.path.join(nobody_dir, "stty-before"), os.path.join(nobody_dir, "stty-after")
    try:
        tmux("send-keys", "-t", tmux_session, "clear; echo MARK-BEFORE; stty -g > %s; %s top -p %d;"
             " echo EXIT=$?; stty -g > %s" % (before, tracer, target.pid, after), "Enter")
        # the BPF object loads first (seconds on a busy machine)
        lines = wait_screen(tmux_session, lambda ls: len(rows(ls)) >= 2 and any(
            "CPU samples" in l for l in ls) and rows(ls)[0][0] > 50, 90)
        assert lines[0].startswith("tracer top: PID %d" % target.pid), lines
        assert "sorted by self" in lines[0]
        assert not any("MARK-BEFORE" in l for l in lines)    # the alternate screen
        top = rows(lines)
        assert [r[0] for r in top] == sorted((r[0] for r in top), reverse=True)
        assert top[0][2].startswith("hot_spin (%s:" % script), lines
        # t: by total samples: <module> is on every stack
        tmux("send-keys", "-t", tmux_session, "t")
        lines = wait_screen(tmux_session, lambda ls: "sorted by total" in ls[0], 10)
        by_total = rows(lines)
        assert [r[1] for r in by_total] == sorted((r[1] for r in by_total), reverse=True)
        # <module> is on every stack (ties go by self: hot_spin may share the top)
        assert by_total[0][1] == 100.0
        assert any(r[2].startswith("<module> (%s:" % script) and r[1] == 100.0
                   for r in by_total), lines
        tmux("send-keys", "-t", tmux_session, quit_key)
        lines = wait_screen(tmux_session, lambda ls: any(l.startswith("EXIT=") for l in ls), 30)
    finally:
        target.kill()
    assert "EXIT=0" in lines, lines
    # the normal screen is back, with what was on it, and the settings too
    assert any("MARK-BEFORE" in l for l in lines), lines
    time.sleep(0.5)
    with open(before) as f1, open(after) as f2:
        assert f1.read() == f2.read()


def test_top_needs_a_terminal(tracer):
    r = helpers.run([tracer, "top", "-p", str(os.getpid())], timeout=30)
    assert r.returncode == 1
    assert "needs a terminal" in r.stderr
