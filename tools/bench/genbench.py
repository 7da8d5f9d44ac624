#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generator-heavy workload, exact trace against CPU samples (issue 20).

gen_workload.py (a pipeline of generators, pygments-like) launched under
`tracer -o x.folded` (exact, the dispatch strategy of an unflagged 3.12+)
and under `tracer --sample=997 -o x.folded`, on 3.12 and 3.13 (and 3.14):
each function's self time as a share of the four pipeline functions' total,
from the exact trace (self time per stack, summed where the function is the
leaf) and from the samples (samples where it is the leaf). A probe site the
kernel single-steps charges its trap to whoever runs after the event (a
yield's to the generator's consumer), which moves self time between the
functions; the samples barely disturb the target. Goal: every share within
20% (relative) of the sampled one, 10% hoped. A third session, exact with
--subtract-probe-cost (the calibrated cost of each probe hit, single-stepped
sites included, taken out of self times: docs/observer-effect.md), gives
the corrected shares, in a column of their own.

  tools/bench/genbench.py [--tracer PATH] [--seconds S] [--only LABEL]...
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "gen_workload.py")
FUNCS = ("lex", "filt", "streamer", "fmt")
_FRAME = re.compile(r"^(.*) \((.*):(\d+)\)$")


def choose(targets):
    """the unflagged 3.12+ pyenv interpreters (dispatch strategy)"""
    return [t for t in targets if t.strategy == "dispatch" and not t.env and
            tuple(int(x) for x in t.label.split()[0].split(".")[:2]) >= (3, 12) and
            "debian" not in t.label]


def self_times(path):
    """{function of WORKLOAD: the sum of the values of the stacks it ends}"""
    out = {}
    with open(path) as f:
        for line in f:
            stack, _, value = line.rstrip("\n").rpartition(" ")
            m = _FRAME.match(stack.split(";")[-1])
            if m and m.group(2) == WORKLOAD:
                out[m.group(1)] = out.get(m.group(1), 0) + int(value)
    return out


def _session(tracer, python, mode, seconds, folded):
    if os.path.exists(folded):
        os.unlink(folded)
    argv = [tracer] + (["--sample=997"] if mode == "sampled" else []) + \
        (["--subtract-probe-cost"] if mode == "corrected" else []) + \
        ["-o", folded, "--", python, WORKLOAD, str(seconds)]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=600)
    if p.returncode:
        return {"ok": False, "error": "exit status %d: %s" % (
            p.returncode, p.stderr.strip().splitlines()[-1:])}
    st = self_times(folded)
    total = sum(st.get(f, 0) for f in FUNCS)
    if not total:
        return {"ok": False, "error": "no self time in the pipeline's functions"}
    slow = [ln for ln in p.stderr.splitlines() if "single-step" in ln]
    return {"ok": True, "share": {f: st.get(f, 0) / total for f in FUNCS},
            "total": total, "warning": slow[0] if slow else ""}


def run(tracer, targets, tmp, log, seconds=5.0):
    res = {"seconds": seconds, "rows": []}
    for t in choose(targets):
        row = {"label": t.label}
        for mode in ("exact", "sampled", "corrected"):
            row[mode] = _session(tracer, t.python, mode, seconds,
                                 os.path.join(tmp, "gen-%s.folded" % mode))
            log("generators %-22s %-8s %s" % (t.label, mode, "ok" if row[mode]["ok"]
                                               else "FAILED: " + row[mode]["error"]))
        res["rows"].append(row)
    return res


def render(res):
    L = ["#### Generators: exact self time against samples (issue 20)", "",
         "`tools/bench/gen_workload.py %g` (lex → filt → streamer → fmt, a generator "
         "pipeline; %g s of its CPU) launched under `tracer -o x.folded` (exact, the "
         "dispatch strategy of an unflagged process) and under `tracer --sample=997`: each "
         "function's self time as a share of the four's. Goal: each exact share within 20%% "
         "(relative) of the sampled one (10%% hoped). Every probe hit's trap (~5 µs here) "
         "falls partly on the function before the event, partly on the one after it "
         "(filt and streamer, next to two generators' events each, gain; lex and fmt lose); "
         "a single-stepped site adds its whole extra cost (~13 µs) to the function after "
         "the event (a yield's: the consumer). Corrected: a third session, exact with "
         "`--subtract-probe-cost` (each hit's calibrated cost taken out of the self "
         "times, split around its timestamp; docs/observer-effect.md); the goal column "
         "is the uncorrected share's." % (
             res["seconds"], res["seconds"]), "",
         "| Interpreter | Function | Exact share | Sampled share | Exact vs sampled | Goal "
         "| Corrected share | Corrected vs sampled |",
         "|---|---|---|---|---|---|---|---|"]
    notes = []
    for row in res["rows"]:
        e, s, c = row["exact"], row["sampled"], row.get("corrected", {"ok": False,
                                                                        "error": "not run"})
        if not (e["ok"] and s["ok"]):
            notes.append("%s: %s" % (row["label"], (e if not e["ok"] else s)["error"]))
            continue
        if not c["ok"]:
            notes.append("%s, corrected: %s" % (row["label"], c["error"]))
        for f in FUNCS:
            es, ss = e["share"][f], s["share"][f]
            rel = es / ss - 1 if ss else None
            cs = c["share"][f] if c["ok"] else None
            crel = cs / ss - 1 if cs is not None and ss else None
            L.append("| %s | %s | %.1f%% | %.1f%% (%d samples in all) | %s | %s | %s | %s |" % (
                row["label"], f, es * 100, ss * 100, s["total"],
                "%+.1f%%" % (rel * 100) if rel is not None else "-",
                "-" if rel is None else "met" if abs(rel) <= 0.10 else
                "bar met" if abs(rel) <= 0.20 else "**not met**",
                "%.1f%%" % (cs * 100) if cs is not None else "-",
                "%+.1f%%" % (crel * 100) if crel is not None else "-"))
        if e["warning"]:
            notes.append("%s: %s" % (row["label"], e["warning"]))
    L.append("")
    L += ["- " + n for n in notes] + ([""] if notes else [])
    return "\n".join(L) + "\n"


def main():
    sys.path.insert(0, HERE)
    import targets  # noqa: E402  (tools/bench/targets.py)
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tracer", default=os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                                     "build", "tracer"))
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--only", action="append", default=[])
    a = ap.parse_args()
    found, _ = targets.discover()
    if a.only:
        found = [t for t in found if any(o in t.label for o in a.only)]
    with tempfile.TemporaryDirectory(prefix="tracer-genbench-") as tmp:
        res = run(a.tracer, found, tmp, lambda m: print(m, file=sys.stderr), a.seconds)
    sys.stdout.write(render(res))


if __name__ == "__main__":
    main()
