# SPDX-License-Identifier: MIT
"""Hostile targets: processes of an unprivileged user (`nobody`) that the
tracer, running as root, attaches to. A test of the trust model
(SECURITY.md) starts its target with as_nobody(), in a directory that user
owns (the `nobody_dir` fixture), and asserts that nothing ran, was read or
was written as root on the target's behalf."""
import os
import shutil
import tempfile

import helpers

NOBODY = 65534
SETPRIV = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]


def as_nobody(cmd):
    """CMD run as nobody:nogroup, with no supplementary groups"""
    return SETPRIV + list(cmd)


def make_nobody_dir(prefix="tracer-hostile-"):
    """a new directory under /tmp owned by nobody (0755); the caller removes
    it (remove_dir). /tmp/pytest-of-root is root's 0700: nobody cannot
    reach a file there."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chown(d, NOBODY, NOBODY)
    os.chmod(d, 0o755)
    return d


def remove_dir(d):
    shutil.rmtree(d, ignore_errors=True)


def write_as_nobody(path, text, mode=0o644):
    """a file the hostile user owns"""
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, NOBODY, NOBODY)
    os.chmod(path, mode)


class HostileTarget(helpers.Spawned):
    """PYTHON SCRIPT run as nobody in DIRECTORY; ready once it printed
    READY_LINE on stderr."""

    def __init__(self, python, script, directory, args=(), env=None):
        e = helpers.target_env(env)
        e["HOME"] = directory
        cmd = as_nobody([python, script] + list(args))
        helpers.Spawned.__init__(self, cmd, env=e, cwd=directory)

    def wait_ready(self, line="ready", timeout=30):
        if self.err.wait_for(line, timeout) is None:
            self.kill()
            raise helpers.Failed("hostile target never became ready\n" + self.describe())
