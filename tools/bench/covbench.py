# SPDX-License-Identifier: MIT
"""Coverage benchmark (issue 5): a CPU-bound workload (cov_workload.py)
untraced, under `tracer -o x.lcov` (launch mode: on 3.12+ the calls are counted inside
the process), on 3.12+ also `-o x.lcov -o x.folded` (the calls probed), and, on Debian's 3.11,
under coverage.py (`python3 -m coverage run`, its C tracer), best-of-N,
interleaved. The time is the workload's own loop time (interpreter start
and the tracer's code map at the end do not count); the whole run's wall
time is reported beside it."""
import os
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "cov_workload.py")
ROUNDS = "40"


def _run(cmd, cwd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=600)
    wall = time.monotonic() - t0
    m = re.search(r"^loop (\d+\.\d+)$", p.stdout, re.M)
    if p.returncode or not m:
        return {"ok": False, "error": (p.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return {"ok": True, "loop": float(m.group(1)), "wall": wall}


def modes(t, tracer, tmp):
    """[(name, argv)] for target T"""
    lcov = os.path.join(tmp, "cov.lcov")
    out = [("untraced", [t.python, WORKLOAD, ROUNDS]),
           ("tracer -o x.lcov", [tracer] + t.tracer_args + ["-o", lcov, "--", t.python,
                                                            WORKLOAD, ROUNDS])]
    if t.strategy != "usdt":
        # another output beside the map: the calls are probed, not counted inside
        out.append(("tracer -o x.lcov -o x.folded",
                    [tracer] + t.tracer_args + ["-o", lcov, "-o", os.path.join(tmp, "x.folded"),
                                                "--", t.python, WORKLOAD, ROUNDS]))
    if t.strategy == "usdt":
        data = os.path.join(tmp, ".coverage")
        out.append(("coverage.py", [t.python, "-m", "coverage", "run", "--data-file=" + data,
                                    WORKLOAD, ROUNDS]))
    return out


def run(tracer, targets, tmp, repeat, log):
    """{label: {mode: [result...]}} for the Debian 3.11 and pyenv 3.12/3.13
    targets (unflagged: the bootstrap's line events need launch mode)"""
    chosen = [t for t in targets if (t.strategy == "usdt" or
                                     (t.strategy == "dispatch" and
                                      re.match(r"3\.1[23]\.", t.label)))]
    res = {t.label: {m: [] for m, _ in modes(t, tracer, tmp)} for t in chosen}
    for rep in range(repeat):
        for t in chosen:
            for m, cmd in modes(t, tracer, tmp):
                r = _run(cmd, tmp)
                res[t.label][m].append(r)
                log("cov %d/%d %-14s %-18s %s" % (rep + 1, repeat, t.label, m,
                                                  "%.1f ms" % (r["loop"] * 1e3) if r["ok"]
                                                  else "FAILED: " + r["error"]))
    return res


def _best(rs, key):
    ok = [r[key] for r in rs if r.get("ok")]
    return min(ok) if ok else None


def render(res, repeat):
    lines = ["#### Coverage (issue 5)", "",
             "`tools/bench/cov_workload.py %s` (sieve, insertion sort, a small stack machine, "
             "word counts: about 2,200 Python calls per round), launch mode, best of %d "
             "interleaved; loop time measured inside the workload; the whole run's wall time "
             "(interpreter start, the tracer's set-up and code map included) in its own "
             "column. Goals: 3.12 coverage at most 1.2x untraced; Debian 3.11 against "
             "coverage.py reported as measured." % (ROUNDS, repeat), "",
             "| Interpreter | Mode | Loop ms (best) | Wall ms (best) | Ratio to untraced | Goal |",
             "|---|---|---|---|---|---|"]
    for label, by_mode in res.items():
        base = _best(by_mode.get("untraced", []), "loop")
        for m, rs in by_mode.items():
            lp, wl = _best(rs, "loop"), _best(rs, "wall")
            ratio = lp / base if lp and base else None
            goal = ""
            if m == "tracer -o x.lcov" and label.startswith("3.12"):
                goal = "met" if ratio and ratio <= 1.2 else "**not met**"
            if m == "tracer -o x.lcov" and "coverage.py" in by_mode:
                cp = _best(by_mode["coverage.py"], "loop")
                goal = "%.2fx coverage.py" % (lp / cp) if lp and cp else ""
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                label, m, "%.1f" % (lp * 1e3) if lp else "failed",
                "%.0f" % (wl * 1e3) if wl else "-", "%.2f" % ratio if ratio else "-", goal))
    return "\n".join(lines) + "\n"
