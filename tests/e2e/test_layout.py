# SPDX-License-Identifier: MIT
"""`tracer layout`: the built-in CPython layouts and the 3.13 debug-offsets
reader, checked against the DWARF of the pyenv builds (read by gdb through
tools/derive-offsets.py, which does not use the tracer)."""
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACER = os.path.join(REPO, "build", "tracer")
DERIVE = os.path.join(REPO, "tools", "derive-offsets.py")
VERSIONS = os.path.join(os.environ.get("PYENV_ROOT", "/root/.pyenv"), "versions")
PY313 = os.path.join(VERSIONS, "3.13.0")
LIB313 = os.path.join(PY313, "lib", "libpython3.13.so.1.0")

need_tracer = pytest.mark.skipif(not os.access(TRACER, os.X_OK),
                                 reason="build/tracer does not exist (run make)")
need_gdb = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb is not installed")
need_builds = pytest.mark.skipif(
    not any(glob.glob(os.path.join(VERSIONS, "3.%d.*" % m, "lib", "libpython3.%d.so.1.0" % m))
            for m in range(8, 15)),
    reason="no pyenv CPython 3.8-3.14 build under %s" % VERSIONS)
need_313 = pytest.mark.skipif(not os.path.isfile(LIB313), reason="%s not present" % LIB313)


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=600)


def parse_lines(text):
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        assert sep, "bad line %r" % line
        out[k] = int(v, 0)
    return out


@need_tracer
@need_gdb
@need_builds
def test_layout_table_matches_dwarf():
    p = run(sys.executable, DERIVE, "--check", "--tracer", TRACER)
    assert p.returncode == 0, p.stdout + p.stderr
    assert " ok " in p.stdout


@need_tracer
@need_gdb
@need_313
def test_layout_from_binary_matches_dwarf():
    p = run(sys.executable, DERIVE, "--json", "--version", "3.13")
    assert p.returncode == 0, p.stderr
    dwarf = json.loads(p.stdout)["3.13"]
    dwarf.pop("build")
    t = run(TRACER, "layout", "--from-binary", LIB313)
    assert t.returncode == 0, t.stderr
    got = parse_lines(t.stdout)
    assert set(got) == set(dwarf)
    # the debug offsets carry the full PY_VERSION_HEX; ask the interpreter
    h = run(os.path.join(PY313, "bin", "python3.13"), "-c", "import sys; print(sys.hexversion)")
    if h.returncode == 0:
        assert got["version_hex"] == int(h.stdout)
    assert got.pop("version_hex") & 0xffff0000 == dwarf.pop("version_hex")
    assert got == dwarf


@need_tracer
def test_layout_unknown_version_fails():
    for v in ("3.7", "3.15", "2.7", "x"):
        p = run(TRACER, "layout", v)
        assert p.returncode == 1, v
        assert p.stdout == "" and p.stderr.strip(), v


@need_tracer
def test_layout_from_binary_rejects_312():
    lib = os.path.join(VERSIONS, "3.12.1", "lib", "libpython3.12.so.1.0")
    if not os.path.isfile(lib):
        pytest.skip("%s not present" % lib)
    p = run(TRACER, "layout", "--from-binary", lib)
    assert p.returncode == 1
    assert p.stdout == "" and "debug offsets" in p.stderr
