# SPDX-License-Identifier: MIT
"""The summary printed without -o (or with -o -): process line, strategy,
function table with the ground-truth call counts, counters with nothing
lost."""
import re

import pytest

import helpers

ROW = re.compile(r"^\s*(\d+)\s+\S+\s+\S+\s+(.+) \((/.*):(\d+)\)$")


def parse_summary(text):
    """-> (rows {(name, file, line): calls}, lines)"""
    rows = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            key = (m.group(2), m.group(3), int(m.group(4)))
            rows[key] = rows.get(key, 0) + int(m.group(1))
    return rows


def check_common(text, interp, pid):
    lines = text.splitlines()
    # X.Y.Z where the binary carries it (Py_Version, 3.11+), else X.Y (the
    # version then comes from the libpython soname)
    head = "process %d: Python %d.%d" % ((pid,) + interp.version[:2])
    proc = [l for l in lines if l.startswith(head + ".") or l.startswith(head + " ")]
    assert proc, "no `process PID: Python X.Y[.Z]` line for %d\n%s" % (pid, text)
    strat = [l for l in lines if l.strip().startswith("strategy:")]
    assert strat and strat[0].split()[1] == interp.strategy, text
    ev = [l for l in lines if l.startswith("events:")]
    assert ev, text
    m = re.match(r"events: (\d+) seen, (\d+) lost", ev[0])
    assert m and int(m.group(1)) > 0 and int(m.group(2)) == 0, ev[0]
    calls = [l for l in lines if l.startswith("calls:")]
    assert calls and re.match(r"calls: \d+ completed, \d+ returns inferred \(not probed\), "
                              r"\d+ unmatched returns, \d+ still running at end", calls[0]), text


def check_rows(text, wl, truth):
    """The table may be cut to the top N functions by total time: every
    listed workload function has its exact count, main() is listed, and
    when the table is not cut every function is listed."""
    rows = {k: v for k, v in parse_summary(text).items()
            if k[1] in wl.files and k[0] != "<module>"}
    assert any(k[0] == "main" for k in rows), text
    cut = re.search(r"^\.\.\. \d+ more functions$", text, re.M)
    want = truth.calls if not cut else {k: n for k, n in truth.calls.items() if k in rows}
    diffs = helpers.compare_counts(want, rows)
    assert not diffs, "\n".join(diffs) + "\n" + text


@pytest.mark.parametrize("mode", ["launch", "attach"])
def test_summary(tracer, interp, get_truth, formats_run, mode):
    """the summary (-o -) of the session every format's test reads
    (formats_run.py); attached, only main() runs while traced, and the
    table is small enough to list every workload function"""
    wl = helpers.WORKLOAD_BY_NAME["multifile"]
    truth = get_truth(interp, wl)
    run = formats_run(tracer, interp, wl, mode)
    check_common(run["summary"], interp, run["pid"])
    check_rows(run["summary"], wl, truth)


# Without any -o the summary is the default output: that choice is made
# once, whatever the interpreter, so it is checked on Debian's 3.11 (in
# both modes); the summary of every interpreter is checked above through
# -o - (the same writer).

def test_summary_default_attach(tracer, get_interp, get_truth, tmp_path):
    interp = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["multifile"]
    truth = get_truth(interp, wl)
    target, tr = helpers.trace_attached(tracer, interp, wl, tmp_path, [])
    text = tr.out.text()
    check_common(text, interp, target.pid)
    check_rows(text, wl, truth)


def test_summary_default_launch(tracer, get_interp, get_truth, tmp_path):
    interp = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["multifile"]
    truth = get_truth(interp, wl)
    p = helpers.run([tracer] + interp.tracer_args + ["--", interp.python, wl.path], timeout=120,
                    env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    pid = int(re.search(r"^workload: pid (\d+)$", p.stderr, re.M).group(1))
    check_common(p.stdout, interp, pid)
    check_rows(p.stdout, wl, truth)
