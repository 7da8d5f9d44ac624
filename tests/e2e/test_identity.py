# SPDX-License-Identifier: MIT
"""A code object freed and replaced at the same address must never be
reported under its predecessor's identity (name, file, first line)."""
import os
import re

import helpers

WORKLOAD = os.path.join(helpers.HERE, "workloads", "reuse_code.py")


def test_reused_code_addresses_keep_true_identity(tracer, interp, tmp_path):
    out = tmp_path / "t.json"
    r = helpers.run([tracer, "-o", str(out)] + interp.tracer_args + ["--", interp.python, WORKLOAD], timeout=120)
    assert r.returncode == 0, r.stderr
    reused = int(re.search(r"reused (\d+)", r.stdout).group(1))
    assert reused > 0, "no code address was reused: the test proves nothing"
    calls = [e for e in helpers.Chrome(out).calls if re.match(r"f\d+$", e["name"])]
    assert len(calls) == 400
    assert len({e["name"] for e in calls}) == 400
    # f<i> was compiled in /reuse/file_<i % 7>.py at line 1
    stale = [e for e in calls
             if e["args"]["file"] != "/reuse/file_%d.py" % (int(e["name"][1:]) % 7)
             or e["args"]["line"] != 1]
    assert not stale, "stale identities: %r" % stale[:3]
