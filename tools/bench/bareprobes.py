# SPDX-License-Identifier: MIT
"""The kernel's own uprobes, without BPF, on the sites build/tracer probes:
the floor of what a probe strategy can cost per call.

The sites come from the tracer itself (`tracer -v` lists the dispatch
strategy's probe sites and the evaluator's entry: user/capture/dispatch_say.c),
so the bare probes go on exactly the instructions the tracer attaches to.
Each is a tracefs uprobe event (Documentation/trace/uprobetracer.rst) of a
group private to this process, enabled in a private trace instance whose
recording is off: the trap fires and the kernel counts the hit
(uprobe_profile), nothing is recorded, no BPF program runs.  The events
are removed after each run, whatever happens.

A tracefs event is on the file, not a process: while one is enabled, any
other process of the same libpython takes its traps too (counts are
therefore checked as at least the workload's calls, not equal)."""
import os
import re
import subprocess

TRACEFS = "/sys/kernel/tracing"
GROUP = "tracer_bench%d" % os.getpid()
INSTANCE = os.path.join(TRACEFS, "instances", GROUP)

_HEAD = re.compile(r"^tracer: dispatch probe sites in (.*) \((\d+) sites?[,)]")
_SITE = re.compile(r"^tracer:   (call|return|unwind|throw) (.*) at 0x[0-9a-f]+ "
                   r"\(file offset (0x[0-9a-f]+)\), (emulated|single-stepped)")
_EVAL = re.compile(r"^tracer:   evaluator entry .* \(file offset (0x[0-9a-f]+)\)")


class Plan:
    """Where the bare probes of a target go: PROBES is [(name, "p" or "r",
    file offset, kind)], on the ELF file PATH."""

    def __init__(self, path, probes, what):
        self.path = path
        self.probes = probes
        self.what = what


def parse_sites(text):
    """(file, [(kind, name, offset)], evaluator offset) from `tracer -v`'s
    stderr; ValueError when the listing is missing or incomplete."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _HEAD.match(line)
        if not m:
            continue
        n = int(m.group(2))
        sites = []
        for l in lines[i + 1:i + 1 + n]:
            s = _SITE.match(l)
            if not s:
                raise ValueError("unrecognised site line %r" % l[:120])
            sites.append((s.group(1), s.group(2), int(s.group(3), 16)))
        e = _EVAL.match(lines[i + 1 + n]) if len(lines) > i + 1 + n else None
        if len(sites) != n or not e:
            raise ValueError("the listing of %d sites is cut short" % n)
        if "not probed" not in lines[i + 1 + n]:
            # gen.throw() without a site of its own: the tracer probes the
            # evaluator's entry too
            sites.append(("call", "evaluator entry", int(e.group(1), 16)))
        return m.group(1), sites, int(e.group(1), 16)
    raise ValueError("no `dispatch probe sites` listing in tracer -v's output")


def tracer_sites(tracer, t, env):
    """Ask TRACER (-v, on `PY -c pass`) where it probes target T; (file,
    sites, evaluator offset), ValueError with the reason."""
    argv = [tracer, "-v"] + t.tracer_args + ["--", t.python, "-c", "pass"]
    try:
        cp = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            universal_newlines=True, errors="replace", timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ValueError("tracer -v did not run: %s" % e)
    if cp.returncode != 0:
        raise ValueError("tracer -v exited %d: %s" % (
            cp.returncode, " | ".join(cp.stderr.strip().splitlines()[-2:])))
    f, sites, eval_off = parse_sites(cp.stderr)
    if os.path.realpath(f) != os.path.realpath(t.probe_path):
        raise ValueError("tracer probes %s, not %s" % (f, t.probe_path))
    return f, sites, eval_off


def dispatch_plan(path, sites):
    return Plan(path, [("d%d" % i, "p", off, kind) for i, (kind, _, off) in enumerate(sites)],
                "%d uprobes: %s" % (len(sites), ", ".join(w for _, w, _ in sites)))


def eval_plan(path, eval_off):
    return Plan(path, [("e0", "p", eval_off, "call"), ("e1", "r", eval_off, "return")],
                "uprobe + uretprobe _PyEval_EvalFrameDefault")


def _write(path, text):
    # os.open: Python's append mode seeks to the end, which uprobe_events
    # (a seq_file) refuses
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, (text + "\n").encode())
    finally:
        os.close(fd)


def available():
    """None when tracefs uprobe events can be had (tracefs mounted here
    if it was not), else the reason they cannot."""
    ev = os.path.join(TRACEFS, "uprobe_events")
    if not os.path.exists(ev):
        cp = subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
        if cp.returncode != 0 or not os.path.exists(ev):
            return "no tracefs uprobe_events (mount -t tracefs: %s)" % (
                " ".join(cp.stdout.split()) or "exit %d" % cp.returncode)
    if not os.path.isdir(os.path.join(TRACEFS, "instances")):
        return "tracefs has no instances directory"
    _remove_stale()
    return None


def _remove_stale():
    """Events and instances of a bench killed before it could remove them
    (group tracer_benchPID of a PID gone)"""
    try:
        with open(os.path.join(TRACEFS, "uprobe_events")) as f:
            lines = f.read().splitlines()
    except OSError:
        return
    stale = set()
    for line in lines:
        m = re.match(r"^[pr]:(tracer_bench(\d+))/(\w+) ", line)
        if m and not os.path.exists("/proc/%s" % m.group(2)):
            stale.add(m.group(1))
            inst = os.path.join(TRACEFS, "instances", m.group(1))
            for d in (inst, TRACEFS):
                try:
                    _write(os.path.join(d, "events", m.group(1), m.group(3), "enable"), "0")
                except OSError:
                    pass
            try:
                _write(os.path.join(TRACEFS, "uprobe_events"),
                       "-:%s/%s" % (m.group(1), m.group(3)))
            except OSError:
                pass
    for g in stale:
        try:
            os.rmdir(os.path.join(TRACEFS, "instances", g))
        except OSError:
            pass


class Events:
    """The bare probes of PLAN in place and enabled for a `with` block;
    .hits: {kind: hits} read before they go.  Everything made is removed
    on the way out, also after an error."""

    def __init__(self, plan):
        self.plan = plan
        self.hits = {}
        self._made = []
        self._enabled = []
        self._instance = False

    def __enter__(self):
        try:
            os.mkdir(INSTANCE)
            self._instance = True
            _write(os.path.join(INSTANCE, "tracing_on"), "0")
            for name, kind, off, _ in self.plan.probes:
                _write(os.path.join(TRACEFS, "uprobe_events"),
                       "%s:%s/%s %s:0x%x" % (kind, GROUP, name, self.plan.path, off))
                self._made.append(name)
            for name in self._made:
                en = os.path.join(INSTANCE, "events", GROUP, name, "enable")
                _write(en, "1")
                self._enabled.append(en)
        except BaseException:
            # (Ctrl-C too: nothing of ours stays behind)
            self._remove()
            raise
        return self

    def __exit__(self, *exc):
        self._remove()
        return False

    def _read_hits(self):
        counts = {}
        try:
            with open(os.path.join(TRACEFS, "uprobe_profile")) as f:
                for line in f:
                    cols = line.split()
                    if len(cols) >= 3 and cols[-1].isdigit():
                        counts[cols[-2].split("/")[-1]] = int(cols[-1])
        except OSError:
            return
        for name, _, _, kind in self.plan.probes:
            if name in counts:
                self.hits[kind] = self.hits.get(kind, 0) + counts[name]

    def _remove(self):
        for en in self._enabled:
            try:
                _write(en, "0")
            except OSError:
                pass
        self._enabled = []
        if self._made:
            self._read_hits()
        for name in self._made:
            try:
                _write(os.path.join(TRACEFS, "uprobe_events"), "-:%s/%s" % (GROUP, name))
            except OSError:
                pass
        self._made = []
        if self._instance:
            try:
                os.rmdir(INSTANCE)
            except OSError:
                pass
            self._instance = False
