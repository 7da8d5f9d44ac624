# SPDX-License-Identifier: MIT
"""tools/check-layers.py: passes on the tree as it is, and fails on a copy
of it where a file includes a layer above its own (or leaves out the
folder, or touches the skeleton outside capture/)."""
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(REPO, "tools", "check-layers.py")


def run_check(root):
    return subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)


@pytest.fixture
def tree(tmp_path):
    shutil.copytree(os.path.join(REPO, "user"), str(tmp_path / "user"))
    return tmp_path


def plant(tree, rel, line):
    path = tree / "user" / rel
    text = path.read_text()
    path.write_text(line + "\n" + text)


def test_tree_passes():
    p = run_check(REPO)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 violations" in p.stdout


def test_copy_passes(tree):
    p = run_check(str(tree))
    assert p.returncode == 0, p.stdout


@pytest.mark.parametrize("rel,line,said", [
    ("util/hashmap.c", '#include "capture/session.h"', "util/ includes capture/session.h"),
    ("os/elf_file.c", '#include "cpython/binary.h"', "os/ includes cpython/binary.h"),
    ("model/func_table.c", '#include "analysis/analyzer.h"', "model/ includes analysis/analyzer.h"),
    ("output/folded.c", '#include "capture/target.h"', "output/ includes capture/target.h"),
    ("record/rec_reader.c", '#include "output/sinks.h"', "record/ includes output/sinks.h"),
    ("analysis/analyzer.c", '#include "record/recording.h"', "analysis/ includes record/recording.h"),
    ("output/svg.c", '#include "hashmap.h"', "without its folder"),
    ("output/pprof.c", '#include "tracer.skel.h"', "the BPF skeleton outside capture/"),
])
def test_upward_include_fails(tree, rel, line, said):
    plant(tree, rel, line)
    p = run_check(str(tree))
    assert p.returncode == 1, p.stdout
    assert said in p.stdout, p.stdout
    assert "1 violations" in p.stdout, p.stdout
