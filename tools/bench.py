#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Overhead benchmark of build/tracer against the bare kernel probes.

For each interpreter present, one run interleaves, best-of-N:
  untraced   the workload (CALLS calls of a tiny function) run directly
  bpftrace   the same process under bpftrace counting the same probes
  tracer     the same process under `build/tracer` (summary output)
  bare_*     (dispatch table) the kernel's uprobes alone, as tracefs events,
             on the sites `tracer -v` lists (tools/bench/bareprobes.py)
and reports the loop time measured inside the workload, the time each
adds per call, and the ratio tracer_added / bpftrace_added (goal <= 1.3,
0 events lost).  A missed goal is reported, never an error: this is a
measurement.  Needs root.  See BENCHMARKS.md for the method.

  tools/bench.py [--repeat N] [--calls N] [--only LABEL]... [--write]
"""
import argparse
import datetime
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "bench"))

import allbench  # noqa: E402  (tools/bench/allbench.py)
import bareprobes  # noqa: E402  (tools/bench/bareprobes.py)
import bpfstats  # noqa: E402  (tools/bench/bpfstats.py)
import ccallbench  # noqa: E402  (tools/bench/ccallbench.py)
import covbench  # noqa: E402  (tools/bench/covbench.py)
import genbench  # noqa: E402  (tools/bench/genbench.py)
import parse    # noqa: E402  (tools/bench/parse.py)
import report   # noqa: E402  (tools/bench/report.py)
import samplebench  # noqa: E402  (tools/bench/samplebench.py)
import scale    # noqa: E402  (tools/bench/scale.py)
import startbench  # noqa: E402  (tools/bench/startbench.py)
import callbackbench  # noqa: E402  (tools/bench/callbackbench.py)
import targets  # noqa: E402  (tools/bench/targets.py)

ROOT = os.path.dirname(HERE)
WORKLOAD = os.path.join(HERE, "bench", "workload.py")
BENCHMARKS_MD = os.path.join(ROOT, "BENCHMARKS.md")
BPFTRACE = "/usr/bin/bpftrace"
RUN_TIMEOUT = 300


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def base_env():
    env = dict(os.environ)
    env.pop("PYTHONPERFSUPPORT", None)
    return env


def mode_list(t):
    """The modes run for target T: (key, description)."""
    modes = [("untraced", "untraced")]
    if t.perf:
        modes.append(("untraced_plain", "untraced, without PYTHONPERFSUPPORT"))
    if t.bpftrace:
        modes.append(("bpftrace", "bpftrace counting the tracer's probes"))
    if t.strategy == "usdt":
        modes.append(("bpftrace_noline",
                      "bpftrace counting entry+return only (no line probe)"))
    modes.append(("tracer", "build/tracer, summary"))
    if t.bare:
        modes.append(("bare_" + t.strategy, "tracefs uprobe events on the tracer's sites"))
    return modes


def command_for(mode, t, tracer, calls, result, json_out):
    """argv and environment of one run of MODE on target T."""
    env = base_env()
    env.update(t.env)
    work = [t.python, WORKLOAD, str(calls), result]
    if mode in ("untraced", "bpftrace", "bpftrace_noline", "bare_eval") and t.perf:
        env["PYTHONPERFSUPPORT"] = "1"   # the interpreter mode the tracer sets
    if mode in ("untraced", "untraced_plain", "bare_dispatch", "bare_eval"):
        # (the bare probes are put in place around the run: run_one)
        return work, env
    if mode in ("bpftrace", "bpftrace_noline"):
        prog = targets.bpftrace_program(t, line=(mode == "bpftrace"))
        return [BPFTRACE, "-e", prog, "-c", " ".join(work)], env
    if mode == "tracer":
        # with --strategy eval the tracer sets PYTHONPERFSUPPORT itself
        return [tracer] + t.tracer_args + ["--"] + work, env
    if mode == "tracer_json":
        return [tracer, "-o", json_out] + t.tracer_args + ["--"] + work, env
    raise ValueError(mode)


def run_one(mode, t, tracer, calls, tmp):
    """Run MODE once; a dict with loop (s), wall (s) and what was checked."""
    result = os.path.join(tmp, "result.txt")
    json_out = os.path.join(tmp, "trace.json")
    for p in (result, json_out):
        if os.path.exists(p):
            os.unlink(p)
    argv, env = command_for(mode, t, tracer, calls, result, json_out)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    bare = bareprobes.Events(t.bare) if mode.startswith("bare_") else None
    if bare:
        try:
            bare.__enter__()
        except OSError as e:
            return {"ok": False, "error": "cannot place the bare probes: %s" % e}
    t0 = time.monotonic()
    try:
        cp = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=RUN_TIMEOUT,
                            universal_newlines=True)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timed out after %d s" % RUN_TIMEOUT}
    finally:
        # (removed whatever happens; the hits read first)
        if bare:
            bare.__exit__(None, None, None)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the whole run (tool + target: each run is the only child reaped)
    tree_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    r = {"ok": True, "error": "", "wall": wall}
    problems = []
    if cp.returncode != 0:
        problems.append("exit status %d" % cp.returncode)
    try:
        with open(result) as f:
            loop, n, target_cpu = parse.workload_result(f.read())
        r["loop"] = loop
        # the tool's own CPU (the target's includes its BPF programs' time)
        r["tool_cpu"] = max(0.0, tree_cpu - target_cpu)
        if n != calls:
            problems.append("workload ran %d calls, not %d" % (n, calls))
    except (OSError, ValueError) as e:
        problems.append("no workload result (%s)" % e)
    if mode.startswith("bpftrace"):
        counts = parse.bpftrace_counts(cp.stdout)
        r["counts"] = counts
        need = ("e", "r", "l") if mode == "bpftrace" and t.strategy == "usdt" \
            else ("r",) if mode == "bpftrace_noline" else ("e", "r")
        for k in need:
            if counts.get(k, 0) < calls:
                problems.append("bpftrace @%s = %d < %d calls: probe did not fire"
                                % (k, counts.get(k, 0), calls))
    elif bare:
        # fired on every call and return (other processes of the same file
        # may add hits: the events are the file's)
        r["counts"] = dict(bare.hits)
        for k in ("call", "return"):
            if bare.hits.get(k, 0) < calls:
                problems.append("bare probes: %d %s hits < %d calls"
                                % (bare.hits.get(k, 0), k, calls))
    elif mode == "tracer":
        try:
            r.update(parse.tracer_summary(cp.stdout))
            if r["completed"] < calls:
                problems.append("tracer saw %d calls < %d" % (r["completed"], calls))
        except ValueError as e:
            problems.append(str(e))
    elif mode == "tracer_json":
        try:
            r["json_bytes"] = os.path.getsize(json_out)
            r.update(parse.tracer_json(json_out))
            if r["completed"] < calls:
                problems.append("trace has %d calls < %d" % (r["completed"], calls))
        except (OSError, ValueError) as e:
            problems.append("bad JSON trace (%s)" % e)
        finally:
            if os.path.exists(json_out):
                os.unlink(json_out)
    if problems:
        r["ok"] = False
        r["error"] = "; ".join(problems)
        tail = (cp.stderr or "").strip().splitlines()[-3:]
        if tail:
            r["error"] += " [stderr: %s]" % " | ".join(tail)
    return r


def bpf_stats_pass(found, tracer, calls, tmp, runs):
    """One untimed run of bpftrace and of the tracer per interpreter with the
    kernel's BPF run-time statistics on: time spent inside the programs."""
    with bpfstats.Stats() as st:
        if st.error:
            log("no BPF statistics: %s" % st.error)
            return
        for t in found:
            for m in ("bpftrace", "tracer") if t.bpftrace else ("tracer",):
                argv, env = command_for(m, t, tracer, calls,
                                        os.path.join(tmp, "result.txt"), None)
                rc, progs = bpfstats.sample(argv, env)
                runs[(t.label, "bpfstats_" + m)] = [{"rc": rc, "progs": progs}]
                log("bpf stats %-14s %-9s %s" % (t.label, m, ", ".join(
                    "%s %d runs %.0f ns" % (n, c, ns / c if c else 0)
                    for n, (c, ns) in sorted(progs.items()))))


def plan_bare(found, tracer):
    """The bare kernel probes of the dispatch table (tools/bench/bareprobes.py):
    on each unflagged dispatch target (not the Debian and stripped rows), the
    sites `tracer -v` lists for it; on its perf-trampoline eval counterpart,
    the evaluator's entry and return.  Sets each target's .bare; returns
    [(label, reason)] of those left without, said and never fatal."""
    disp = [t for t in found if t.strategy == "dispatch" and " pyenv dispatch" in t.label
            and not t.env]
    if not disp:
        return []
    why = bareprobes.available()
    if why:
        log("no bare probes: %s" % why)
        return [(t.label, why) for t in disp]
    skipped = []
    for t in disp:
        env = base_env()
        env.update(t.env)
        try:
            f, sites, eval_off = bareprobes.tracer_sites(tracer, t, env)
        except ValueError as e:
            log("no bare probes for %s: %s" % (t.label, e))
            skipped.append((t.label, str(e)))
            continue
        t.bare = bareprobes.dispatch_plan(t.probe_path, sites)
        log("bare probes %s: %s" % (t.label, t.bare.what))
        ev = [e for e in found if e.label == t.label.replace(" dispatch", "") and e.perf]
        for e in ev:
            e.bare = bareprobes.eval_plan(e.probe_path, eval_off)
    return skipped


def summarize(runs):
    """min/median of the good runs' loop and wall times."""
    good = [r for r in runs if r.get("ok") and "loop" in r]
    s = {"n": len(good), "runs": len(runs),
         "errors": sorted({r["error"] for r in runs if not r.get("ok")})}
    if good:
        loops = [r["loop"] for r in good]
        s["min"] = min(loops)
        s["med"] = statistics.median(loops)
        s["wall_med"] = statistics.median(r["wall"] for r in good)
        s["tool_cpu_med"] = statistics.median(r["tool_cpu"] for r in good)
        for key in ("lost", "seen", "completed", "json_bytes"):
            vals = [r[key] for r in good if key in r]
            if vals:
                s[key] = max(vals)
        counts = [r["counts"] for r in good if "counts" in r]
        if counts:
            s["counts"] = {k: min(c.get(k, 0) for c in counts) for k in counts[0]}
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=9, help="runs per mode (best-of-N)")
    ap.add_argument("--calls", type=int, default=300000, help="calls in the loop")
    ap.add_argument("--only", action="append", default=[],
                    help="only interpreters whose label contains this (repeatable)")
    ap.add_argument("--no-json", action="store_true", help="skip the -o x.json run")
    ap.add_argument("--no-bpf-stats", action="store_true",
                    help="skip the pass measuring BPF program run time")
    ap.add_argument("--scale-calls", type=int, default=5000000,
                    help="calls of the output-format scale session (0: skip it)")
    ap.add_argument("--no-coverage", action="store_true", help="skip the coverage runs")
    ap.add_argument("--no-sampling", action="store_true", help="skip the sampling runs")
    ap.add_argument("--no-all", action="store_true", help="skip the system-wide (-a) runs")
    ap.add_argument("--generator-seconds", type=float, default=5.0,
                    help="CPU seconds of each generator-pipeline run, exact, sampled and "
                         "exact with --subtract-probe-cost, on 3.12+ unflagged (0: skip them)")
    ap.add_argument("--no-ccalls", action="store_true",
                    help="skip the --c-calls runs (cost per C call, a real program)")
    ap.add_argument("--sample-rounds", type=int, default=1000,
                    help="rounds of work of each sampling overhead run (about 2 ms each)")
    ap.add_argument("--sample-accuracy-seconds", type=float, default=10.0,
                    help="CPU seconds of each sampling accuracy run")
    ap.add_argument("--no-start", action="store_true",
                    help="skip the start/stop runs and the BPF load table")
    ap.add_argument("--no-callbacks", action="store_true",
                    help="skip the Python-entered-from-C runs (dispatch strategy)")
    ap.add_argument("--callback-calls", type=int, default=100000,
                    help="calls in the Python-entered-from-C loops")
    ap.add_argument("--baseline", metavar="TRACER",
                    help="another build of the tracer (e.g. before a change) whose start and "
                         "stop, and Python entered from C, are measured in the same run")
    ap.add_argument("--tracer", default=os.path.join(ROOT, "build", "tracer"))
    ap.add_argument("--write", action="store_true",
                    help="replace the results section of BENCHMARKS.md")
    a = ap.parse_args()
    if a.repeat < 1 or a.calls < 1:
        ap.error("--repeat and --calls must be positive")
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (bpftrace and the tracer attach uprobes)")
    for exe in (a.tracer, BPFTRACE):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s not found or not executable (run `make` first?)" % exe)

    found, skipped = targets.discover()
    if a.only:
        found = [t for t in found if any(o in t.label for o in a.only)]
    for label, why in skipped:
        log("skip %s: %s" % (label, why))
    if not found:
        sys.exit("bench: no interpreter to measure")
    for t in found:
        if " " in t.python or " " in WORKLOAD:
            sys.exit("bench: paths with spaces do not survive bpftrace -c")

    # the other sections run their own commands, without a target's env
    # (the stripped copies are measured per call only)
    plain = [t for t in found if not t.env]
    bare_skipped = plan_bare(found, a.tracer)
    started = datetime.datetime.now()
    runs = {(t.label, m): [] for t in found for m, _ in mode_list(t)}
    with tempfile.TemporaryDirectory(prefix="tracer-bench-") as tmp:
        # interleave: every repeat runs every mode of every interpreter, so a
        # slow stretch of the (noisy) machine hits all modes alike
        for rep in range(a.repeat):
            for t in found:
                for m, _ in mode_list(t):
                    r = run_one(m, t, a.tracer, a.calls, tmp)
                    runs[(t.label, m)].append(r)
                    log("%d/%d %-14s %-16s %s" % (
                        rep + 1, a.repeat, t.label, m,
                        "%.1f ms" % (r["loop"] * 1e3) if r.get("ok")
                        else "FAILED: " + r["error"]))
        if not a.no_json:
            for t in found:
                r = run_one("tracer_json", t, a.tracer, a.calls, tmp)
                runs[(t.label, "tracer_json")] = [r]
                log("json   %-14s %s" % (t.label, "%.1f ms" % (r["loop"] * 1e3)
                                          if r.get("ok") else "FAILED: " + r["error"]))
        if not a.no_bpf_stats:
            bpf_stats_pass(found, a.tracer, a.calls, tmp, runs)
        scale_text = ""
        if a.scale_calls > 0:
            # the fastest exact strategy at hand: the eval uprobes of 3.10
            st = ([t for t in plain if t.label.startswith("3.10")] or plain)[0]
            res = scale.run(a.tracer, st.python, WORKLOAD, a.scale_calls, tmp, log)
            scale_text = scale.render(res, st.label, a.scale_calls)
        if not a.no_coverage:
            cov = covbench.run(a.tracer, plain, tmp, a.repeat, log)
            scale_text += "\n" + covbench.render(cov, a.repeat)
        if not a.no_sampling:
            smp = samplebench.run(a.tracer, plain, tmp, a.repeat, log, a.sample_rounds,
                                  a.sample_accuracy_seconds)
            scale_text += "\n" + samplebench.render(smp)
        if a.generator_seconds > 0:
            gen = genbench.run(a.tracer, plain, tmp, log, a.generator_seconds)
            scale_text += "\n" + genbench.render(gen)
        if not a.no_ccalls:
            cc = ccallbench.run(a.tracer, plain, tmp, min(a.repeat, 3), log)
            scale_text += "\n" + ccallbench.render(cc)
        if not a.no_all:
            sw = allbench.run(a.tracer, plain, tmp, a.repeat, log)
            scale_text += "\n" + allbench.render(sw)
        # the builds compared in the same run (start/stop, Python from C)
        tracers = [("this build", a.tracer)] + ([("baseline", a.baseline)] if a.baseline
                                                else [])
        if not a.no_callbacks:
            cb = callbackbench.run(tracers, plain, min(a.repeat, 5), a.callback_calls, log)
            scale_text += "\n" + callbackbench.render(cb, tracers, min(a.repeat, 5),
                                                      a.callback_calls)
        if not a.no_start:
            rounds = 3
            rows = startbench.load_table(os.path.join(ROOT, "build", "bench-load-times"),
                                         rounds, log)
            st = startbench.run(tracers, plain, a.repeat, log)
            scale_text += "\n" + startbench.render(rows, st, tracers, a.repeat, rounds)
    elapsed = (datetime.datetime.now() - started).total_seconds()

    stats = {k: summarize(v) if not k[1].startswith("bpfstats_") else v[0]
             for k, v in runs.items()}
    text = report.render(found, skipped, stats, a.calls, a.repeat,
                         report.machine_info(a.tracer, BPFTRACE), started, elapsed,
                         bare_skipped)
    if scale_text:
        text += "\n" + scale_text
    sys.stdout.write(text)
    if a.write:
        report.write_results(BENCHMARKS_MD, text)
        log("wrote the results section of %s" % BENCHMARKS_MD)
    return 0


if __name__ == "__main__":
    sys.exit(main())
