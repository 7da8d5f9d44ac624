# SPDX-License-Identifier: MIT
"""The native recording: `tracer report REC.trace -o Y.json` gives the same
events as the direct `-o Y.json` of the same run; damaged recordings are
refused or read up to the damage, never crash the reader."""
import helpers


def test_report_equals_direct(tracer, interp, workload, truth, formats_run, tmp_path):
    """the .trace and the .json of the session every format's test reads
    (formats_run.py)"""
    run = formats_run(tracer, interp, workload)
    out = tmp_path / "r.json"
    p = helpers.run([tracer, "report", run["trace"], "-o", str(out)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    a, b = helpers.Chrome(run["json"]), helpers.Chrome(out)
    # not trivially equal: the workload's calls are there (their exact
    # counts are test_exact's business)
    assert set(helpers.count_calls(a.in_files(workload.files))) == set(truth.calls)
    ea, eb = helpers.sorted_events(a.events), helpers.sorted_events(b.events)
    assert len(ea) == len(eb)
    assert ea == eb
    for c in helpers.COUNTERS:
        assert a.counter(c) == b.counter(c), c


def test_report_summary(tracer, get_interp, formats_run):
    it = get_interp("debian3.11")
    run = formats_run(tracer, it, helpers.WORKLOAD_BY_NAME["multifile"])
    p = helpers.run([tracer, "report", run["trace"]], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    assert "strategy: dispatch" in p.stdout, helpers.describe(p)
    assert "events:" in p.stdout


def test_attach_recording(tracer, get_interp, get_truth, formats_run, tmp_path):
    it = get_interp("debian3.11")
    wl = helpers.WORKLOAD_BY_NAME["mixed"]
    run = formats_run(tracer, it, wl, "attach")
    out = tmp_path / "r.json"
    p = helpers.run([tracer, "report", run["trace"], "-o", str(out)], timeout=60)
    assert p.returncode == 0, helpers.describe(p)
    a, b = helpers.Chrome(run["json"]), helpers.Chrome(out)
    assert set(helpers.count_calls(a.in_files(wl.files))) == set(get_truth(it, wl).calls)
    assert helpers.sorted_events(a.events) == helpers.sorted_events(b.events)


def test_damaged_recording(tracer, get_interp, formats_run, tmp_path):
    it = get_interp("debian3.11")
    run = formats_run(tracer, it, helpers.WORKLOAD_BY_NAME["multifile"])
    with open(run["trace"], "rb") as f:
        data = f.read()
    assert len(data) > 64
    cases = {}
    for frac in (0.0, 0.1, 0.5, 0.9, 0.999):
        cases["cut%g" % frac] = data[:max(1, int(len(data) * frac))]
    for i, pos in enumerate(range(8, len(data), max(1, len(data) // 7))):
        b = bytearray(data)
        for k in range(pos, min(pos + 16, len(b))):
            b[k] ^= 0xA5
        cases["flip%d" % i] = bytes(b)
    for name, blob in sorted(cases.items()):
        f = tmp_path / ("%s.trace" % name)
        f.write_bytes(blob)
        out = tmp_path / ("%s.json" % name)
        p = helpers.run([tracer, "report", str(f), "-o", str(out)], timeout=60)
        assert p.returncode >= 0 and p.returncode < 128, "%s: crashed\n%s" % (
            name, helpers.describe(p))
        if p.returncode == 0:
            helpers.Chrome(out)  # whatever was readable gives a valid file
        else:
            assert p.stderr.strip(), "%s: refused silently" % name
