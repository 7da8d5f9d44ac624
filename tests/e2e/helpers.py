# SPDX-License-Identifier: MIT
"""Helpers of the end-to-end tests: interpreters, workloads, running the
tracer and its targets, reading its Chrome trace output."""
import collections
import glob
import json
import os
import re
import signal
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = os.path.join(HERE, "workloads")
REPO = os.path.dirname(os.path.dirname(HERE))
PYENV_ROOT = os.environ.get("PYENV_ROOT") or "/root/.pyenv"
DEBIAN_PY = "/usr/bin/python3.11"

# ---- interpreters ----------------------------------------------------------

# the interpreters the tracer supports, as test ids
# ("-eval": the eval strategy forced, the target started with -X perf;
#  "-usdt": the USDT strategy forced, no longer the default on Debian's 3.11)
SUPPORTED = ["debian3.11", "pyenv3.8", "pyenv3.9", "pyenv3.10", "pyenv3.11",
             "pyenv3.12", "pyenv3.13", "pyenv3.14", "pyenv3.12-eval", "pyenv3.13-eval",
             "pyenv3.14-eval", "debian3.11-usdt"]
# interpreters the tracer must refuse, with why
REFUSED = {"pyenv3.6": "unsupported version", "pyenv3.7": "unsupported version"}


class Interp(object):
    def __init__(self, ident, python, version, kind, lib, forced_eval=False):
        self.id = ident
        self.python = python		# executable path
        self.version = version		# (3, 11)
        self.kind = kind		# "debian" | "pyenv"
        self.lib = lib			# the file holding the eval loop
        # the strategy the tracer picks by itself (or the forced one)
        if forced_eval == "usdt":
            self.strategy = "usdt"
        elif version >= (3, 11) and not forced_eval:
            # Debian's 3.11 too: dispatch before USDT (the faster there)
            self.strategy = "dispatch"
        else:
            self.strategy = "eval"
        # options of the tracer for this interpreter
        self.tracer_args = ["--strategy", self.strategy] if forced_eval else []
        # eval on 3.12+ attaches only to a target with the perf trampoline
        self.attach_args = ["-X", "perf"] if self.strategy == "eval" and forced_eval else []

    def __repr__(self):
        return "Interp(%s, %s)" % (self.id, self.python)


def _version_key(path):
    return [int(x) if x.isdigit() else 0
            for x in re.split(r"[.]", os.path.basename(path))]


def find_interp(ident):
    """The Interp for a test id, or (None, reason)."""
    m = re.match(r"^(debian|pyenv)(\d+)\.(\d+)(-eval|-usdt)?$", ident)
    if not m:
        return None, "bad interpreter id %s" % ident
    kind, major, minor = m.group(1), int(m.group(2)), int(m.group(3))
    # the forced strategy: True for eval (kept a bool for callers), "usdt"
    forced_eval = {"-eval": True, "-usdt": "usdt"}.get(m.group(4), False)
    ver = "%d.%d" % (major, minor)
    if kind == "debian":
        py = "/usr/bin/python%s" % ver
        if not os.access(py, os.X_OK):
            return None, "%s not found" % py
        return Interp(ident, py, (major, minor), kind, os.path.realpath(py), forced_eval), None
    vroot = os.path.join(PYENV_ROOT, "versions")
    dirs = sorted((d for d in glob.glob(os.path.join(vroot, ver + ".*"))
                   if re.match(r"^\d+\.\d+\.\d+$", os.path.basename(d))),
                  key=_version_key)
    if not dirs:
        return None, "no pyenv build of %s under %s" % (ver, vroot)
    d = dirs[-1]
    py = os.path.join(d, "bin", "python" + ver)
    if not os.access(py, os.X_OK):
        return None, "%s not found" % py
    lib = os.path.join(d, "lib", "libpython%s.so.1.0" % ver)
    if not os.path.exists(lib):
        lib = os.path.realpath(py)	# static build: the executable
    return Interp(ident, py, (major, minor), kind, lib, forced_eval), None


# ---- workloads -------------------------------------------------------------

class Workload(object):
    def __init__(self, name, files, deep_funcs=()):
        self.name = name
        self.path = os.path.join(WORKLOADS, name + ".py")
        # absolute paths of the files whose functions are compared
        self.files = [os.path.join(WORKLOADS, f) for f in files]
        # functions recursing deeper than the 64 pending uretprobes the
        # kernel keeps per task: with the eval strategy their returns past
        # that depth are inferred (CALL_END_INFERRED), documented behaviour
        self.deep_funcs = set(deep_funcs)

    def __repr__(self):
        return "Workload(%s)" % self.name


WORKLOAD_LIST = [
    Workload("mixed", ["mixed.py"], deep_funcs=["recurse"]),
    Workload("multifile", ["multifile.py", "multifile_helper.py"]),
]
WORKLOAD_BY_NAME = {w.name: w for w in WORKLOAD_LIST}


def target_env(extra=None):
    """Environment of a traced Python: no bytecode files, nothing of ours."""
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("E2E_") or k in ("PYTHONPERFSUPPORT", "PYTHONPROFILEIMPORTTIME"):
            del env[k]
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


# ---- running processes -----------------------------------------------------

class Failed(AssertionError):
    pass


def run(cmd, timeout=60, env=None, input=None, cwd=None):
    """subprocess.run with text output; on timeout kill the process and
    raise with what it printed so far."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         env=env, cwd=cwd, start_new_session=True)
    try:
        out, err = p.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(p)
        out, err = p.communicate()
        raise Failed("timeout after %ss: %s\n--- stdout\n%s\n--- stderr\n%s"
                     % (timeout, " ".join(cmd), _txt(out)[-3000:], _txt(err)[-3000:]))
    return subprocess.CompletedProcess(cmd, p.returncode, _txt(out), _txt(err))


def _txt(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")


def _kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def describe(p):
    """a CompletedProcess for an assertion message"""
    return "command: %s\nexit: %s\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (
        " ".join(p.args), p.returncode, p.stdout[-4000:], p.stderr[-4000:])


class LineReader(object):
    """Reads the lines of a pipe in a thread; wait_for() a line prefix."""

    def __init__(self, pipe):
        self.lines = []
        self._cond = threading.Condition()
        self._eof = False
        self._t = threading.Thread(target=self._loop, args=(pipe,), daemon=True)
        self._t.start()

    def _loop(self, pipe):
        for raw in iter(pipe.readline, b""):
            with self._cond:
                self.lines.append(_txt(raw).rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for(self, prefix, timeout):
        """the first line starting with PREFIX, or None at EOF/timeout"""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if line.startswith(prefix):
                        return line
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    return None
                self._cond.wait(left)

    def text(self, join_timeout=5):
        self._t.join(join_timeout)
        with self._cond:
            return "\n".join(self.lines)


class Spawned(object):
    """A background process whose stdout/stderr are read by LineReaders."""

    def __init__(self, cmd, env=None, cwd=None):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     start_new_session=True)
        self.pid = self.proc.pid
        self.out = LineReader(self.proc.stdout)
        self.err = LineReader(self.proc.stderr)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failed("timeout after %ss: %s\n%s" % (timeout, " ".join(self.cmd),
                                                       self.describe()))

    def kill(self):
        if self.proc.poll() is None:
            _kill_group(self.proc)
            self.proc.wait(10)

    def describe(self):
        return "command: %s\nexit: %s\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (
            " ".join(self.cmd), self.proc.returncode, self.out.text(1)[-3000:],
            self.err.text(1)[-3000:])


class Target(Spawned):
    """A workload started in attach mode: it waits for its trigger file."""

    def __init__(self, interp, workload, tmpdir, extra_args=()):
        self.trigger = os.path.join(str(tmpdir), "trigger-%s" % workload.name)
        if os.path.exists(self.trigger):
            os.unlink(self.trigger)
        cmd = [interp.python] + list(extra_args) + [workload.path]
        Spawned.__init__(self, cmd, env=target_env({"E2E_TRIGGER": self.trigger}))

    def wait_ready(self, timeout=30):
        if self.err.wait_for("workload: ready", timeout) is None:
            self.kill()
            raise Failed("target never became ready\n" + self.describe())

    def fire(self):
        with open(self.trigger, "w"):
            pass

    def result_line(self):
        return self.out.wait_for("result:", 0)


def start_tracer_attached(tracer, pid, outputs, extra=(), timeout=30):
    """Start `tracer -p PID -o ...` and wait for its `tracer: tracing` line."""
    cmd = [tracer, "-p", str(pid)]
    for o in outputs:
        cmd += ["-o", str(o)]
    cmd += list(extra)
    t = Spawned(cmd)
    if t.err.wait_for("tracer: tracing", timeout) is None:
        t.kill()
        raise Failed("tracer did not report `tracer: tracing`\n" + t.describe())
    return t


def run_both_ways(tracer, interp, workload, mode, tmp_path, outputs, args, env=None,
                  timeout=120):
    """Trace WORKLOAD with ARGS, writing OUTPUTS, launched (MODE "launch")
    or attached; -> (the workload's stderr, the tracer's stdout), after
    checking both exited with 0."""
    if mode == "launch":
        cmd = [tracer] + list(args)
        for o in outputs:
            cmd += ["-o", str(o)]
        p = run(cmd + ["--", interp.python, workload.path], timeout=timeout,
                env=target_env(env))
        assert p.returncode == 0, describe(p)
        return p.stderr, p.stdout
    target = Target(interp, workload, tmp_path)
    tr = None
    try:
        target.wait_ready()
        tr = start_tracer_attached(tracer, target.pid, outputs, args)
        target.fire()
        assert target.wait(timeout) == 0, target.describe()
        assert tr.wait(30) == 0, tr.describe()
        return target.err.text(), tr.out.text()
    finally:
        target.kill()
        if tr:
            tr.kill()


def trace_attached(tracer, interp, workload, tmp_path, outputs, timeout=60):
    """Start WORKLOAD waiting, attach the tracer, let main() run, and wait
    for both to end (the tracer ends with the target). Returns (target,
    tracer) after checking both exited with 0."""
    target = Target(interp, workload, tmp_path, interp.attach_args)
    tr = None
    try:
        target.wait_ready()
        tr = start_tracer_attached(tracer, target.pid, outputs, interp.tracer_args)
        target.fire()
        assert target.wait(timeout) == 0, target.describe()
        assert tr.wait(30) == 0, tr.describe()
    finally:
        target.kill()
        if tr:
            tr.kill()
    return target, tr


# ---- the Chrome trace ------------------------------------------------------

FLAG_ARGS = ("began_before_attach", "end_inferred", "end_at_session_end", "end_at_exit")
COUNTERS = ("events", "lost", "inferred_returns", "unmatched_returns", "open_at_end")


def read_chrome_array(text, parse_float=None):
    """the events of a Chrome trace in the JSON Array Format, read the way
    catapult's trace viewer and speedscope read one (the format lets the
    closing ] be missing: a trailing comma and blanks are stripped, ] is
    appended)"""
    t = text.strip()
    assert t[:1] == "[", "not the JSON array form: %r" % t[:40]
    t = re.sub(r"\s*,\s*$", "", t)
    if not t.endswith("]"):
        t += "]"
    return json.loads(t, parse_float=parse_float)


def load_chrome(path, parse_float=None, whole=True):
    """a .json trace as {"traceEvents": [...], "session": {...}}: its events
    and the args of its last event, the "tracer_session" metadata event that
    holds the session's counters, warnings and processes (None when the
    file was cut short; WHOLE: assert it was not)"""
    with open(str(path), encoding="utf-8") as f:
        text = f.read()
    if whole:
        assert text.endswith("\n]\n"), "the JSON array is not closed: %r" % text[-40:]
        events = json.loads(text, parse_float=parse_float)
    else:
        events = read_chrome_array(text, parse_float)
    assert isinstance(events, list), "top level is not an array"
    sess = [e for e in events if isinstance(e, dict) and e.get("ph") == "M"
            and e.get("name") == "tracer_session"]
    assert len(sess) <= 1 and (not sess or sess[0] is events[-1]), sess
    assert not whole or sess, "no tracer_session event"
    return {"traceEvents": events, "session": sess[0]["args"] if sess else None}


class Chrome(object):
    """A loaded and structurally checked Chrome trace."""

    def __init__(self, path):
        doc = load_chrome(path)
        self.doc = doc
        self.events = doc["traceEvents"]
        self.other = doc["session"]
        assert isinstance(self.other, dict), "no tracer_session args"
        for c in COUNTERS:
            assert c in self.other, "tracer_session lacks %s: %r" % (c, self.other)
        self.calls = []		# Python calls (cat "python")
        self.runtime = []	# GC collections and imports (cat "gc", "import")
        for e in self.events:
            assert isinstance(e, dict) and "ph" in e, "bad event %r" % (e,)
            if e["ph"] != "X":
                continue
            for k, ty in (("name", str), ("cat", str), ("pid", int), ("tid", int),
                          ("ts", (int, float)), ("dur", (int, float)), ("args", dict)):
                assert isinstance(e.get(k), ty), "event field %s: %r" % (k, e)
            assert e["dur"] >= 0, e
            a = e["args"]
            if e["cat"] == "gc":
                assert isinstance(a.get("generation"), int), e
                assert isinstance(a.get("unreachable"), int), e
                assert e["name"] == ("GC (generation %d)" % a["generation"]
                                     if a["generation"] >= 0 else "GC"), e
                self.runtime.append(e)
                continue
            if e["cat"] == "import":
                assert isinstance(a.get("module"), str), e
                assert a.get("loaded") in (True, False, None), e
                assert e["name"] == "import " + a["module"], e
                self.runtime.append(e)
                continue
            assert e["cat"] == "python", e
            assert isinstance(a.get("file"), str) and isinstance(a.get("line"), int), e
            self.calls.append(e)

    def counter(self, name):
        """a tracer_session counter; "lost" may be {"total": N, ...}"""
        v = self.other[name]
        if isinstance(v, dict):
            v = v["total"]
        return int(v)

    def strategies(self):
        """pid -> strategy named in tracer_session's processes (if present)"""
        return {p.get("pid"): p.get("strategy")
                for p in self.other.get("processes", []) if isinstance(p, dict)}

    def key(self, e):
        return (e["name"], e["args"]["file"], e["args"]["line"])

    def in_files(self, files):
        files = set(files)
        return [e for e in self.calls if e["args"]["file"] in files]


def count_calls(events):
    """(name, file, line) -> number of X events, <module> left out"""
    c = collections.Counter()
    for e in events:
        if e["name"] != "<module>":
            c[(e["name"], e["args"]["file"], e["args"]["line"])] += 1
    return c


def compare_counts(expected, got):
    """list of human-readable differences between two key -> count maps"""
    diffs = []
    for k in sorted(set(expected) | set(got), key=lambda k: (k[1], k[2], k[0])):
        a, b = expected.get(k, 0), got.get(k, 0)
        if a != b:
            diffs.append("%-50s %s:%d  expected %d, traced %d"
                         % (k[0], os.path.basename(k[1]), k[2], a, b))
    return diffs


def flagged(events, flag):
    return [e for e in events if e["args"].get(flag)]


def nesting_violations(events, eps=1.0):
    """Calls of one thread must nest like a stack (or be disjoint). EPS in
    microseconds allows for rounding of ts and dur."""
    bad = []
    by_thread = collections.defaultdict(list)
    for e in events:
        if any(e["args"].get(f) for f in FLAG_ARGS):
            continue
        by_thread[(e["pid"], e["tid"])].append(e)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -(e["ts"] + e["dur"])))
        stack = []
        for e in evs:
            start, end = e["ts"], e["ts"] + e["dur"]
            while stack and stack[-1][1] <= start + eps:
                stack.pop()
            if stack and end > stack[-1][1] + eps:
                bad.append((stack[-1][0], e))
                if len(bad) > 10:
                    return bad
            stack.append((e, end))
    return bad


def sorted_events(events):
    return sorted(json.dumps(e, sort_keys=True) for e in events)


def json_truth(stderr):
    """the ground truth a workload wrote to stderr as `truth: {json}`"""
    m = re.search(r"^truth: (\{.*\})$", stderr, re.M)
    assert m, "the workload did not report its truth:\n" + stderr[-2000:]
    return json.loads(m.group(1))
