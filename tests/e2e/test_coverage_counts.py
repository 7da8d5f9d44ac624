# SPDX-License-Identifier: MIT
"""Calls counted inside the process (issue 5's speed goal, 3.12+): when a
launched 3.12+ session writes only coverage maps, the bootstrap counts the
calls with sys.monitoring PY_START/PY_RESUME/PY_THROW and hands the counts
over (every 65,536 calls and at exit); no call is probed. FNDA must still
equal sys.setprofile's 'call' counts (cov_truth.py, a separate run), with
more calls than one hand-over, threads, generators sent and thrown into,
and deep recursion; and the same when a non-coverage output makes the
tracer probe the calls instead. A session cut before the process exits
says its counts are partial; `python -I` (which ignores the bootstrap) is
seen before tracing and gets the call probes."""
import os
import re

import pytest

import helpers
from test_coverage import (COV_DIR, TIMEOUT, check_cobertura, check_functions,  # noqa: F401
                           get_cov_truth, read_lcov, result_line, run_tracer, set_diff)

COUNTS = os.path.join(COV_DIR, "cov_counts.py")
INSIDE_RE = re.compile(r"calls counted in the process")


@pytest.mark.parametrize("ident", ["pyenv3.12", "pyenv3.13", "pyenv3.14"])
@pytest.mark.parametrize("how", ["inside", "probed"])
def test_counts_exact(tracer, get_interp, ident, how, get_cov_truth, tmp_path):
    it = get_interp(ident)
    t = get_cov_truth(it, COUNTS, files=[COUNTS])
    lcov, xml, other = tmp_path / "c.lcov", tmp_path / "c.xml", tmp_path / "c.folded"
    outs = [lcov, xml, "-"] + ([other] if how == "probed" else [])
    p = run_tracer(tracer, it, outs, args=[COUNTS], cwd=str(tmp_path))
    assert result_line(p.stdout) == result_line(t.stdout)
    recs = read_lcov(lcov)
    assert sorted(recs) == [COUNTS], set_diff("files", [COUNTS], recs)
    check_functions(recs[COUNTS], t, COUNTS)
    check_cobertura(xml, recs)
    calls = recs[COUNTS].counts()
    assert calls[(11, "tick")] == [160003], calls     # crosses the hand-over size twice
    said = bool(INSIDE_RE.search(p.stderr)) and bool(INSIDE_RE.search(p.stdout))
    assert said == (how == "inside"), helpers.describe(p)
    assert ("strategy none" in p.stderr) == (how == "inside"), p.stderr
    assert "partial" not in p.stdout, p.stdout


SLEEPER = """
import time
def f(x):
    return x * 2
for i in range(1000):
    f(i)
time.sleep(float(__import__("sys").argv[1]))
"""


def test_counts_partial_when_cut(tracer, get_interp, tmp_path):
    """-d ends the session while the process still runs: the counts not
    handed over yet are missing, and the summary says so"""
    it = get_interp("pyenv3.12")
    script = tmp_path / "sleeper.py"
    script.write_text(SLEEPER)
    lcov = tmp_path / "c.lcov"
    p = run_tracer(tracer, it, [lcov, "-"], options=["-d", "1.5"], args=[str(script), "4"],
                   cwd=str(tmp_path))
    assert re.search(r"call counts partial: the process had not exited", p.stdout), p.stdout
    # and an uncut session of the same program is not partial, with every call
    p = run_tracer(tracer, it, [lcov, "-"], args=[str(script), "0"], cwd=str(tmp_path))
    assert "partial" not in p.stdout, p.stdout
    assert read_lcov(lcov)[str(script)].counts()[(3, "f")] == [1000]


@pytest.mark.parametrize("flag", ["-I", "-E", "-sS"])
def test_flags_that_skip_the_bootstrap(tracer, get_interp, flag, get_cov_truth, tmp_path):
    """the interpreter will not import the bootstrap: the tracer says so
    before tracing and probes the calls (exact counts, functions only)"""
    it = get_interp("pyenv3.12")
    t = get_cov_truth(it, COUNTS, files=[COUNTS])
    lcov = tmp_path / "c.lcov"
    cmd = [tracer, "-o", str(lcov), "-o", "-", "--", it.python, flag, COUNTS]
    p = helpers.run(cmd, timeout=TIMEOUT, env=helpers.target_env(), cwd=str(tmp_path))
    assert p.returncode == 0, helpers.describe(p)
    assert re.search(r"functions only: python -%s ignores the bootstrap" % flag[-1],
                     p.stderr), p.stderr
    assert "strategy none" not in p.stderr
    check_functions(read_lcov(lcov)[COUNTS], t, COUNTS)
