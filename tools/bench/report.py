# SPDX-License-Identifier: MIT
"""Markdown rendering of the benchmark's results, machine description, and
the update of BENCHMARKS.md's results section."""
import os
import platform
import subprocess

BEGIN = "<!-- bench:results:begin (written by tools/bench.py --write) -->"
END = "<!-- bench:results:end -->"
GOAL_RATIO = 1.3


def _cmd(argv, cwd=None):
    try:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=30, cwd=cwd).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _proc_field(path, key):
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k.strip() == key:
                    return v.strip()
    except OSError:
        pass
    return ""


def machine_info(tracer, bpftrace):
    root = os.path.dirname(os.path.dirname(os.path.abspath(tracer)))
    mem_kb = _proc_field("/proc/meminfo", "MemTotal").split()
    mem = "%.1f GiB" % (int(mem_kb[0]) / 1048576.0) if mem_kb and mem_kb[0].isdigit() else "?"
    commit = _cmd(["git", "rev-parse", "--short", "HEAD"], cwd=root)
    dirty = _cmd(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root)
    return {
        "cpus": os.cpu_count(),
        "model": _proc_field("/proc/cpuinfo", "model name") or "?",
        "kernel": platform.release(),
        "memory": mem,
        "bpftrace": _cmd([bpftrace, "--version"]) or "?",
        "tracer": "commit %s%s" % (commit or "?", " + uncommitted changes" if dirty else ""),
    }


def _ms(s, key):
    return "%.1f" % (s[key] * 1e3) if key in s else "—"


def _min_med(s):
    if "min" not in s:
        return "FAILED"
    return "%s / %s" % (_ms(s, "min"), _ms(s, "med"))


def _added(s, base, calls, key):
    """ns per call S adds over BASE (by min or med), None when unknown."""
    if key not in s or key not in base:
        return None
    return (s[key] - base[key]) / calls * 1e9


def _ns(v):
    return "—" if v is None else "%.0f" % v


def _ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def _fmt_ratio(r):
    return "n/a" if r is None else "%.2f" % r


def _goal(stats, label, calls):
    """(ratio by min, ratio by median, lost, met?) for LABEL."""
    base = stats[(label, "untraced")]
    bt = stats[(label, "bpftrace")]
    tr = stats[(label, "tracer")]
    r_min = _ratio(_added(tr, base, calls, "min"), _added(bt, base, calls, "min"))
    r_med = _ratio(_added(tr, base, calls, "med"), _added(bt, base, calls, "med"))
    lost = tr.get("lost")
    complete = all(not stats[(label, m)]["errors"] for m in ("untraced", "bpftrace", "tracer"))
    met = complete and r_min is not None and r_min <= GOAL_RATIO and lost == 0
    return r_min, r_med, lost, met


def render(found, skipped, stats, calls, repeat, machine, started, elapsed, bare_skipped=()):
    L = []
    L.append("### Run of %s\n" % started.strftime("%Y-%m-%d %H:%M"))
    L.append("- Machine: %s × %s, %s RAM, kernel %s" % (
        machine["cpus"], machine["model"], machine["memory"], machine["kernel"]))
    L.append("- Tools: %s; tracer %s" % (machine["bpftrace"], machine["tracer"]))
    L.append("- Workload: %d calls of a one-line function, loop timed inside the process; "
             "best of %d runs per mode, modes interleaved; whole bench %.0f s"
             % (calls, repeat, elapsed))
    L.append("")
    L.append("Loop time in ms as min / median of the runs. *Added* is (mode − untraced) "
             "/ calls in ns per call, from the minima (medians in parentheses). *Ratio* "
             "= tracer added / bpftrace added; goal ≤ %.1f with 0 events lost." % GOAL_RATIO)
    L.append("")
    L.append("| Interpreter | Probes | Untraced ms | bpftrace ms | tracer ms | "
             "bpftrace added ns/call | tracer added ns/call | Ratio | Lost | Goal |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    met_n = 0
    probed = [t for t in found if t.bpftrace]
    for t in probed:
        base = stats[(t.label, "untraced")]
        bt = stats[(t.label, "bpftrace")]
        tr = stats[(t.label, "tracer")]
        r_min, r_med, lost, met = _goal(stats, t.label, calls)
        met_n += met
        L.append("| %s | %s | %s | %s | %s | %s (%s) | %s (%s) | %s (%s) | %s | %s |" % (
            t.label, t.probes(), _min_med(base), _min_med(bt), _min_med(tr),
            _ns(_added(bt, base, calls, "min")), _ns(_added(bt, base, calls, "med")),
            _ns(_added(tr, base, calls, "min")), _ns(_added(tr, base, calls, "med")),
            _fmt_ratio(r_min), _fmt_ratio(r_med),
            "?" if lost is None else lost, "met" if met else "**not met**"))
    L.append("")
    L.append("Goal met on %d of %d interpreters." % (met_n, len(probed)))
    if any(t.perf for t in found):
        L.append("For 3.12/3.13 the untraced and bpftrace runs use PYTHONPERFSUPPORT=1, "
                 "the interpreter mode the tracer sets (see the perf trampoline table).")
    L.append("")

    # Debian's 3.11 (stripped, no perf trampoline): dispatch against USDT
    deb = [t for t in found if t.strategy == "dispatch" and " debian" in t.label]
    if deb:
        L.append("#### Debian 3.11: dispatch against USDT (+ line)\n")
        L.append("The two exact strategies of Debian's python3.11 (PGO+LTO, stripped: the "
                 "dispatch sites and exit_unwind found from the code), each forced, each "
                 "from the same untraced baseline of this run. The faster is the default.")
        L.append("")
        L.append("| Interpreter | Untraced ms | dispatch ms | USDT + line ms | dispatch added "
                 "ns/call | USDT + line added ns/call | dispatch / USDT | Lost |")
        L.append("|---|---|---|---|---|---|---|---|")
        for t in deb:
            us = t.label.replace(" dispatch", "")
            base, tr = stats[(t.label, "untraced")], stats[(t.label, "tracer")]
            u = stats.get((us, "tracer"), {})
            d_min, d_med = _added(tr, base, calls, "min"), _added(tr, base, calls, "med")
            u_min, u_med = _added(u, base, calls, "min"), _added(u, base, calls, "med")
            L.append("| %s | %s | %s | %s | %s (%s) | %s (%s) | %s (%s) | %s |" % (
                t.label, _min_med(base), _min_med(tr), _min_med(u), _ns(d_min), _ns(d_med),
                _ns(u_min), _ns(u_med), _fmt_ratio(_ratio(d_min, u_min)),
                _fmt_ratio(_ratio(d_med, u_med)), tr.get("lost", "?")))
        L.append("")

    stripped = [t for t in found if t.label.endswith(" stripped")]
    if stripped:
        L.append("#### Dispatch on stripped copies\n")
        L.append("Each pyenv libpython copied and run through `strip --strip-all`, found "
                 "through LD_LIBRARY_PATH: the handler table, the specialized forms and "
                 "exit_unwind come from the code, not the symbols and DWARF. Per-call cost "
                 "against the unstripped library in the same run (same sites expected: "
                 "ratio ~1).")
        L.append("")
        L.append("| Interpreter | Untraced ms | tracer ms | Added ns/call | unstripped added "
                 "ns/call | Ratio | Lost |")
        L.append("|---|---|---|---|---|---|---|")
        for t in stripped:
            full = t.label[:-len(" stripped")]
            base, tr = stats[(t.label, "untraced")], stats[(t.label, "tracer")]
            f_min = f_med = None
            if (full, "tracer") in stats:
                f_min = _added(stats[(full, "tracer")], stats[(full, "untraced")], calls, "min")
                f_med = _added(stats[(full, "tracer")], stats[(full, "untraced")], calls, "med")
            a_min, a_med = _added(tr, base, calls, "min"), _added(tr, base, calls, "med")
            L.append("| %s | %s | %s | %s (%s) | %s (%s) | %s (%s) | %s |" % (
                t.label, _min_med(base), _min_med(tr), _ns(a_min), _ns(a_med),
                _ns(f_min), _ns(f_med), _fmt_ratio(_ratio(a_min, f_min)),
                _fmt_ratio(_ratio(a_med, f_med)), tr.get("lost", "?")))
        L.append("")

    disp = [t for t in found if t.strategy == "dispatch" and t not in deb and t not in stripped]
    if disp:
        L.append("#### Dispatch strategy (3.11+, target started with no flag)\n")
        L.append("Per-call cost of tracing an unflagged process with the dispatch probes, "
                 "against tracing the same loop started with the perf trampoline (eval "
                 "strategy, `-X perf` / PYTHONPERFSUPPORT=1), each from its own untraced "
                 "baseline measured in this run. Goal on 3.12: ratio ≤ 1.5 (1.2 hoped).")
        L.append("")
        L.append("The *bare* columns are the kernel's floor under each strategy, measured "
                 "in the same run, interleaved and best-of-N like the rest: tracefs uprobe "
                 "events (no BPF program, nothing recorded: the trap and the kernel's "
                 "handling only) on exactly the sites `tracer -v` lists for the "
                 "interpreter. *Bare dispatch*: a uprobe on every dispatch site (the "
                 "RESUME forms, the RETURN/YIELD forms, exit_unwind), unflagged run; *bare "
                 "eval*: `p:` + `r:` (uprobe + uretprobe) on _PyEval_EvalFrameDefault, "
                 "PYTHONPERFSUPPORT=1 run. *Bare ratio* = bare dispatch ÷ bare eval: what "
                 "the ratio would be if the BPF programs cost nothing. *tracer ÷ bare "
                 "dispatch* = the dispatch tracer's added ÷ its bare probes' added. Each "
                 "bare run checks its probes fired at least once per call and return.")
        L.append("")
        L.append("| Interpreter | Untraced ms | tracer ms | Added ns/call | "
                 "eval (-X perf) added ns/call | Ratio | bare dispatch added ns/call | "
                 "bare eval added ns/call | bare ratio | tracer ÷ bare dispatch | Lost |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for t in disp:
            base, tr = stats[(t.label, "untraced")], stats[(t.label, "tracer")]
            ev = t.label.replace(" dispatch", "")
            ev_add = ev_med = be_add = be_med = None
            if (ev, "tracer") in stats:
                ev_add = _added(stats[(ev, "tracer")], stats[(ev, "untraced")], calls, "min")
                ev_med = _added(stats[(ev, "tracer")], stats[(ev, "untraced")], calls, "med")
            if (ev, "bare_eval") in stats:
                be_add = _added(stats[(ev, "bare_eval")], stats[(ev, "untraced")], calls, "min")
                be_med = _added(stats[(ev, "bare_eval")], stats[(ev, "untraced")], calls, "med")
            bd = stats.get((t.label, "bare_dispatch"), {})
            bd_add, bd_med = _added(bd, base, calls, "min"), _added(bd, base, calls, "med")
            tr_add, tr_med = _added(tr, base, calls, "min"), _added(tr, base, calls, "med")
            L.append("| %s | %s | %s | %s (%s) | %s (%s) | %s (%s) | %s (%s) | %s (%s) "
                     "| %s (%s) | %s (%s) | %s |" % (
                         t.label, _min_med(base), _min_med(tr), _ns(tr_add), _ns(tr_med),
                         _ns(ev_add), _ns(ev_med),
                         _fmt_ratio(_ratio(tr_add, ev_add)), _fmt_ratio(_ratio(tr_med, ev_med)),
                         _ns(bd_add), _ns(bd_med), _ns(be_add), _ns(be_med),
                         _fmt_ratio(_ratio(bd_add, be_add)), _fmt_ratio(_ratio(bd_med, be_med)),
                         _fmt_ratio(_ratio(tr_add, bd_add)), _fmt_ratio(_ratio(tr_med, bd_med)),
                         tr.get("lost", "?")))
        L.append("")
        sites = [t for t in disp if t.bare]
        if sites:
            L.append("Bare dispatch probes: " + "; ".join(
                "%s, %s" % (t.label, t.bare.what) for t in sites) + ".")
            L.append("")
        if bare_skipped:
            L.append("Bare probes not measured: " + "; ".join(
                "%s (%s)" % s for s in bare_skipped) + ".")
            L.append("")

    usdt = [t for t in found if t.strategy == "usdt"]
    if usdt:
        L.append("#### USDT on 3.11: the cost of the `line` probe requirement\n")
        L.append("| Interpreter | Mode | Loop ms | Added ns/call | @e entries | "
                 "@r returns | @l lines |")
        L.append("|---|---|---|---|---|---|---|")
        for t in usdt:
            base = stats[(t.label, "untraced")]
            for m, what in (("untraced", "untraced"),
                            ("bpftrace_noline", "bpftrace entry + return"),
                            ("bpftrace", "bpftrace entry + return + line"),
                            ("tracer", "tracer (entry + return + line)")):
                s = stats[(t.label, m)]
                c = s.get("counts", {})
                L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                    t.label, what, _min_med(s),
                    "—" if m == "untraced" else "%s (%s)" % (
                        _ns(_added(s, base, calls, "min")), _ns(_added(s, base, calls, "med"))),
                    c.get("e", "—"), c.get("r", "—"), c.get("l", "—")))
        L.append("")
        L.append("Without the `line` probe, `function__entry` fires only for C-level entries "
                 "(CPython issue 98894), so an exact tracer must pay for the line probe too.")
        L.append("")

    perf = [t for t in found if t.perf]
    if perf:
        L.append("#### Perf trampoline (3.12/3.13): PYTHONPERFSUPPORT=1 untraced\n")
        L.append("| Interpreter | Untraced ms | With PYTHONPERFSUPPORT=1 ms | Added ns/call |")
        L.append("|---|---|---|---|")
        for t in perf:
            plain = stats[(t.label, "untraced_plain")]
            on = stats[(t.label, "untraced")]
            L.append("| %s | %s | %s | %s (%s) |" % (
                t.label, _min_med(plain), _min_med(on),
                _ns(_added(on, plain, calls, "min")), _ns(_added(on, plain, calls, "med"))))
        L.append("")

    js = [t for t in found if (t.label, "tracer_json") in stats]
    if js:
        L.append("#### One run writing a timeline (`-o x.json`)\n")
        L.append("| Interpreter | Loop ms | Added ns/call | Lost | Calls in trace | "
                 "JSON MB | End-to-end s |")
        L.append("|---|---|---|---|---|---|---|")
        for t in js:
            s = stats[(t.label, "tracer_json")]
            base = stats[(t.label, "untraced")]
            L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                t.label, _ms(s, "min"), _ns(_added(s, base, calls, "min")),
                s.get("lost", "—"), s.get("completed", "—"),
                "%.1f" % (s["json_bytes"] / 1e6) if "json_bytes" in s else "—",
                "%.2f" % s["wall_med"] if "wall_med" in s else "—"))
        L.append("")

    bs = [t for t in found if t.bpftrace and (t.label, "bpfstats_tracer") in stats]
    if bs:
        L.append("#### Time inside the BPF programs (kernel BPF statistics, one untimed run)\n")
        L.append("Sum of `run_time_ns` of the programs each tool loaded, per loop call "
                 "(start-up calls included, < 1%). Statistics add two clock reads per run.")
        L.append("")
        L.append("| Interpreter | bpftrace programs: runs, ns/run | bpftrace BPF ns/call | "
                 "tracer programs: runs, ns/run | tracer BPF ns/call | BPF difference "
                 "ns/call | Added difference ns/call |")
        L.append("|---|---|---|---|---|---|---|")
        for t in bs:
            cells = []
            per_call = []
            for m in ("bpftrace", "tracer"):
                progs = {n: v for n, v in stats[(t.label, "bpfstats_" + m)]["progs"].items()
                         if v[0]}
                cells.append("<br>".join("%s: %d, %.0f" % (n, c, ns / c)
                                         for n, (c, ns) in sorted(progs.items())) or "—")
                per_call.append(sum(ns for _, ns in progs.values()) / calls)
            base = stats[(t.label, "untraced")]
            bt_add = _added(stats[(t.label, "bpftrace")], base, calls, "min")
            tr_add = _added(stats[(t.label, "tracer")], base, calls, "min")
            L.append("| %s | %s | %.0f | %s | %.0f | %.0f | %s |" % (
                t.label, cells[0], per_call[0], cells[1], per_call[1],
                per_call[1] - per_call[0],
                _ns(tr_add - bt_add) if tr_add is not None and bt_add is not None else "—"))
        L.append("")

    L.append("#### End-to-end wall time and the tools' own CPU (medians)\n")
    L.append("Wall: start-up, attach, loop, drain, exit. Tool CPU: CPU of the run's "
             "process tree minus the target's own (which includes its probes' handling), "
             "i.e. bpftrace's or the tracer's process.")
    L.append("")
    L.append("| Interpreter | untraced wall s | bpftrace wall s | tracer wall s | "
             "bpftrace CPU ms | tracer CPU ms | bpftrace probe counts | "
             "tracer events seen / calls |")
    L.append("|---|---|---|---|---|---|---|---|")
    for t in found:
        base, tr = stats[(t.label, "untraced")], stats[(t.label, "tracer")]
        bt = stats.get((t.label, "bpftrace"), {})
        c = bt.get("counts", {})
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            t.label, *("%.2f" % s["wall_med"] if "wall_med" in s else "—"
                       for s in (base, bt, tr)),
            *("%.0f" % (s["tool_cpu_med"] * 1e3) if "tool_cpu_med" in s else "—"
              for s in (bt, tr)),
            ", ".join("@%s %d" % kv for kv in sorted(c.items())) or "—",
            tr.get("seen", "—"), tr.get("completed", "—")))
    L.append("")

    failures = [(k, s) for k, s in sorted(stats.items()) if s.get("errors")]
    if failures:
        L.append("#### Failed runs\n")
        for (label, mode), s in failures:
            L.append("- %s, %s: %d of %d runs failed: %s" % (
                label, mode, s["runs"] - s["n"], s["runs"], "; ".join(s["errors"])))
        L.append("")
    if skipped:
        L.append("Not measured: " + "; ".join("%s (%s)" % s for s in skipped) + ".")
        L.append("")
    return "\n".join(L)


def write_results(path, text):
    """Replace what lies between the BEGIN and END markers of PATH with TEXT
    (append a marked section when the markers are missing)."""
    try:
        with open(path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = "# Benchmarks\n"
    block = "%s\n\n%s\n%s" % (BEGIN, text.rstrip() + "\n", END)
    b, e = doc.find(BEGIN), doc.find(END)
    if b >= 0 and e > b:
        doc = doc[:b] + block + doc[e + len(END):]
    else:
        doc = doc.rstrip() + "\n\n## Results\n\n" + block + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(doc)
    os.replace(tmp, path)
