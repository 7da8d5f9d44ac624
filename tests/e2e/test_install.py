# SPDX-License-Identifier: MIT
"""`make install` into a staging directory: the binary runs and says its
version and commit, the man page renders cleanly and describes every option
of --help, bash completion completes options, strategies, subcommands and
Python PIDs, and `make uninstall` removes it all."""
import os
import re
import shutil
import subprocess

import pytest

import helpers

FILES = {
    "usr/local/bin/tracer": 0o755,
    "usr/local/share/man/man1/tracer.1": 0o644,
    "usr/local/share/bash-completion/completions/tracer": 0o644,
    "usr/local/share/zsh/site-functions/_tracer": 0o644,
}


@pytest.fixture(scope="module")
def staged(tmp_path_factory, tracer):
    dest = str(tmp_path_factory.mktemp("install"))
    p = helpers.run(["make", "-C", helpers.REPO, "install", "DESTDIR=" + dest,
                     "PREFIX=/usr/local"], timeout=300)
    assert p.returncode == 0, helpers.describe(p)
    return dest


def long_options(tracer):
    p = helpers.run([tracer, "--help"])
    return sorted(set(re.findall(r"^\s+(?:-\S, )?(--[a-z][a-z-]*)", p.stdout, re.M)))


def test_files_installed(staged):
    for rel, mode in FILES.items():
        path = os.path.join(staged, rel)
        assert os.path.isfile(path), rel
        assert os.stat(path).st_mode & 0o777 == mode, rel


def test_version_and_commit(staged):
    p = helpers.run([os.path.join(staged, "usr/local/bin/tracer"), "--version"])
    assert p.returncode == 0, helpers.describe(p)
    head = subprocess.run(["git", "-C", helpers.REPO, "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    m = re.match(r"^tracer (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12})(-dirty)?\)$", p.stdout.strip())
    assert m, p.stdout
    assert m.group(2) == head, (p.stdout, head)


def test_man_page(staged, tracer):
    page = os.path.join(staged, "usr/local/share/man/man1/tracer.1")
    g = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True)
    assert g.returncode == 0 and not g.stderr, g.stderr
    env = dict(os.environ, MANWIDTH="100")
    env.pop("MAN_KEEP_FORMATTING", None)
    m = subprocess.run(["man", "-l", page], capture_output=True, text=True, env=env)
    assert m.returncode == 0, m.stderr
    text = m.stdout.replace("\u2010", "-").replace("\u2212", "-")
    assert "tracer - exact call tracing" in text
    opts = long_options(tracer)
    assert len(opts) >= 15, opts
    missing = [o for o in opts if o not in text]
    assert not missing, "options of --help the man page does not describe: %s" % missing


def complete(staged, line):
    """COMPREPLY for the command line LINE (the cursor at its end)"""
    script = os.path.join(staged, "usr/local/share/bash-completion/completions/tracer")
    words = line.split(" ")
    prog = ("source %s; COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE='%s'; COMP_POINT=%d; "
            "_tracer; printf '%%s\\n' \"${COMPREPLY[@]}\""
            % (script, " ".join("'%s'" % w for w in words), len(words) - 1, line, len(line)))
    p = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return [w for w in p.stdout.split("\n") if w]


def test_bash_completion(staged, tracer):
    assert set(complete(staged, "tracer --sam")) == {"--sample", "--sample="}
    assert complete(staged, "tracer -s ") == ["usdt", "dispatch", "eval"]
    assert complete(staged, "tracer rep") == ["report"]
    # every long option of --help is offered
    offered = complete(staged, "tracer --")
    for o in long_options(tracer):
        assert o in offered or o + "=" in offered, (o, offered)
    # -p offers running Python processes
    t = helpers.Spawned([helpers.DEBIAN_PY, "-c", "import time; time.sleep(30)"])
    try:
        assert str(t.pid) in complete(staged, "tracer -p ")
    finally:
        t.kill()


def test_zsh_completion_parses(staged):
    if not shutil.which("zsh"):
        print("skipping: zsh is not installed")
        pytest.skip("zsh is not installed")
    script = os.path.join(staged, "usr/local/share/zsh/site-functions/_tracer")
    p = subprocess.run(["zsh", "-n", script], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_uninstall(tmp_path, tracer):
    dest = str(tmp_path)
    for target in ("install", "uninstall"):
        p = helpers.run(["make", "-C", helpers.REPO, target, "DESTDIR=" + dest,
                         "PREFIX=/usr/local"], timeout=300)
        assert p.returncode == 0, helpers.describe(p)
    left = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs]
    assert not left, left
