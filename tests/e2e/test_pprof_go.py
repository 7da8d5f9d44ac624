# SPDX-License-Identifier: MIT
"""The .pprof as its own consumer reads it: `go tool pprof` (Debian's
golang-go) -top, -traces and -raw on a real session's profile, exact and
--sample.

- nothing shows as `<unknown>` (pprof demangles Function.system_name: the
  tracer leaves it empty), and pprof does not say "Main binary filename not
  available" (the profile has a Mapping for the interpreter);
- functions that share a name are separate nodes: every module's
  `<module>`, and the two files' compute() of the multifile workload;
- exact: the flat `calls` of every workload function in `-top
  -sample_index=calls` is its number of calls as sys.setprofile counted it
  in a separate run (the ground truth), and the traces hold main()'s callees
  above it;
- --sample: f() and g() of the sampling workload are there with the 2:1
  share of CPU time the workload measured with time.thread_time();
- the samples carry the labels pid, thread, thread_name (-tags, -raw), and
  the profile its wall-clock start (Time:).

Skipped, with the reason, when `go` is not installed."""
import os
import re
import shutil
import subprocess
import time

import pytest

import helpers

TIMEOUT = 180
GO = shutil.which("go") or ("/usr/bin/go" if os.access("/usr/bin/go", os.X_OK) else None)


def pprof(args, path):
    """go tool pprof ARGS PATH -> (stdout, stderr); checked to succeed"""
    if not GO:
        pytest.skip("go not installed (apt-get install golang-go): go tool pprof is the "
                    "consumer this test needs")
    env = dict(os.environ, HOME=os.environ.get("HOME", "/root"),
               GOFLAGS="-mod=mod", PPROF_TMPDIR=os.path.dirname(str(path)))
    p = subprocess.run([GO, "tool", "pprof"] + list(args) + [str(path)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, env=env)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, "go tool pprof %s failed (%d):\n%s" % (
        " ".join(args), p.returncode, err[-2000:])
    for text in (out, err):
        assert "<unknown>" not in text, "pprof shows <unknown>:\n" + text[:3000]
        assert "Main binary filename not available" not in text, err
    return out, err


TOP_ROW = re.compile(r"^\s*(-?[\d.]+)(\w*)\s+[\d.]+%\s+[\d.]+%\s+(-?[\d.]+)(\w*)\s+[\d.]+%\s+(.+)$")


def top_rows(text):
    """-top's rows -> {name: (flat, cum)} (numbers without their unit)"""
    rows = {}
    for line in text.splitlines():
        m = TOP_ROW.match(line)
        if m:
            name = m.group(5)
            assert name not in rows, "two -top rows named %r" % name
            rows[name] = (float(m.group(1)), float(m.group(3)))
    assert rows, "no -top rows:\n" + text[:2000]
    return rows


def pprof_name(rows, name, path):
    """the -top row of function NAME of file PATH: "NAME (PATH)" when several
    functions are called NAME, else NAME"""
    qual = "%s (%s)" % (name, path)
    if qual in rows:
        assert name not in rows, "both %r and %r" % (name, qual)
        return qual
    assert name in rows, "%s of %s not in -top:\n%s" % (name, path, sorted(rows)[:60])
    return name


def parse_traces(text):
    """-traces -> [({label: value}, [frames, leaf first])]"""
    out = []
    for block in text.split("-----------+")[1:]:
        labels, frames = {}, []
        for line in block.splitlines()[1:]:
            if not line.strip():
                continue
            m = re.match(r"^\s*(\w+):\s+(.*)$", line)
            if m and not frames:
                labels[m.group(1)] = m.group(2).strip()
            elif not frames:
                frames.append(line.strip().split(None, 1)[1])
            else:
                frames.append(line.strip())
        out.append((labels, frames))
    assert out, text[:2000]
    return out


def check_common(path, tmp_path):
    """-raw: one mapping, labels on every sample, the start time"""
    raw, _ = pprof(["-raw"], path)
    maps = raw.split("Mappings\n", 1)[1].strip().splitlines()
    assert len(maps) == 1 and "[FN][FL][LN]" in maps[0] and "python" in maps[0], maps
    m = re.search(r"^Time: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", raw, re.M)
    assert m, raw[:1000]
    start = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) - time.timezone
    assert abs(start - time.time()) < 2 * TIMEOUT, (m.group(1), time.time())
    samples = raw.split("Samples:\n", 1)[1].split("Locations\n", 1)[0]
    n_samples = len(re.findall(r"^\s+-?\d+(?:\s+-?\d+)*: [\d ]+$", samples, re.M))
    assert n_samples > 0, samples[:2000]
    assert len(re.findall(r"^\s+pid:\[\d+\] thread:\[\d+\]$", samples, re.M)) == n_samples, \
        samples[:2000]
    tags, _ = pprof(["-tags"], path)
    for key in ("pid", "thread", "thread_name"):
        assert re.search(r"^\s*%s: Total" % key, tags, re.M), tags[:2000]
    return raw


def test_pprof_go_exact(tracer, get_interp, get_truth, tmp_path):
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["multifile"]
    truth = get_truth(it, wl)
    path = tmp_path / "t.pprof"
    p = helpers.run([tracer, "-o", str(path)] + it.tracer_args +
                    ["--", it.python, wl.path], timeout=TIMEOUT, env=helpers.target_env())
    assert p.returncode == 0, helpers.describe(p)
    check_common(path, tmp_path)
    args = ["-top", "-nodefraction=0", "-edgefraction=0", "-nodecount=100000"]
    top, _ = pprof(args, path)
    wall = top_rows(top)
    calls = top_rows(pprof(args + ["-sample_index=calls"], path)[0])
    main_file, helper_file = wl.files
    # every module's <module> and both compute() separate
    for f in wl.files:
        for name in ("<module>", "compute"):
            assert "%s (%s)" % (name, f) in wall, (name, f, sorted(wall)[:80])
    assert "<module>" not in wall and "compute" not in wall
    # flat calls: the number of calls of each function (sys.setprofile's
    # count in a separate run)
    bad = []
    for (name, f, line), n in sorted(truth.calls.items()):
        got = calls[pprof_name(calls, name, f)][0]
        if got != n:
            bad.append("%s %s:%d pprof %s truth %d" % (name, f, line, got, n))
    assert not bad, "calls differ:\n" + "\n".join(bad)
    assert wall[pprof_name(wall, "main", main_file)][1] > 0
    # -traces: compute (helper) above compute (main) above main, under <module>
    traces, _ = pprof(["-traces"], path)
    want = ["compute (%s)" % helper_file, "compute (%s)" % main_file,
            pprof_name(wall, "main", main_file)]
    found = [t for t in parse_traces(traces) if t[1][:3] == want and t[1][-1] == "<module> (%s)" % main_file]
    assert found, "no trace %r in:\n%s" % (want, traces[:3000])
    assert set(found[0][0]) == {"pid", "thread", "thread_name"}, found[0]


def test_pprof_go_sample(tracer, get_interp, tmp_path):
    it = get_interp("debian3.11")
    wl = helpers.Workload("sampling", ["sampling.py"])
    path = tmp_path / "s.pprof"
    err, _ = helpers.run_both_ways(tracer, it, wl, "launch", tmp_path, [path],
                                   ["--sample=997"], None, TIMEOUT)
    m = re.search(r"^truth: f_cpu=([\d.]+) g_cpu=([\d.]+)$", err, re.M)
    assert m, err[-2000:]
    want = float(m.group(1)) / float(m.group(2))
    check_common(path, tmp_path)
    args = ["-top", "-nodefraction=0", "-edgefraction=0", "-nodecount=100000",
            "-sample_index=samples"]
    rows = top_rows(pprof(args, path)[0])
    f = rows[pprof_name(rows, "f", wl.path)][1]
    g = rows[pprof_name(rows, "g", wl.path)][1]
    assert f > 200 and g > 100, (f, g)
    print("f/g: samples %d/%d = %.3f, CPU time ratio %.3f" % (f, g, f / g, want))
    assert abs((f / g) / want - 1) <= 0.15, (f / g, want)
    assert 1.6 <= want <= 2.4, "the workload is not 2:1 (%.3f): machine too noisy?" % want
    traces = parse_traces(pprof(["-traces", "-sample_index=samples"], path)[0])
    assert any(fr[:2] == ["work", "f"] for _, fr in traces), traces[:20]
