# SPDX-License-Identifier: MIT
"""System-wide sessions (issue 7): what `tracer -a` costs processes that are
not Python, and how late a process started during the session is traced.

Non-Python cost: a shell loop running /bin/true EXECS times (fork + exec +
exit: what -a adds to a non-Python process is the exec and exit
tracepoints and, for an exec, a notice userspace looks at), untraced and
with `tracer -a` running (no filter: every exec is looked at), best
of N, interleaved. Python processes are never probed unless they map a
probed interpreter file, so their steady state costs nothing here.

Gap: for each interpreter, a fresh `tracer -a` session, then a process of
that interpreter started (a file the session has not seen: analysed, then
probed); the tracer says in the process's description how long after its
exec its file's probes were active. That is the gap for a first-seen file;
a process of a file already probed has none (its probes are installed by
the kernel when it maps the file, and its entry is made at its first probe
hit: tests/e2e/test_system_wide.py checks its whole run is exact)."""
import json
import os
import re
import signal
import subprocess
import time

EXECS = 300
_GAP = re.compile(r"started ([0-9.]+) ms before its interpreter file was probed")


def _start_tracer(tracer, args, out, log):
    p = subprocess.Popen([tracer, "-a", "-o", out] + args, stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, start_new_session=True)
    lines = []
    for raw in p.stderr:
        lines.append(raw.decode(errors="replace"))
        if raw.startswith(b"tracer: tracing"):
            return p, lines
    p.wait()
    log("tracer -a did not start: %s" % "".join(lines)[-500:])
    return None, lines


def _stop(p):
    p.send_signal(signal.SIGINT)
    rest = p.stderr.read().decode(errors="replace")
    return p.wait(300), rest


def _exec_loop():
    t0 = time.perf_counter()
    subprocess.run(["/bin/sh", "-c", "i=0; while [ $i -lt %d ]; do /bin/true; i=$((i+1)); done"
                    % EXECS], check=True)
    return time.perf_counter() - t0


def run(tracer, found, tmp, repeat, log):
    res = {"execs": {"untraced": [], "tracer -a": []}, "gap": {}}
    out = os.path.join(tmp, "all.json")
    me = ["--exclude-pid", str(os.getpid())]
    for rep in range(repeat):
        res["execs"]["untraced"].append(_exec_loop())
        p, _ = _start_tracer(tracer, me, out, log)
        if p is None:
            continue
        res["execs"]["tracer -a"].append(_exec_loop())
        _stop(p)
        log("%d/%d -a exec loop: untraced %.3f s, tracer -a %.3f s" % (
            rep + 1, repeat, res["execs"]["untraced"][-1], res["execs"]["tracer -a"][-1]))
    for t in found:
        if t.perf:
            continue
        link = os.path.join(tmp, "bench-gap")
        gaps = []
        for rep in range(min(repeat, 3)):
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(t.python, link)
            p, _ = _start_tracer(tracer, ["--comm", "bench-gap"], out, log)
            if p is None:
                break
            # it lives longer than the analysis of its file takes
            subprocess.run([link, "-c", "import time; time.sleep(1.5)"], check=True)
            rc, _ = _stop(p)
            try:
                with open(out) as f:
                    procs = json.load(f)[-1]["args"].get("processes", [])
            except (OSError, ValueError, LookupError, TypeError):
                procs = []
            for pr in procs:
                for w in pr.get("warnings", []):
                    m = _GAP.search(w)
                    if m:
                        gaps.append(float(m.group(1)))
        res["gap"][t.label] = gaps
        log("-a gap %s: %s ms" % (t.label, gaps))
    return res


def render(res):
    ex = res["execs"]
    base = min(ex["untraced"]) if ex["untraced"] else None
    traced = min(ex["tracer -a"]) if ex["tracer -a"] else None
    lines = ["#### System-wide sessions (issue 7)", "",
             "Non-Python processes: `/bin/true` run %d times by a shell loop (fork, exec, exit), "
             "best of %d interleaved, untraced and while `tracer -a` runs with no process "
             "no filter (its exec/exit tracepoints, and a look at each exec by the tracer, are all it adds)."
             % (EXECS, len(ex["untraced"])), "",
             "| Mode | Loop s (best) | Per exec ms | Ratio |", "|---|---|---|---|"]
    for m, v in (("untraced", base), ("tracer -a", traced)):
        lines.append("| %s | %s | %s | %s |" % (
            m, "%.3f" % v if v else "failed", "%.2f" % (v / EXECS * 1e3) if v else "-",
            "%.3f" % (v / base) if v and base else "-"))
    lines += ["", "Gap of a process started during the session whose interpreter file the "
              "session had not seen (analysed and probed after its exec; the time from its "
              "exec to its file's probes being active, as the tracer reports it). A process of "
              "a file already probed has no gap: it is traced from its first call.", "",
              "| Interpreter | Gap ms (each run) | Median |", "|---|---|---|"]
    for label, gaps in res["gap"].items():
        med = sorted(gaps)[len(gaps) // 2] if gaps else None
        lines.append("| %s | %s | %s |" % (label, ", ".join("%.1f" % g for g in gaps) or
                                           "not measured", "%.1f" % med if med else "-"))
    return "\n".join(lines) + "\n"
