# SPDX-License-Identifier: MIT
"""Scale of the output formats (issue 4): a session of CALLS calls (2 events
each) written to the streaming formats, with the tracer's peak memory.

Peak memory is the tracer's VmHWM (/proc/PID/status, the kernel's high-water
mark of its resident set), read every 20 ms until it exits: only the last
≤ 20 ms can escape, and the formats are written as the session goes
(.pftrace) or from aggregates that are complete before that (.folded,
.pprof, .svg). A summary-only run of the same session is the baseline: the
loaded BPF object, libbpf, the analyzer.
"""
import os
import subprocess
import time

# -o sets measured, each in its own session
SETS = (
    ("summary only (baseline)", ["-o", "-"]),
    (".pftrace", ["-o", "{d}/x.pftrace"]),
    (".folded + .pprof + .svg", ["-o", "{d}/x.folded", "-o", "{d}/x.pprof", "-o", "{d}/x.svg"]),
)


def _hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _events(out):
    for line in out.splitlines():
        if line.startswith("events:"):
            parts = line.split()
            return int(parts[1]), int(parts[3])
    return None, None


def run(tracer, python, workload, calls, tmp, log):
    """[{name, ok, error, hwm_mib, seconds, files: {name: bytes}, seen, lost}]"""
    results = []
    for name, args in SETS:
        d = os.path.join(tmp, "scale")
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        argv = [tracer] + [a.format(d=d) for a in args]
        if "-" not in args:
            argv += ["-o", "-"]  # for the events line
        argv += ["--", python, workload, str(calls), os.path.join(tmp, "scale.res")]
        r = {"name": name, "ok": False, "files": {}}
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True)
        hwm = 0
        while p.poll() is None:
            v = _hwm_kib(p.pid)
            if v:
                hwm = max(hwm, v)
            time.sleep(0.02)
        out, err = p.communicate()
        r["seconds"] = time.monotonic() - t0
        r["hwm_mib"] = hwm / 1024.0
        r["seen"], r["lost"] = _events(out)
        if p.returncode != 0 or r["seen"] is None:
            r["error"] = (err.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        else:
            r["ok"] = True
            for f in sorted(os.listdir(d)):
                r["files"][f] = os.path.getsize(os.path.join(d, f))
        log("scale  %-26s %s" % (name, "%.1f MiB peak, %.1f s" % (r["hwm_mib"], r["seconds"])
                                 if r["ok"] else "FAILED: " + r["error"]))
        results.append(r)
    return results


def render(results, label, calls):
    lines = ["#### Scale of the output formats (issue 4)", "",
             "One session of %d calls (%s), written to the formats below; peak RSS "
             "is the tracer's VmHWM. Goal: `.pftrace` with a peak RSS under 100 MiB and at "
             "most 16 bytes per event." % (calls, label), "",
             "| Outputs | Events seen | Lost | Tracer peak RSS MiB | Files (bytes per event) "
             "| Goal |", "|---|---|---|---|---|---|"]
    for r in results:
        if not r["ok"]:
            lines.append("| %s | — | — | — | FAILED: %s | — |" % (r["name"], r["error"]))
            continue
        files = ", ".join("%s %.1f MB (%.2f B)" % (f, b / 1e6, b / max(r["seen"], 1))
                          for f, b in r["files"].items()) or "—"
        goal = "—"
        if "x.pftrace" in r["files"]:
            per = r["files"]["x.pftrace"] / max(r["seen"], 1)
            goal = "met" if per <= 16 and r["hwm_mib"] < 100 and r["lost"] == 0 \
                else "**not met**"
        lines.append("| %s | %d | %d | %.1f | %s | %s |" % (
            r["name"], r["seen"], r["lost"], r["hwm_mib"], files, goal))
    return "\n".join(lines) + "\n"
