# SPDX-License-Identifier: MIT
"""-o cov.html: the coverage report as one self-contained HTML page, read
in headless Debian Chromium (node/html_check.js, Playwright):

- Debian 3.11, the coverage workload: per file, the rows marked "hit" are
  exactly the lines settrace saw run among those that can report a line
  event, "miss" the others of those, every other line unmarked; each row's
  text is the file's line as Python reads it; the files table gives the
  statements and missed lines and the percent as the terminal report
  rounds it. Ground truth: cov_truth.py (sys.settrace in a separate run).
  The same page from `tracer report` of the session's recording (the text
  travels in its code maps).
- a program whose text holds markup (<script>, &, quotes, a tab): shown as
  text, nothing runs, no request leaves the file.
The source is read by the code map program with the target's rights:
test_hostile_run.py checks that a root-only file reaches no output, this
page included. Debian 3.11 only: the page is written from the merged
coverage, the same for every interpreter (test_coverage.py checks that per
interpreter)."""
import json
import os

import pytest

import helpers
from cov_truth import cov_truth
from test_coverage import MAIN, MAIN_FILES
from test_coverage_report import shown_pct
from test_svg import CHROMIUM, NODE_DIR, browser_or_skip

TIMEOUT = 180


def browse(node, tmp_path, html):
    stem = os.path.basename(html)[:-5]
    spec = {"html": html, "screenshot": str(tmp_path / (stem + ".png")),
            "profile": str(tmp_path / ("chromium-profile-" + stem)), "chromium": CHROMIUM}
    spec_path = tmp_path / (stem + "-spec.json")
    spec_path.write_text(json.dumps(spec))
    p = helpers.run([node, os.path.join(NODE_DIR, "html_check.js"), str(spec_path)],
                    timeout=TIMEOUT, cwd=NODE_DIR)
    assert p.returncode == 0, helpers.describe(p)
    res = json.loads(p.stdout)
    with open(spec["screenshot"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert not res["errors"], "browser errors: %r" % res["errors"]
    assert res["scripts"] == 0 and res["dialogs"] == 0, res
    return res


def file_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")[:-1]    # the files end with a newline


@pytest.fixture(scope="module")
def session(tracer, get_interp, tmp_path_factory):
    it = get_interp("debian3.11")
    d = tmp_path_factory.mktemp("html")
    truth = cov_truth(it.python, MAIN, (), MAIN_FILES, env=helpers.target_env(),
                      tmpdir=tmp_path_factory.mktemp("truth"))
    html, rec = str(d / "cov.html"), str(d / "cov.trace")
    p = helpers.run([tracer, "-o", html, "-o", rec] + it.tracer_args + ["--", it.python, MAIN],
                    timeout=TIMEOUT, env=helpers.target_env(), cwd=str(d))
    assert p.returncode == 0, helpers.describe(p)
    again = str(d / "again.html")
    r = helpers.run([tracer, "report", rec, "-o", again], timeout=TIMEOUT, cwd=str(d))
    assert r.returncode == 0, helpers.describe(r)
    return d, truth, html, again


def check_page(res, truth):
    by_path = {s["path"]: s for s in res["sections"]}
    assert sorted(by_path) == sorted(MAIN_FILES), sorted(by_path)
    rows = {f["path"]: f for f in res["files"] if not f["total"]}
    stmts = miss = 0
    for f in MAIN_FILES:
        sec = by_path[f]
        rep, ran = truth.reportable[f], truth.ran_lines(f)
        hit, missed = rep & ran, rep - ran
        assert sec["measured"] == "lines" and sec["source"] == "yes", sec["heading"]
        lines = file_lines(f)
        assert [r["line"] for r in sec["rows"]] == list(range(1, len(lines) + 1))
        assert [r["text"] for r in sec["rows"]] == lines, f
        got_hit = {r["line"] for r in sec["rows"] if r["cls"] == "hit"}
        got_miss = {r["line"] for r in sec["rows"] if r["cls"] == "miss"}
        assert got_hit == hit, (f, sorted(got_hit ^ hit))
        assert got_miss == missed, (f, sorted(got_miss ^ missed))
        assert {r["cls"] for r in sec["rows"]} <= {"hit", "miss", ""}
        # the marks are drawn: hit and missed lines on two backgrounds
        bg = {r["cls"]: r["bg"] for r in sec["rows"]}
        assert len({bg["hit"], bg.get("miss", "x"), bg[""]}) == 3, bg
        row = rows[f]
        assert (row["stmts"], row["miss"]) == (len(rep), len(missed)), row
        assert row["pct"] == "%d%%" % shown_pct(len(hit), len(rep)), row
        assert row["link"] == "#" + sec["id"]
        assert sec["heading"] == "%s \u2014 %d%%" % (f, shown_pct(len(hit), len(rep)))
        stmts += len(rep)
        miss += len(missed)
    (total,) = [f for f in res["files"] if f["total"]]
    assert (total["stmts"], total["miss"]) == (stmts, miss), total
    assert res["title"] == "Coverage: %d%%" % shown_pct(stmts - miss, stmts)
    assert 0 < miss < stmts, "the workload should miss some lines"


def test_html_report_against_settrace(session, tmp_path):
    node = browser_or_skip()
    d, truth, html, again = session
    check_page(browse(node, tmp_path, html), truth)


def test_html_report_from_the_recording(session, tmp_path):
    node = browser_or_skip()
    d, truth, html, again = session
    check_page(browse(node, tmp_path, again), truth)


HOSTILE = '''\
# </td></tr></table><script>alert("td")</script>
s = "<script>alert('x')</script> & <b>bold</b> &amp; \\"q\\""
t = "\ttab <img src=x onerror=alert(1)>"
def f():
    return s + t
f()
'''


def test_html_report_escapes_the_source(tracer, get_interp, tmp_path):
    node = browser_or_skip()
    it = get_interp("debian3.11")
    script = tmp_path / "markup.py"
    script.write_text(HOSTILE)
    html = str(tmp_path / "m.html")
    p = helpers.run([tracer, "-o", html] + it.tracer_args + ["--", it.python, str(script)],
                    timeout=TIMEOUT, env=helpers.target_env(), cwd=str(tmp_path))
    assert p.returncode == 0, helpers.describe(p)
    res = browse(node, tmp_path, html)
    (sec,) = res["sections"]
    assert [r["text"] for r in sec["rows"]] == HOSTILE.split("\n")[:-1]
    assert {r["line"] for r in sec["rows"] if r["cls"] == "hit"} == {2, 3, 4, 5, 6}
