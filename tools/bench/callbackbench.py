# SPDX-License-Identifier: MIT
"""Python functions entered from C, with the dispatch strategy (issue 20).

Every call from C into Python (a callback, a sort key, a dunder method)
enters _PyEval_EvalFrameDefault, and on 3.11 so does every resumption of a
generator. The dispatch strategy used to probe that entry for gen.throw()
(a trap per entry, with no event); gen.throw() now has a site of its own
(user/cpython/throw_site.c) and the entry is not probed. This measures
both workloads of callback_workload.py per dispatch interpreter: untraced,
traced by this build, and, with --baseline, by another build (e.g. the one
before a change), interleaved, best of N; the added time per call."""
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "callback_workload.py")
MODES = (("map", "list(map(f, ...))"), ("gen", "for over a generator"))


def _loop(argv, result):
    """the workload's loop seconds, or None"""
    if os.path.exists(result):
        os.unlink(result)
    try:
        p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=300)
    except subprocess.TimeoutExpired:
        return None
    if p.returncode != 0 or not os.path.exists(result):
        return None
    with open(result) as f:
        return float(f.read().strip())


def run(tracers, found, repeat, calls, log):
    """TRACERS: [(name, path)]; FOUND: bench targets (tools/bench/targets.py),
    of which the unflagged dispatch ones are measured. {(label, mode, who):
    best seconds}"""
    res = {}
    disp = [t for t in found if t.strategy == "dispatch" and not t.env]
    with tempfile.TemporaryDirectory(prefix="tracer-callbackbench-") as tmp:
        result = os.path.join(tmp, "loop.txt")
        out = os.path.join(tmp, "x.folded")
        for t in disp:
            for mode, _ in MODES:
                log("callbacks: %s %s" % (t.label, mode))
                work = [t.python, WORKLOAD, mode, str(calls), result]
                for _ in range(repeat):
                    runs = [("untraced", work)] + [
                        (name, [path, "-o", out] + t.tracer_args + ["--"] + work)
                        for name, path in tracers]
                    for who, argv in runs:
                        s = _loop(argv, result)
                        key = (t.label, mode, who)
                        if s is not None and (key not in res or s < res[key]):
                            res[key] = s
    return res


def render(res, tracers, repeat, calls):
    names = [n for n, _ in tracers]
    lines = ["#### Python entered from C, dispatch strategy (issue 20)", "",
             "%d calls of a Python function made by `map()` (each enters the evaluator from "
             "C), and %d resumptions of a generator by a `for` loop (3.11: each enters the "
             "evaluator; 3.12+ resume it inline), `tools/bench/callback_workload.py`. Best of "
             "%d, interleaved; added µs per call over the untraced loop%s." % (
                 calls, calls, repeat,
                 "; the last column: this build's added time over the baseline's"
                 if len(names) > 1 else ""), ""]
    head = "| Interpreter | Workload | Untraced ms | " + " | ".join(
        "%s ms | %s added µs/call" % (n, n) for n in names)
    sep = "|---|---|---|" + "---|---|" * len(names)
    if len(names) > 1:
        head += " | %s ÷ %s" % (names[0], names[1])
        sep += "---|"
    lines += [head + " |", sep]
    labels = []
    for key in res:
        if key[0] not in labels:
            labels.append(key[0])
    for label in labels:
        for mode, what in MODES:
            base = res.get((label, mode, "untraced"))
            if base is None:
                continue
            row = ["%s" % label, what, "%.1f" % (base * 1e3)]
            added = []
            for n in names:
                s = res.get((label, mode, n))
                if s is None:
                    row += ["—", "—"]
                    added.append(None)
                else:
                    a = (s - base) / calls * 1e6
                    row += ["%.1f" % (s * 1e3), "%.2f" % a]
                    added.append(a)
            if len(names) > 1:
                row.append("%.2f" % (added[0] / added[1])
                           if None not in added[:2] and added[1] > 0 else "—")
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
