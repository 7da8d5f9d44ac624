# SPDX-License-Identifier: MIT
"""Command-line habits (issue 23): subcommands recognised before a command
to launch, `record` as the default verb, -r/--rate and --wall=HZ, and
usage errors that name `tracer`, not the binary's path."""
import os

import helpers


def test_record_verb_and_rate(tracer):
    # `tracer record -r HZ -- CMD`: tracing by name, sampling at HZ
    r = helpers.run([tracer, "record", "-r", "199", "--", helpers.DEBIAN_PY, "-c",
                     "sum(range(10**6))"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert "sampling CPU time at 199 Hz" in r.stderr, r.stderr


def test_wall_rate(tracer):
    r = helpers.run([tracer, "--wall=47", "--", helpers.DEBIAN_PY, "-c",
                     "import time; time.sleep(0.2)"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert "sampling every thread (wall clock) at 47 Hz" in r.stderr, r.stderr


def test_a_subcommand_is_not_launched(tracer):
    # `tracer top` is the subcommand (its usage error), not `top` traced
    r = helpers.run([tracer, "top"], timeout=30)
    assert r.returncode == 64, r.stderr
    assert r.stderr.startswith("tracer top: which process? -p PID"), r.stderr
    assert "cannot run" not in r.stderr


def test_usage_errors_say_tracer(tracer):
    for argv in (["--no-such"], ["record", "--no-such"], ["report", "--no-such"],
                 ["dump", "--no-such"]):
        r = helpers.run([tracer] + argv, timeout=30)
        assert r.returncode == 64, r.stderr
        assert tracer not in r.stderr, r.stderr
        want = "tracer %s: " % argv[0] if argv[0] in ("report", "dump") else "tracer: "
        assert r.stderr.startswith(want + "unrecognized option '--no-such'"), r.stderr


SORT_WORKLOAD = r'''
def often():
    pass

def slow():
    s = 0
    for i in range(300000):
        s += i
    return s

def main():
    for i in range(500):
        often()
    slow()

main()
'''


def table(stdout):
    """the summary's rows: (calls, total ms, self ms, function)"""
    rows = []
    for line in stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0].isdigit():
            rows.append((int(parts[0]), float(parts[1]), float(parts[2]), parts[3]))
    return rows


def test_summary_sort_and_top(tracer, tmp_path):
    """--sort calls/self/total orders the table by that column, --top N cuts
    it at N rows (the rest said as '... K more functions'): the live session
    and `tracer report` of one recording, whose full table (--top 0) says
    which rows the first N must be"""
    w = tmp_path / "w.py"
    w.write_text(SORT_WORKLOAD)
    rec = tmp_path / "w.trace"
    r = helpers.run([tracer, "--sort", "calls", "--top", "3", "-o", "-", "-o", str(rec), "--",
                     helpers.DEBIAN_PY, str(w)], timeout=180)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert len(rows) == 3 and "more functions" in r.stdout, r.stdout
    assert rows[0][3].startswith("often ("), r.stdout   # 500 calls, the most
    for key, col in (("calls", 0), ("total", 1), ("self", 2)):
        full = helpers.run([tracer, "report", str(rec), "--sort", key, "--top", "0"],
                           timeout=120)
        top = helpers.run([tracer, "report", str(rec), "--sort", key, "--top", "3"],
                          timeout=120)
        assert full.returncode == 0 and top.returncode == 0, full.stderr + top.stderr
        all_rows, rows = table(full.stdout), table(top.stdout)
        assert len(rows) == 3, top.stdout
        assert "more functions" in top.stdout and "more functions" not in full.stdout
        assert [x[col] for x in all_rows] == sorted((x[col] for x in all_rows), reverse=True)
        assert rows == all_rows[:3], (top.stdout, full.stdout)
        assert any(x[3].startswith(("main (", "slow (", "often (")) for x in all_rows)


def test_sampling_summary_prints_only_what_it_measured(tracer):
    r = helpers.run([tracer, "--sample", "--sort", "total", "--", helpers.DEBIAN_PY, "-c",
                     "sum(i * i for i in range(3 * 10**6))"], timeout=180)
    assert r.returncode == 0, r.stderr
    for counter in ("calls: ", "  strategy: ", "GC: ", "imports: "):
        assert counter not in r.stdout, r.stdout
    assert "function (CPU samples)" in r.stdout
    r = helpers.run([tracer, "--sample", "--sort", "calls", "--", helpers.DEBIAN_PY, "-c", "1"],
                    timeout=60)
    assert r.returncode == 64 and "sampling counts no calls" in r.stderr, r.stderr


def test_one_line_per_file_written(tracer, tmp_path):
    import re
    out, rec = tmp_path / "run.folded", tmp_path / "run.trace"
    r = helpers.run([tracer, "-o", str(out), "-o", str(rec), "-o", "-", "--", helpers.DEBIAN_PY,
                     "-c", "def f(): pass\nfor i in range(100): f()"], timeout=180)
    assert r.returncode == 0, r.stderr
    calls = re.search(r"^calls: (\d+) completed", r.stdout, re.M).group(1)
    m = re.search(r"^tracer: wrote %s \(([\d.]+) KiB; (\d+) calls, 0 lost\)$" % re.escape(str(out)),
                  r.stderr, re.M)
    assert m and m.group(2) == calls, r.stderr
    assert abs(float(m.group(1)) - os.path.getsize(out) / 1024.0) < 0.1
    m = re.search(r"^tracer: wrote %s \([\d.]+ KiB; (\d+) events\)$" % re.escape(str(rec)),
                  r.stderr, re.M)
    assert m and int(m.group(1)) > int(calls), r.stderr
    assert "wrote -" not in r.stderr
