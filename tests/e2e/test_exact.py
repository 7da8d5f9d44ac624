# SPDX-License-Identifier: MIT
"""Per-function call counts of the tracer == ground truth (sys.setprofile
in a separate run of the same interpreter), launch and attach modes.

The traced run is the session shared with the other formats' tests
(formats_run.py: one session writing every output, the Chrome trace
checked here): the same tracer options and target, more outputs written
at the end, so nothing checked here is lost (a lost event or a miscount
fails here and in every format's test)."""
import helpers

TIMEOUT = 120


def check_trace(chrome, interp, workload, truth, pid, mode):
    """everything that must hold for a trace of one whole run of main()"""
    ours = chrome.in_files(workload.files)
    assert ours, "no call of the workload files in the trace"
    problems = []
    got = helpers.count_calls(ours)
    expected = dict(truth.calls)
    if interp.version[:2] == (3, 13) and interp.strategy == "eval":
        # CPython 3.13 runs some __init__ inlined even with the perf
        # trampoline (CALL_ALLOC_AND_ENTER_INIT): the tracer must say so,
        # and only those may be missing (at least the first, unspecialized
        # call of each is still seen)
        said = [w for p in chrome.other.get("processes", []) for w in p.get("warnings", [])
                if "CALL_ALLOC_AND_ENTER_INIT" in w]
        if not said:
            problems.append("3.13: the __init__ inlining limitation is not said in the trace")
        for k, n in truth.calls.items():
            if k[0].endswith("__init__") and 1 <= got.get(k, 0) <= n:
                expected[k] = got[k]
    diffs = helpers.compare_counts(expected, got)
    if diffs:
        problems.append("call counts differ from ground truth (%s, %s, %s):\n  %s"
                        % (interp.id, workload.name, mode, "\n  ".join(diffs)))
    if chrome.counter("lost") != 0:
        problems.append("events lost: %r" % (chrome.other.get("lost"),))
    # every call of the workload has its return
    allowed_inferred = workload.deep_funcs if interp.strategy == "eval" else set()
    for flag in helpers.FLAG_ARGS:
        bad = [e for e in helpers.flagged(ours, flag) if e["name"] != "<module>"
               and not (flag == "end_inferred"
                        and e["name"].rsplit(".", 1)[-1] in allowed_inferred)]
        if bad:
            problems.append("%d workload calls flagged %s, e.g. %r"
                            % (len(bad), flag, bad[:3]))
    pids = {e["pid"] for e in ours}
    if pids != {pid}:
        problems.append("pids of workload calls %r, target was %d" % (pids, pid))
    # threads: worker runs in 4 distinct threads, main on the main thread
    for key, n in truth.threads.items():
        tids = {e["tid"] for e in ours if chrome.key(e) == key}
        if key in truth.calls and len(tids) != n:
            problems.append("%s ran on %d threads, ground truth %d" % (key[0], len(tids), n))
    main = [e for e in ours if e["name"] == "main"]
    if len(main) == 1 and main[0]["tid"] != pid:
        problems.append("main() not on the main thread: tid %d, pid %d" % (main[0]["tid"], pid))
    strat = chrome.strategies().get(pid)
    if strat is not None and strat != interp.strategy:
        problems.append("strategy %s, expected %s" % (strat, interp.strategy))
    bad = helpers.nesting_violations(chrome.calls)
    if bad:
        problems.append("calls of one thread do not nest: %r" % (bad[:3],))
    assert not problems, "\n".join(problems)


def pid_from_stderr(text):
    for line in text.splitlines():
        if line.startswith("workload: pid "):
            return int(line.split()[2])
    raise AssertionError("the workload did not print its pid:\n" + text[-2000:])


def test_launch(tracer, interp, workload, truth, formats_run):
    run = formats_run(tracer, interp, workload, "launch")
    assert truth.stdout in run["stdout"], "workload output changed\n" + run["stdout"][-2000:]
    chrome = helpers.Chrome(run["json"])
    check_trace(chrome, interp, workload, truth, run["pid"], "launch")
    assert chrome.counter("unmatched_returns") == 0, chrome.other


def test_attach(tracer, interp, workload, truth, formats_run):
    run = formats_run(tracer, interp, workload, "attach")
    assert run["stdout"] == truth.stdout.rstrip("\n")
    check_trace(helpers.Chrome(run["json"]), interp, workload, truth, run["pid"], "attach")
