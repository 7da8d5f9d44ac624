# SPDX-License-Identifier: MIT
"""The status line of a -p session on a terminal (tmux): events/s, lost,
elapsed, redrawn while tracing, erased at the end; none when the target
writes to the same terminal (its output would be mangled) or when stderr
is not a terminal."""
import re
import time

import pytest

import helpers
import terminal
from terminal import tmux

LOOP = r'''
import sys, time
def work():
    return sum(range(200))
sys.stderr.write("ready\n"); sys.stderr.flush()
end = time.time() + 60
while time.time() < end:
    work()
    time.sleep(0.001)
'''


@pytest.fixture
def tmux_session():
    yield from terminal.session("tracer-status", 200, 30)


def test_status_line_while_attached(tracer, tmux_session, tmp_path):
    w = tmp_path / "loop.py"
    w.write_text(LOOP)
    target = helpers.Spawned([helpers.DEBIAN_PY, str(w)], env=helpers.target_env())
    try:
        assert target.err.wait_for("ready", 30)
        tmux("send-keys", "-t", tmux_session,
             "%s -p %d -d 6 -o %s; echo EXIT=$?" % (tracer, target.pid, tmp_path / "t.json"),
             "Enter")
        seen = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            screen = terminal.screen(tmux_session)
            lines = [l for l in screen.splitlines() if "events/s" in l]
            if lines:
                seen = lines[-1]
            if re.search(r"^EXIT=\d", screen, re.M):
                break
            time.sleep(0.3)
    finally:
        target.kill()
    assert seen and seen.startswith("tracer: ") and " lost; Ctrl-C to stop" in seen, screen
    rate = float(seen.split(", ")[1].split()[0])
    assert rate > 0, seen
    assert re.search(r"^EXIT=0$", screen, re.M), screen
    # erased at the end: no status line left on the screen
    assert not any("events/s" in l for l in screen.splitlines()), screen


def test_no_status_line_when_not_a_terminal(tracer, tmp_path):
    w = tmp_path / "loop.py"
    w.write_text(LOOP)
    target = helpers.Spawned([helpers.DEBIAN_PY, str(w)], env=helpers.target_env())
    try:
        assert target.err.wait_for("ready", 30)
        r = helpers.run([tracer, "-p", str(target.pid), "-d", "2"], timeout=120)
    finally:
        target.kill()
    assert r.returncode == 0, r.stderr
    assert "events/s" not in r.stderr and "\r" not in r.stderr
