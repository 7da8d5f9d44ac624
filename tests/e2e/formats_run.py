# SPDX-License-Identifier: MIT
"""One traced session per (interpreter, workload, mode) writing every
output format at once, shared by the tests of each format (fixture
`formats_run` in conftest.py).

Why one session: a session costs seconds (BPF load and attach), the
workloads are deterministic, and each format's test compares its file
with the Chrome trace of the SAME run and with the ground truth, so one
run checked by test_exact (the Chrome trace against sys.setprofile),
test_folded, test_speedscope, test_pprof, test_pftrace, test_recording
(`tracer report` of the .trace equals each direct output) and
test_summary (the summary, -o -, on the tracer's stdout) loses no check:
every test still reads its own format of a real session, and a run that
loses an event or miscounts fails each of them."""
import os
import re
import time

import helpers

TIMEOUT = 120

FORMATS = {"json": "t.json", "folded": "t.folded", "speedscope": "t.speedscope.json",
           "trace": "t.trace", "pprof": "t.pprof", "pftrace": "t.pftrace"}


def run_formats(tracer, interp, workload, d, mode):
    """trace WORKLOAD with every output at once; -> {format: path, "pid":
    pid, "stdout": the workload's stdout, "summary": the tracer's stdout
    (launch: the workload's too, it shares the tracer's), "tracer_stderr"
    (launch: the workload's too), "began"/"ended":
    time.time() around the session}"""
    out = {k: os.path.join(str(d), v) for k, v in FORMATS.items()}
    # "-": the summary on the tracer's stdout (test_summary reads it)
    paths = [out[k] for k in sorted(FORMATS)] + ["-"]
    out["began"] = time.time()
    if mode == "launch":
        cmd = [tracer]
        for p in paths:
            cmd += ["-o", p]
        p = helpers.run(cmd + interp.tracer_args + ["--", interp.python, workload.path],
                        timeout=TIMEOUT, env=helpers.target_env())
        assert p.returncode == 0, helpers.describe(p)
        m = re.search(r"^workload: pid (\d+)$", p.stderr, re.M)
        assert m, "the workload did not print its pid:\n" + p.stderr[-2000:]
        out["pid"] = int(m.group(1))
        out["stdout"], out["tracer_stderr"] = p.stdout, p.stderr
        out["summary"] = p.stdout
    else:
        target, tr = helpers.trace_attached(tracer, interp, workload, d, paths, TIMEOUT)
        assert target.out.wait_for("result:", 5) is not None
        out["pid"] = target.pid
        out["stdout"] = target.out.text()
        out["summary"], out["tracer_stderr"] = tr.out.text(), tr.err.text()
    out["ended"] = time.time()
    return out
