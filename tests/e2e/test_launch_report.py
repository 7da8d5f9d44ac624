# SPDX-License-Identifier: MIT
"""What a session says about the launched program itself: file names as
the outputs show them (lexically normalized: model/path_norm.c). One
launched session (Debian's 3.11: the normalization and the launch are the
tracer's own, the same for every interpreter) checked by several asserts.

The script is started as DIR/sub/../w.py: Python keeps that name in
co_filename, the outputs must show DIR/w.py."""
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
    out = d / "o.json"
    r = helpers.run([tracer, "--top=0", "-o", str(out), "-o", "-", "--", interp.python, raw],
                    timeout=120, env=helpers.target_env())
    return {"dir": str(d), "raw": raw, "run": r, "json": str(out),
            "events": helpers.read_chrome_array(out.read_text())}


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
