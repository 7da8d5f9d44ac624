# SPDX-License-Identifier: MIT
"""A real terminal for tests of what the tracer draws on one: a detached
tmux session (send-keys, capture-pane), killed at the end."""
import os
import shutil
import subprocess

import pytest


def tmux(*args):
    return subprocess.run(["tmux"] + list(args), check=True, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout


def screen(session):
    """the visible lines of SESSION's pane"""
    return tmux("capture-pane", "-p", "-t", session)


def session(prefix, width, height):
    """a generator for a pytest fixture: a new session's name, then killed"""
    if not shutil.which("tmux"):
        pytest.skip("tmux not installed (apt-get install tmux)")
    name = "%s-%d" % (prefix, os.getpid())
    tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
         "bash --norc --noprofile")
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name])
