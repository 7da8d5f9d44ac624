# SPDX-License-Identifier: MIT
"""Sampling benchmark (issue 6): what `tracer --sample` costs the target,
and how well its samples agree with the exact times.

Overhead: sample_workload.py (ROUNDS rounds of work) untraced, under
`tracer --sample=99` and `--sample=997` (launched, -o x.folded), best-of-N
interleaved, on Debian's 3.11 and pyenv's 3.12 (if present). The target's
own loop time (wall and CPU, measured inside it) against the untraced runs
of the same repeat set; the tracer's own CPU (the run's process tree less
the target's own); one more untimed run per rate with the kernel's BPF
statistics on: the sampling program's time per run and per sample taken.

Accuracy (one interpreter, 99 Hz): f does twice g's work; the share of
samples with f on the stack over g's (goal 2.0 within 15%), and the total
(inclusive) time shares of run's callees by the samples against the exact
call trace (`tracer -o x.folded` tracing calls: self times per stack, summed
per function) and against sys.setprofile in a run of its own. Goal: each
share within 10% of the exact share, relative (the stricter reading of
"within 10%": 10 percentage points would let a 15% function read 25%);
shares are of run(), the workload's loop, so start-up does not count."""
import os
import re
import resource
import subprocess
import time

import bpfstats
from covbench import _best  # the best (least) KEY of the good runs

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "sample_workload.py")
RATES = (99, 997)
FUNCS = ("f", "g", "k", "work")
_FRAME = re.compile(r"^(.*) \((.*):(\d+)\)$")


def _result(path):
    with open(path) as f:
        return {k: float(v) for k, v in (kv.split("=", 1) for kv in f.read().split())}


def folded_inclusive(path, file):
    """{qualname: the sum of the values of the stacks it is on (once per
    stack)} for the functions of FILE, and the sum of all values"""
    inc, total = {}, 0
    with open(path) as f:
        for line in f:
            stack, _, value = line.rstrip("\n").rpartition(" ")
            n = int(value)
            total += n
            names = set()
            for fr in stack.split(";"):
                m = _FRAME.match(fr)
                if m and m.group(2) == file:
                    names.add(m.group(1))
            for name in names:
                inc[name] = inc.get(name, 0) + n
    return inc, total


def _run(argv, result, folded=None):
    for p in (result, folded):
        if p and os.path.exists(p):
            os.unlink(p)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=600)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    tree = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    try:
        if p.returncode:
            raise ValueError("exit status %d" % p.returncode)
        r = _result(result)
        r["tool_cpu"] = max(0.0, tree - r["proc_cpu"])
        if folded:
            inc, r["samples"] = folded_inclusive(folded, WORKLOAD)
            r["inc"] = inc
        r["ok"] = True
        return r
    except (OSError, ValueError) as e:
        tail = " | ".join((p.stderr or "").strip().splitlines()[-2:])
        return {"ok": False, "error": "%s [%s]" % (e, tail)}


def _argv(mode, python, tracer, amount, result, folded):
    """AMOUNT: ("rounds", N) or ("seconds", S)"""
    work = [python, WORKLOAD, amount[0], "%g" % amount[1], result]
    if mode == "untraced":
        return work
    if mode == "profile":
        return work + ["--profile"]
    if mode == "calls":
        return [tracer, "-o", folded, "--"] + work
    return [tracer, "--sample=%d" % int(mode), "-o", folded, "--"] + work


def choose(targets):
    """(overhead targets, accuracy target): Debian's 3.11 and pyenv's
    newest 3.12; for accuracy, an interpreter whose exact trace probes
    calls only (3.10's eval uprobes, else 3.12's dispatch sites): Debian's
    3.11 also needs the USDT line probe, whose cost per line would weigh
    on the loops' functions"""
    over = [t for t in targets if t.strategy == "usdt"]
    over += [t for t in targets if t.label.startswith("3.12") and t.strategy == "eval"][:1]
    acc = [t for t in targets if t.label.startswith("3.10") and t.strategy == "eval"] + \
        [t for t in targets if t.label.startswith("3.12") and t.strategy == "dispatch"] + \
        [t for t in targets if t.strategy == "usdt"]
    return over, acc[0] if acc else None


# the accuracy runs' rates: at 99 Hz a 10 s run has ~1000 samples, so a
# function with 14% of them has a relative standard error of ~8%: a 10%
# criterion cannot tell the sampler from chance there; at 997 Hz it is ~2.5%
ACC_RATES = ("99", "997")


def run(tracer, targets, tmp, repeat, log, rounds=1000, acc_seconds=10.0):
    over, acc_t = choose(targets)
    result, folded = os.path.join(tmp, "s.result"), os.path.join(tmp, "s.folded")
    modes = ["untraced"] + [str(hz) for hz in RATES]
    res = {"over": {t.label: {m: [] for m in modes} for t in over}, "bpf": {},
           "acc": {}, "acc_label": acc_t.label if acc_t else None,
           "rounds": rounds, "acc_seconds": acc_seconds, "repeat": repeat}
    for rep in range(repeat):
        for t in over:
            for m in modes:
                r = _run(_argv(m, t.python, tracer, ("rounds", rounds), result, folded), result,
                         None if m == "untraced" else folded)
                res["over"][t.label][m].append(r)
                log("sample %d/%d %-14s %-8s %s" % (
                    rep + 1, repeat, t.label, m, "%.1f ms" % (r["loop"] * 1e3) if r["ok"]
                    else "FAILED: " + r["error"]))
    with bpfstats.Stats() as st:
        for t in over[:1]:
            for hz in RATES if not st.error else ():
                argv = _argv(str(hz), t.python, tracer, ("rounds", rounds), result, folded)
                rc, progs = bpfstats.sample(argv, os.environ.copy())
                try:
                    n = folded_inclusive(folded, WORKLOAD)[1] if rc == 0 else 0
                except OSError:
                    n = 0
                res["bpf"][hz] = {"label": t.label, "progs": progs, "samples": n}
                log("sample bpf stats %d Hz: %r, %d samples" % (hz, progs, n))
        if st.error:
            res["bpf_error"] = st.error
    if acc_t:
        for m in ACC_RATES + ("calls", "profile"):
            r = _run(_argv(m, acc_t.python, tracer, ("seconds", acc_seconds), result,
                         folded), result,
                     None if m == "profile" else folded)
            res["acc"][m] = r
            log("sample accuracy %-14s %-8s %s" % (acc_t.label, m, "ok" if r["ok"]
                                                   else "FAILED: " + r["error"]))
    return res


def _median(rs, key):
    ok = sorted(r[key] for r in rs if r.get("ok") and key in r)
    return ok[len(ok) // 2] if ok else None


def _render_overhead(res, L):
    L += ["| Interpreter | Mode | Loop ms (best) | Loop ms (median) | Ratio to untraced "
          "(best) | Loop CPU ratio (best) | Samples (median) | f/g samples (min-max) | "
          "Tracer CPU ms (median) | Goal |", "|---|---|---|---|---|---|---|---|---|---|"]
    for label, by_mode in res["over"].items():
        base, base_cpu = _best(by_mode["untraced"], "loop"), _best(by_mode["untraced"],
                                                                   "loop_cpu")
        for m, rs in by_mode.items():
            lp, cpu = _best(rs, "loop"), _best(rs, "loop_cpu")
            ratio = lp / base if lp and base else None
            goal = ""
            if m == "99" and ratio:
                goal = "met (<= 1.01)" if ratio <= 1.01 else \
                    "met (<= 1.03; 1.01 not)" if ratio <= 1.03 else "**not met**"
            smp, tool = _median(rs, "samples"), _median(rs, "tool_cpu")
            fg = sorted(r["inc"].get("f", 0) / r["inc"]["g"] for r in rs
                        if r.get("ok") and r.get("inc", {}).get("g"))
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                label, "untraced" if m == "untraced" else "`--sample=%s`" % m,
                "%.1f" % (lp * 1e3) if lp else "failed",
                "%.1f" % (_median(rs, "loop") * 1e3) if lp else "-",
                "%.3f" % ratio if ratio else "-",
                "%.3f" % (cpu / base_cpu) if cpu and base_cpu else "-",
                "%d" % smp if smp is not None else "-",
                "%.2f-%.2f" % (fg[0], fg[-1]) if fg else "-",
                "%.1f" % (tool * 1e3) if tool is not None and m != "untraced" else "-", goal))
        errs = sorted({r["error"] for rs in by_mode.values() for r in rs if not r["ok"]})
        for e in errs:
            L.append("\nFailed run (%s): %s" % (label, e))
    L.append("")


def _render_bpf(res, L):
    if res.get("bpf_error"):
        L += ["No BPF statistics: %s" % res["bpf_error"], ""]
        return
    if not res["bpf"]:
        return
    L += ["Time inside the sampling program (`sample_cpu`; kernel BPF statistics, one "
          "untimed run per rate; the programs are read until the tracer exits, so the "
          "last ~50 ms are missed): per run of the program (it runs on every tick of every "
          "CPU and returns at once when the target is not on it) and per sample taken.", "",
          "| Interpreter | Rate | Program runs | ns per run | Samples taken | BPF ns per "
          "sample |", "|---|---|---|---|---|---|"]
    for hz, b in sorted(res["bpf"].items()):
        cnt = sum(c for n, (c, _) in b["progs"].items() if n.startswith("sample"))
        ns = sum(t for n, (_, t) in b["progs"].items() if n.startswith("sample"))
        L.append("| %s | %d Hz | %d | %s | %d | %s |" % (
            b["label"], hz, cnt, "%.0f" % (ns / cnt) if cnt else "-", b["samples"],
            "%.0f" % (ns / b["samples"]) if b["samples"] else "-"))
    L.append("")


def _render_accuracy(res, L):
    acc = res["acc"]
    c, p = acc.get("calls", {}), acc.get("profile", {})
    runs = [(hz, acc[hz]) for hz in ACC_RATES if acc.get(hz, {}).get("ok")]
    for hz in ACC_RATES:
        if not acc.get(hz, {}).get("ok"):
            L += ["Accuracy: the `--sample=%s` run failed: %s" % (
                hz, acc.get(hz, {}).get("error", "not run")), ""]
    if not runs:
        return
    for hz, s in runs:
        si = s["inc"]
        sf, sg = si.get("f", 0), si.get("g", 0)
        ratio = sf / sg if sg else None
        cpu_ratio = s["cpu_f"] / s["cpu_g"] if s.get("cpu_g") else None
        # judged against what the workload measured (its thread_time of f
        # and g), not against the 2.0 its work sizes aim at
        want = cpu_ratio or 2.0
        L.append("%s, %g s of CPU in run(), `--sample=%s`: %d samples in run(); f on %d, g on "
                 "%d: **%s** (goal: the workload's own thread_time ratio f/g, %s, within "
                 "15%%: %s)." % (
                     res["acc_label"], res["acc_seconds"], hz, si.get("run", 0), sf, sg,
                     "%.3f" % ratio if ratio else "-",
                     "%.3f" % cpu_ratio if cpu_ratio else "not measured, 2.0 taken",
                     "met" if ratio and abs(ratio / want - 1) <= 0.15 else "**not met**"))
        L.append("")
    L += ["Total-time shares of run() (inclusive, outermost activations): samples "
          "with the function on the stack over samples in run(), ± the binomial standard "
          "error of that share; the exact call trace "
          "(`tracer -o x.folded`, self time per stack summed over the stacks the function "
          "is on); sys.setprofile's inclusive wall time (run of its own); the workload's "
          "thread_time around each call of f, g, k. Goal: the sampled share within 10% "
          "(relative) of the exact trace's, judged at the highest rate (at 99 Hz a 14% "
          "share of ~1000 samples has a relative standard error of ~8%, so chance alone "
          "would miss 10% about one run in four).", "",
          "| Function | " + " | ".join("Sampled %s Hz" % hz for hz, _ in runs) +
          " | Exact trace | setprofile | thread_time | " +
          " | ".join("%s Hz vs exact (relative)" % hz for hz, _ in runs) + " | Goal |",
          "|---|" + "---|" * (2 * len(runs) + 4)]
    ci = c.get("inc", {}) if c.get("ok") else {}
    pct = lambda v: "%.1f%%" % (v * 100) if v is not None else "-"  # noqa: E731
    for fn in FUNCS:
        ex = ci.get(fn, 0) / ci["run"] if ci.get("run") else None
        pr = p.get("prof_" + fn, 0) / p["prof_run"] if p.get("ok") and p.get("prof_run") \
            else None
        s0 = runs[0][1]
        tt = s0["cpu_" + fn] / s0["loop_cpu"] if "cpu_" + fn in s0 and s0.get("loop_cpu") \
            else None
        shares, rels = [], []
        for hz, s in runs:
            si = s["inc"]
            n = si.get("run", 0)
            sh = si.get(fn, 0) / n if n else None
            se = (sh * (1 - sh) / n) ** 0.5 if sh is not None else None
            shares.append("%s ± %.1f" % (pct(sh), se * 100) if sh is not None else "-")
            rels.append(sh / ex - 1 if sh is not None and ex else None)
        rel = rels[-1]
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            fn, " | ".join(shares), pct(ex), pct(pr), pct(tt),
            " | ".join("%+.1f%%" % (r * 100) if r is not None else "-" for r in rels),
            ("met" if abs(rel) <= 0.10 else "**not met**") if rel is not None else "-"))
    for name, r in (("exact trace", c), ("setprofile", p)):
        if not r.get("ok"):
            L.append("\nThe %s run failed: %s" % (name, r.get("error", "not run")))
    L.append("")


def render(res):
    L = ["#### Sampling (issue 6)", "",
         "`tools/bench/sample_workload.py rounds %d` (f, g, k in turn, about 2 ms a round, "
         "3 calls of about 1.1, 0.55 and 0.3 ms), "
         "launched, best of %d interleaved; the target's loop time measured inside it "
         "(interpreter start, the tracer's set-up and draining excluded), as a ratio to the "
         "untraced runs of the same repeats. Goal: at 99 Hz at most 1.03x untraced (1.01x "
         "hoped). f/g: the samples with f on the stack over those with g, per run "
         "(the workload's own CPU times make it 2.0). Tracer CPU: the run's process tree "
         "less the target's own CPU, start-up (loading the BPF object) included."
         % (res["rounds"], res["repeat"]), ""]
    _render_overhead(res, L)
    _render_bpf(res, L)
    if res["acc_label"]:
        _render_accuracy(res, L)
    return "\n".join(L) + "\n"
