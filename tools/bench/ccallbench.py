#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""--c-calls' cost (issue 21): per C call, and on a small real program.

ccall_workload.py (a loop of CALLS math.sqrt calls, then ROUNDS rounds of a
tokenize + json + re program, each part timed in-process) launched untraced,
under `tracer -o x.json` (calls only) and under `tracer --c-calls -o
x.json`, interleaved, best of REPEAT, on each interpreter --c-calls
supports (pyenv 3.12-3.14 with the dispatch strategy). Reported: the loop's
time per iteration untraced and what each traced mode adds per C call (the
loop makes one C call and no Python call per iteration); the real
program's time in each mode and what --c-calls adds per C call it makes
(its c_call count from sys.setprofile in a run of its own). A measurement,
never an error.

  tools/bench/ccallbench.py [--tracer PATH] [--repeat N] [--only LABEL]...
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "ccall_workload.py")
CALLS = 10000
ROUNDS = 2
MODES = (("untraced", None), ("traced", []), ("c_calls", ["--c-calls"]))


def choose(targets):
    """the unflagged pyenv 3.12+ interpreters (dispatch strategy)"""
    return [t for t in targets if t.strategy == "dispatch" and not t.env and
            tuple(int(x) for x in t.label.split()[0].split(".")[:2]) >= (3, 12) and
            "debian" not in t.label]


def _parse(path):
    with open(path) as f:
        return {k: float(v) for k, v in (kv.split("=") for kv in f.read().split())}


def _one(tracer, python, args, tmp, count=False):
    res = os.path.join(tmp, "ccall-result")
    if os.path.exists(res):
        os.unlink(res)
    work = [python, WORKLOAD, str(CALLS), str(ROUNDS), res] + (["--count"] if count else [])
    argv = work if args is None else \
        [tracer] + args + ["-o", os.path.join(tmp, "ccall.json"), "--"] + work
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    if p.returncode or not os.path.exists(res):
        return {"ok": False, "error": "exit status %d: %s" % (
            p.returncode, p.stderr.strip().splitlines()[-1:])}
    r = _parse(res)
    r["ok"] = True
    if args is not None:
        said = [ln for ln in p.stderr.splitlines() if "--c-calls:" in ln]
        r["said"] = said[0].split("--c-calls: ", 1)[1] if said else ""
    return r


def run(tracer, targets, tmp, repeat, log):
    res = {"repeat": repeat, "rows": []}
    chosen = choose(targets)
    runs = {(t.label, m): [] for t in chosen for m, _ in MODES}
    counts = {}
    for t in chosen:
        r = _one(tracer, t.python, None, tmp, count=True)
        counts[t.label] = int(r["c_calls"]) if r["ok"] else None
    for rep in range(repeat):
        for t in chosen:
            for m, args in MODES:
                r = _one(tracer, t.python, args, tmp)
                runs[(t.label, m)].append(r)
                log("c-calls %d/%d %-22s %-9s %s" % (
                    rep + 1, repeat, t.label, m,
                    "loop %.1f ms, real %.1f ms" % (r["loop_seconds"] * 1e3,
                                                     r["real_seconds"] * 1e3)
                    if r["ok"] else "FAILED: " + r["error"]))
    for t in chosen:
        row = {"label": t.label, "n_c_calls": counts[t.label]}
        for m, _ in MODES:
            good = [r for r in runs[(t.label, m)] if r["ok"]]
            if not good:
                row["error"] = runs[(t.label, m)][0]["error"]
                break
            row[m] = {"loop": min(r["loop_seconds"] for r in good),
                      "pyloop": min(r["pyloop_seconds"] for r in good),
                      "real": min(r["real_seconds"] for r in good),
                      "said": good[0].get("said", "")}
        res["rows"].append(row)
    return res


def render(res):
    us = 1e6 / CALLS
    L = ["#### C calls (`--c-calls`, issue 21): cost per C call, and on a real program", "",
         "`tools/bench/ccall_workload.py %d %d` launched untraced, under `tracer -o x.json` "
         "and under `tracer --c-calls -o x.json`, interleaved, best of %d: the loop of %d "
         "`math.sqrt(i)` calls (one C call, no Python call per iteration), as many calls of a tiny Python function, and %d rounds of a "
         "small real program (tokenize of textwrap's source, json round trips, re), each "
         "timed in-process. Per C call: what the mode adds to the loop per iteration; on the "
         "real program, what --c-calls adds over calls-only tracing divided by its C calls "
         "(sys.setprofile's c_call count, a run of its own). A traced Python call (a loop of "
         "as many calls of a tiny function, same runs) is what the cost said before "
         "tracing is given against." % (
             CALLS, ROUNDS, res["repeat"], CALLS, ROUNDS), "",
         "| Interpreter | Loop untraced (µs/iter) | Added, calls only (µs/C call) | "
         "Added, --c-calls (µs/C call) | Traced Python call (µs, calls only) | "
         "Real program untraced / calls only / --c-calls (ms) "
         "| Its C calls | --c-calls adds (µs/C call) |",
         "|---|---|---|---|---|---|---|---|"]
    notes = []
    for row in res["rows"]:
        if "error" in row:
            notes.append("%s: %s" % (row["label"], row["error"]))
            continue
        u, t, c = row["untraced"], row["traced"], row["c_calls"]
        n = row["n_c_calls"]
        L.append("| %s | %.3f | %.2f | %.2f | %.2f | %.1f / %.1f / %.1f | %s | %s |" % (
            row["label"], u["loop"] * us, (t["loop"] - u["loop"]) * us,
            (c["loop"] - u["loop"]) * us, (t["pyloop"] - u["pyloop"]) * us,
            u["real"] * 1e3, t["real"] * 1e3,
            c["real"] * 1e3, n if n else "?",
            "%.2f" % ((c["real"] - t["real"]) * 1e6 / n) if n else "?"))
        if c["said"]:
            notes.append("%s, said before tracing: %s" % (row["label"], c["said"]))
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
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", action="append", default=[])
    a = ap.parse_args()
    found, _ = targets.discover()
    if a.only:
        found = [t for t in found if any(o in t.label for o in a.only)]
    with tempfile.TemporaryDirectory(prefix="tracer-ccallbench-") as tmp:
        res = run(a.tracer, found, tmp, a.repeat,
                  lambda m: sys.stderr.write("ccallbench: %s\n" % m))
    sys.stdout.write(render(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
