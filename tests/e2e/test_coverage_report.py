# SPDX-License-Identifier: MIT
"""Coverage for CI: the terminal report (coverage.py's `report -m`) and
--fail-under.

- Debian 3.11 (lines measured): per file, Stmts = the lines that can report
  a line event, Miss = those settrace never saw run, Missing = the missed
  lines as ranges over those lines, and the TOTAL row their sums; all from
  the interpreter (cov_truth.py: settrace in a separate run), never from
  our own outputs. The same report from `tracer report REC --coverage`.
- a functions-only interpreter (pyenv 3.10): its files are marked (*) and
  the note says what the numbers are.
- --fail-under: exit status 2 and a line on stderr when the total is lower,
  0 when it is reached (live and `tracer report`); refused before tracing
  without a coverage output; a PCT that is not one refused.
- -o FILE.cov.txt writes the same report to a file."""
import os
import re

import pytest

import helpers
from cov_truth import cov_truth
from test_coverage import MAIN, MAIN_FILES

TIMEOUT = 180
ROW = re.compile(r"^(?P<name>.+?)(?P<star> \(\*\))?\s+(?P<stmts>\d+)\s+(?P<miss>\d+)\s+"
                 r"(?P<pct>\d+)%(?:\s{3}(?P<missing>.+))?$")


def parse_report(text):
    """-> ({name: row dict}, total row dict, the text after the table)"""
    lines = text.splitlines()
    head = [i for i, l in enumerate(lines) if re.match(r"^Name\s+Stmts\s+Miss\s+Cover\s+Missing$", l)]
    assert len(head) == 1, "no single report header in:\n" + text[-3000:]
    i = head[0]
    assert set(lines[i + 1]) == {"-"}, lines[i + 1]
    rows = {}
    i += 2
    while set(lines[i]) != {"-"}:
        m = ROW.match(lines[i])
        assert m, "not a report row: %r" % lines[i]
        rows[m.group("name")] = m.groupdict()
        i += 1
    m = ROW.match(lines[i + 1])
    assert m and m.group("name") == "TOTAL", lines[i + 1]
    return rows, m.groupdict(), "\n".join(lines[i + 2:])


def ranges(lines, missed):
    """coverage.py's ranges: runs of missed lines consecutive in LINES"""
    out, run = [], []
    for l in sorted(lines):
        if l in missed:
            run.append(l)
            continue
        if run:
            out.append(run)
            run = []
    if run:
        out.append(run)
    return ", ".join("%d" % r[0] if len(r) == 1 else "%d-%d" % (r[0], r[-1]) for r in out)


def shown_pct(hit, total):
    pc = 100.0 * hit / total if total else 100.0
    if 0 < pc < 1:
        return 1
    if 99 < pc < 100:
        return 99
    return int(pc + 0.5)


def tracer_run(tracer, interp, args, cwd, script=MAIN):
    cmd = [tracer] + list(args) + interp.tracer_args + ["--", interp.python, script]
    return helpers.run(cmd, timeout=TIMEOUT, env=helpers.target_env(), cwd=cwd)


@pytest.fixture(scope="module")
def debian_truth(get_interp, tmp_path_factory):
    it = get_interp("debian3.11")
    return it, cov_truth(it.python, MAIN, (), MAIN_FILES,
                         env=helpers.target_env(), tmpdir=tmp_path_factory.mktemp("truth"))


def check_against_truth(text, truth, cwd):
    rows, total, after = parse_report(text)
    assert len(rows) == len(MAIN_FILES), rows
    stmts = miss = 0
    for f in MAIN_FILES:
        name = os.path.relpath(f, cwd) if f.startswith(cwd + "/") else f
        assert name in rows, (name, sorted(rows))
        r = rows[name]
        rep, ran = truth.reportable[f], truth.ran_lines(f)
        missed = rep - ran
        assert not r["star"], r
        assert int(r["stmts"]) == len(rep), (f, r, sorted(rep))
        assert int(r["miss"]) == len(missed), (f, r, sorted(missed))
        assert int(r["pct"]) == shown_pct(len(rep) - len(missed), len(rep)), r
        assert (r["missing"] or "") == ranges(rep, missed), (f, r["missing"], sorted(missed))
        stmts += len(rep)
        miss += len(missed)
    assert (int(total["stmts"]), int(total["miss"])) == (stmts, miss), total
    assert int(total["pct"]) == shown_pct(stmts - miss, stmts)
    assert "(*)" not in after
    return 100.0 * (stmts - miss) / stmts


def test_report_lines(tracer, debian_truth, tmp_path):
    it, truth = debian_truth
    d = str(tmp_path)
    rec = os.path.join(d, "t.trace")
    p = tracer_run(tracer, it, ["-o", os.path.join(d, "c.lcov"), "-o", rec,
                                "-o", os.path.join(d, "c.cov.txt"), "-o", "-"], d)
    assert p.returncode == 0, helpers.describe(p)
    total = check_against_truth(p.stdout, truth, d)
    assert 0 < total < 100, "the workload should miss some lines: %.1f%%" % total
    # the same in a file
    with open(os.path.join(d, "c.cov.txt"), encoding="utf-8") as f:
        check_against_truth(f.read(), truth, d)
    # the recording, converted: the same report alone (no summary)
    r = helpers.run([tracer, "report", rec, "--coverage"], timeout=TIMEOUT, cwd=d)
    assert r.returncode == 0, helpers.describe(r)
    check_against_truth(r.stdout, truth, d)
    assert "events:" not in r.stdout, r.stdout[:2000]
    # --fail-under against the total: just above fails (2), at it passes
    r = helpers.run([tracer, "report", rec, "--coverage", "--fail-under=%.3f" % (total + 0.01)],
                    timeout=TIMEOUT, cwd=d)
    assert r.returncode == 2, helpers.describe(r)
    assert re.search(r"coverage failure: total of [\d.]+% .* is less than --fail-under", r.stderr), \
        r.stderr
    check_against_truth(r.stdout, truth, d)
    r = helpers.run([tracer, "report", rec, "-o", os.path.join(d, "r.xml"),
                     "--fail-under=%.3f" % (total - 0.01)], timeout=TIMEOUT, cwd=d)
    assert r.returncode == 0, helpers.describe(r)
    assert "coverage failure" not in r.stderr


def test_fail_under_live(tracer, debian_truth, tmp_path):
    it, truth = debian_truth
    d = str(tmp_path)
    p = tracer_run(tracer, it, ["-o", os.path.join(d, "c.xml"), "--fail-under=100"], d)
    assert p.returncode == 2, helpers.describe(p)
    assert "is less than --fail-under=100" in p.stderr, p.stderr
    assert os.path.exists(os.path.join(d, "c.xml")), "the output is written all the same"
    p = tracer_run(tracer, it, ["-o", os.path.join(d, "c.lcov"), "--fail-under=0"], d)
    assert p.returncode == 0, helpers.describe(p)
    # --coverage with -o -: the report on stdout, after the summary
    p = tracer_run(tracer, it, ["--coverage", "-o", "-"], d)
    assert p.returncode == 0, helpers.describe(p)
    check_against_truth(p.stdout, truth, d)


def test_fail_under_refused(tracer, get_interp, tmp_path):
    it = get_interp("debian3.11")
    d = str(tmp_path)
    p = tracer_run(tracer, it, ["-o", os.path.join(d, "t.json"), "--fail-under=50"], d)
    assert p.returncode == 1, helpers.describe(p)
    assert "--fail-under needs coverage" in p.stderr, p.stderr
    assert "tracing" not in p.stderr, "refused after tracing started:\n" + p.stderr
    assert not os.path.exists(os.path.join(d, "t.json"))
    for bad in ("abc", "101", "-1", "50x"):
        p = helpers.run([tracer, "--fail-under=" + bad, "-o", "x.lcov", "--", "true"],
                        timeout=30, cwd=d)
        assert p.returncode not in (0, 2), helpers.describe(p)
        assert "--fail-under" in p.stderr, p.stderr


def test_report_functions_only(tracer, get_interp, tmp_path):
    it = get_interp("pyenv3.10")
    d = str(tmp_path)
    p = tracer_run(tracer, it, ["-o", os.path.join(d, "c.lcov"), "-o", "-"], d)
    assert p.returncode == 0, helpers.describe(p)
    rows, total, after = parse_report(p.stdout)
    assert len(rows) == len(MAIN_FILES) and all(r["star"] for r in rows.values()), rows
    assert "(*) functions only (lines were not measured)" in after, after
