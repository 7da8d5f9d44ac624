# SPDX-License-Identifier: MIT
"""Start and stop of a session (issue 20), and each BPF program's load time.

Load table: build/bench-load-times loads the object once per program with
only that program (best of N): its load + verification time, next to a
load with no program (maps, BTF), which every row includes.

Start and stop, per interpreter, best of N, interleaved with the tracer of
--baseline (the build before a change, measured in the same run):
  attach     a target running a recursive loop; `tracer -p PID -d 1`: the
             time from the tracer's start to its `tracer: tracing` line,
             printed once every probe is attached and switched on (the
             target is busy: its first event follows at once)
  -d 1       the same session's whole run, start to exit (1 s of tracing)
  launch     `tracer -o x.json -- python -c pass` minus `python -c pass`, with
             the calls it traced (the interpreter's start-up: its site
             packages' .pth files run at every start), and the same with
             `python -S` (no site module: what is left is the tracer's own
             start and stop)
Exact (calls) and --sample sessions both."""
import os
import re
import subprocess
import tempfile
import time

LOOP = ("import os, sys\n"
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "print('ready', flush=True)\n"
        "while True:\n    fib(18)\n")


def load_table(tool, rounds, log):
    p = subprocess.run([tool, str(rounds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600)
    if p.returncode != 0:
        log("bench-load-times failed: %s" % p.stderr.decode(errors="replace")[-300:])
        return []
    rows = []
    for line in p.stdout.decode().splitlines():
        name, insns, verified, ms = line.split("\t")
        rows.append((name, int(insns), int(verified), float(ms)))
    return rows


def _session(tracer, pid, extra, out, env):
    """(seconds to `tracer: tracing`, seconds to exit), or (None, None)"""
    t0 = time.perf_counter()
    p = subprocess.Popen([tracer, "-p", str(pid), "-d", "1", "-o", out] + extra,
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    live = None
    for raw in p.stderr:
        if raw.startswith(b"tracer: tracing") and live is None:
            live = time.perf_counter() - t0
    rc = p.wait(120)
    total = time.perf_counter() - t0
    return (live, total) if rc == 0 else (None, None)


def _launch(tracer, python, flags, out, env):
    """(seconds, calls traced), or (None, None)"""
    t0 = time.perf_counter()
    p = subprocess.run([tracer, "-o", out, "--", python] + flags + ["-c", "pass"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    took = time.perf_counter() - t0
    m = re.search(rb"; (\d+) calls", p.stderr)
    return (took, int(m.group(1)) if m else None) if p.returncode == 0 else (None, None)


def _untraced(python, flags):
    t0 = time.perf_counter()
    subprocess.run([python] + flags + ["-c", "pass"], check=True)
    return time.perf_counter() - t0


def variants(tracers, cache):
    """each tracer twice: with root's analysis cache off (TRACER_CACHE_DIR
    empty: what a first session on an interpreter file costs) and with a
    cache of this run's own (CACHE, filled by the first round: what a
    later session on the same file costs)"""
    out = []
    for name, path in tracers:
        for label, value in (("cache off", ""), ("cached", cache)):
            env = dict(os.environ)
            env["TRACER_CACHE_DIR"] = value
            out.append(("%s, %s" % (name, label), path, env))
    return out


def run(tracers, found, repeat, log):
    """TRACERS: [(name, path)]; FOUND: bench targets (tools/bench/targets.py)"""
    res = {}
    with tempfile.TemporaryDirectory(prefix="tracer-startbench-") as tmp:
        os.chmod(tmp, 0o700)
        cache = os.path.join(tmp, "cache")
        loop = os.path.join(tmp, "loop.py")
        with open(loop, "w") as f:
            f.write(LOOP)
        for t in found:
            if t.perf:
                continue	# the trampoline variant: same start as its plain build
            target = subprocess.Popen([t.python, loop], stdout=subprocess.PIPE)
            try:
                target.stdout.readline()
                for rep in range(repeat):
                    for name, path, env in variants(tracers, cache):
                        for mode, extra, out in (("exact", [], "x.json"),
                                                 ("sample", ["--sample=99"], "x.folded")):
                            live, total = _session(path, target.pid, extra,
                                                   os.path.join(tmp, out), env)
                            r = res.setdefault((t.label, name, mode), {})
                            r.setdefault("live", []).append(live)
                            r.setdefault("d1", []).append(total)
                        r = res.setdefault((t.label, name, "launch"), {})
                        for key, flags in (("", []), ("S", ["-S"])):
                            took, calls = _launch(path, t.python, flags,
                                                  os.path.join(tmp, "l.json"), env)
                            r.setdefault("launch" + key, []).append(took)
                            r.setdefault("calls" + key, []).append(calls)
                            r.setdefault("untraced" + key, []).append(_untraced(t.python, flags))
                    log("start %d/%d %s" % (rep + 1, repeat, t.label))
            finally:
                target.kill()
                target.wait()
    return res


def _best(v):
    v = [x for x in v if x is not None]
    return min(v) if v else None


def _fmt(v):
    return "%.2f" % v if v is not None else "failed"


def render(rows, res, tracers, repeat, rounds):
    lines = ["#### Start and stop (issue 20)", "",
             "Each program of bpf/tracer.bpf.c loaded alone (best of %d; `(maps only)`: a load "
             "with no program, included in every row; a session loads only what it attaches)."
             % rounds, "", "| Program | Instructions | Verified instructions | Load ms |",
             "|---|---|---|---|"]
    for name, insns, verified, ms in rows:
        lines.append("| %s | %d | %d | %.1f |" % (name, insns, verified, ms))
    lines += ["", "A session on a running recursive loop (`-p PID -d 1`) and a launch of "
              "`python -c pass`, best of %d, interleaved%s; each with root's analysis cache off "
              "(a first session on the interpreter file) and with a cache the first round "
              "filled (a later one). Seconds. The launch traces the interpreter's start-up "
              "(calls: its site packages' `.pth` files run at every start; one of this "
              "machine's imports `certifi` where it is installed, as in pyenv 3.11); with `python -S` (no site "
              "module) what is left is the tracer's own start and stop." % (
                  repeat, " with " + " and ".join(n for n, _ in tracers) if len(tracers) > 1
                  else ""), "",
              "| Interpreter | Tracer | Attach, exact | Attach, --sample | `-d 1` exact | "
              "`-d 1` --sample | Launch minus untraced (calls) | Launch `-S` minus untraced "
              "`-S` (calls) |", "|---|---|---|---|---|---|---|---|"]
    labels, names = [], []
    for key in res:
        if key[0] not in labels:
            labels.append(key[0])
        if key[1] not in names:
            names.append(key[1])
    for label in labels:
        for name in names:
            ex = res.get((label, name, "exact"), {})
            sm = res.get((label, name, "sample"), {})
            la = res.get((label, name, "launch"), {})
            launches = []
            for key in ("", "S"):
                launch = _best(la.get("launch" + key, []))
                untraced = _best(la.get("untraced" + key, []))
                calls = [c for c in la.get("calls" + key, []) if c is not None]
                launches.append("%s (%s)" % (
                    _fmt(launch - untraced if launch is not None and untraced is not None
                         else None), max(calls) if calls else "?"))
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                label, name, _fmt(_best(ex.get("live", []))), _fmt(_best(sm.get("live", []))),
                _fmt(_best(ex.get("d1", []))), _fmt(_best(sm.get("d1", []))), *launches))
    return "\n".join(lines) + "\n"


def main():
    """only this section: tools/bench/startbench.py [--baseline TRACER]
    [--repeat N] [--only LABEL]..."""
    import argparse
    import sys
    import targets
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3, help="loads per program")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--baseline")
    ap.add_argument("--tracer", default=os.path.join(root, "build", "tracer"))
    a = ap.parse_args()

    def log(m):
        sys.stderr.write("bench: %s\n" % m)
    found, _ = targets.discover()
    if a.only:
        found = [t for t in found if any(o in t.label for o in a.only)]
    rows = load_table(os.path.join(root, "build", "bench-load-times"), a.rounds, log)
    tracers = [("this build", a.tracer)] + ([("baseline", a.baseline)] if a.baseline else [])
    sys.stdout.write(render(rows, run(tracers, found, a.repeat, log), tracers, a.repeat,
                            a.rounds))


if __name__ == "__main__":
    main()
